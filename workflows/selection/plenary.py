"""The panel's plenary on the proposed shortlist, the appointment, and cancellation."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import reasons
    from domain.errors import ProcessClosed
    from domain.selection.plan import check_appointee, require_shortlist
    from domain.selection.plenary import check_quorum, plenary_result
    from domain.selection.seats import (
        require_appointing_authority,
        require_secretariat,
        require_voter,
    )
    from domain.selection.stages import TERMINAL, Stage, require_stage
    from workflows.selection_contracts import (
        ActorInput,
        AppointInput,
        CancelInput,
        SelectionState,
        VoteInput,
    )

from workflows.selection.base import SelectionBase


class PlenaryMixin(SelectionBase):
    @workflow.update
    async def plenary_vote(self, inp: VoteInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_vote(inp)
            self._votes = self._votes | {inp.actor.id: inp.approve}
            await self._append(
                "plenary.voted",
                inp.actor,
                self._stage,
                payload={"approve": inp.approve, "votes_cast": len(self._votes)},
                justification=inp.note,
            )
        return self._snapshot()

    @plenary_vote.validator
    def _check_vote(self, inp: VoteInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.SHORTLIST, "vote in the plenary"))
        seat = self._seat(inp.actor)
        self._check(
            lambda: require_voter(inp.actor, seat, self._recused, self._votes, self._role_required)
        )
        self._check(lambda: require_shortlist([r.applicant_id for r in self._shortlist]))

    @workflow.update
    async def close_plenary(self, inp: ActorInput) -> SelectionState:
        _, rb = self._require()
        async with self._turn():
            with self._rechecking():
                self._check_close_plenary(inp)
            result = plenary_result(self._votes, self._voters(), self._chair_id(), rb)
            self._plenary = result.model_dump() | {"votes": dict(self._votes)}
            payload = {"plenary": self._plenary}
            if not result.approved:
                reason = reasons.PLENARY_REFUSED.format(yes=result.yes, no=result.no)
                await self._fail("plenary.closed", reason, payload, inp.actor)
                return self._snapshot()
            names = [
                {"applicant_id": r.applicant_id, "rank": r.rank, "total": r.total}
                for r in self._shortlist
            ]
            await self._move(
                Stage.OVERSIGHT_REVIEW,
                "plenary.closed",
                inp.actor,
                payload=payload,
                justification=inp.note,
                announcement=self._announcement(
                    f"shortlist-{self._return_count}",
                    "Shortlist proposed to the appointing authority",
                    {"shortlist": names},
                ),
            )
        return self._snapshot()

    @close_plenary.validator
    def _check_close_plenary(self, inp: ActorInput) -> None:
        _, rb = self._require()
        self._check(lambda: require_stage(self._stage, Stage.SHORTLIST, "close the plenary"))
        seat = self._seat(inp.actor)
        self._check(
            lambda: require_secretariat(
                inp.actor, seat, "may close the plenary", self._role_required
            )
        )
        self._check(lambda: check_quorum(self._votes, self._voters(), rb))

    @workflow.update
    async def appoint(self, inp: AppointInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_appoint(inp)
            self._appointee = inp.applicant_id
            self._reason = inp.reason
            await self._move(
                Stage.COMPLETED,
                "selection.appointed",
                inp.actor,
                payload={"applicant_id": inp.applicant_id},
                justification=inp.reason,
                subject=inp.applicant_id,
                announcement=self._announcement(
                    "appointment", "Appointment", {"applicant_id": inp.applicant_id}
                ),
            )
        return self._snapshot()

    @appoint.validator
    def _check_appoint(self, inp: AppointInput) -> None:
        authority = self._require()[0].appointing_authority_id
        self._check(lambda: require_stage(self._stage, Stage.APPOINTMENT, "appoint"))
        self._check(lambda: require_appointing_authority(inp.actor, authority, self._role_required))
        names = [r.applicant_id for r in self._shortlist]
        self._check(lambda: check_appointee(inp.applicant_id, names))

    @workflow.update
    async def cancel(self, inp: CancelInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_cancel(inp)
            self._reason = inp.reason
            if self._review_task is not None:
                self._review_task.cancel()
            self._status = "cancelled"
            await self._move(
                Stage.CANCELLED,
                "selection.cancelled",
                inp.actor,
                justification=inp.reason,
                announcement=self._announcement(
                    "cancelled", "Selection cancelled", {"reason": inp.reason}
                ),
            )
        return self._snapshot()

    @cancel.validator
    def _check_cancel(self, inp: CancelInput) -> None:
        if self._stage in TERMINAL:
            closed = ProcessClosed(
                f"The selection has ended ({self._stage.value}) and cannot be cancelled.",
                code="process_closed",
            )
            raise self._refuse(closed)
        authority = self._require()[0].appointing_authority_id
        self._check(lambda: require_appointing_authority(inp.actor, authority, self._role_required))
