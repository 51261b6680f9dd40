"""TalentReviewWorkflow: one agency's talent review (9-box) of one population.

Stages: ``cutoff`` (the HR source read for the population; the axis scores and boxes computed by
the pinned rulebook's formula) → ``calibration`` (the committee moves people, each move with a
justification, as SQL writes of the action pipeline gated by this review's row) → ``objection``
(every box published with its explanation; employees object within the window, in working days, or
minutes on a training rulebook) → ``answering`` (the committee answers each objection) →
``completed`` (the final pool, boxes 7-9, and the agencies' succession plans refreshed). Also
``failed`` (nobody to review) and ``cancelled``.

Updates: ``close_calibration(ActorNote)`` and ``finalize(ActorNote)`` by the committee's chair or
secretary; ``cancel(CancelInput)`` by agency HR or the chair. Query: ``state()``.
Timer: the end of the objection window (closing it with no objection establishes the pool at once).

Per-person data (records at the cut-off, scores, moves, objections) lives in SQL, written by the
activities and the action pipeline; this workflow holds counts and digests, so its history grows
with the stages, not with the population. Every decision and timer event is appended to the ledger
with the read model once it is durable (``workflows/ledgered.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow

from workflows.entries import decided_entry

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.contracts import HolidaysRequest
    from activities.talent import TalentActivities
    from activities.talent_contracts import (
        CutoffRequest,
        GateRequest,
        PublishRequest,
        RecordTalentReview,
        ReviewView,
        ScoreRequest,
        SuccessionRequest,
        TalentReviewRecords,
    )
    from domain import reasons
    from domain.calendar import WorkingCalendar
    from domain.durations import DurationUnit, after
    from domain.enums import Role
    from domain.errors import Conflict, DomainError, NotPermitted
    from domain.ledger import Actor
    from domain.processes import ProcessKind
    from domain.talent import committee
    from domain.talent.committee import TERMINAL, Stage
    from domain.talent.rulebook import TalentRulebook, get_talent_rulebook
    from workflows import policies
    from workflows.errors import refused
    from workflows.ledgered import Outbox
    from workflows.talent_contracts import (
        ActorNote,
        CancelInput,
        StartTalentReview,
        TalentReviewState,
    )
    from workflows.talent_review_records import next_step, start_payload, waiting_for

SYSTEM = Actor(id="system:talent", role="system")
A = TypeVar("A")
R = TypeVar("R")


@workflow.defn
class TalentReviewWorkflow:
    @workflow.init
    def __init__(self, inp: StartTalentReview) -> None:
        self._inp = inp
        self._rb: TalentRulebook = get_talent_rulebook(inp.rulebook_version)
        self._stage = Stage.CUTOFF
        self._status = "in_progress"
        self._counts: dict[str, Any] = {}
        self._closes_at: datetime | None = None
        self._reason: str | None = None
        self._entries = 0
        self._started = False
        self._lock = asyncio.Lock()
        self._ledger: Outbox[RecordTalentReview, TalentReviewRecords] = Outbox(
            write_one=TalentActivities.record_talent_review,
            write_batch=TalentActivities.record_talent_review_batch,
            batch_of=lambda items: TalentReviewRecords(items=items),
        )

    @workflow.run
    async def run(self, inp: StartTalentReview) -> TalentReviewState:
        self._ledger.open()
        await self._append(
            "talent_review.started", inp.requested_by, None, start_payload(inp, self._rb)
        )
        self._started = True
        async with self._lock:
            await self._cutoff_and_score()
        await workflow.wait_condition(lambda: self._stage is not Stage.CALIBRATION)
        if self._stage is Stage.OBJECTION:
            await self._objection_window()
        await workflow.wait_condition(lambda: self._stage in TERMINAL)
        await self._ledger.settled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    # ---- stages the workflow runs itself -----------------------------------------------------

    async def _cutoff_and_score(self) -> None:
        pid, inp = workflow.info().workflow_id, self._inp
        cut = await self._gate(
            TalentActivities.cutoff,
            CutoffRequest(
                process_id=pid,
                population=inp.population.model_dump(mode="json"),
                cutoff_date=inp.cutoff_date,
            ),
        )
        found = cut.model_dump()
        if cut.included == 0:
            await self._fail(reasons.NOBODY_READ, found)
            return
        self._counts.update(found)
        await self._append("talent_review.data_cut_off", SYSTEM, Stage.CUTOFF, found)
        tally = (
            await self._gate(
                TalentActivities.score, ScoreRequest(process_id=pid, cutoff_date=inp.cutoff_date)
            )
        ).data
        if not tally["scored"]:
            await self._fail(reasons.NOBODY_SCORED, tally)
            return
        self._counts.update({k: v for k, v in tally.items() if k != "digest"})
        await self._move(Stage.CALIBRATION, "talent_review.scored", SYSTEM, tally)

    async def _objection_window(self) -> None:
        assert self._closes_at is not None
        timeout = max((self._closes_at - workflow.now()).total_seconds(), 0.0)
        try:
            await workflow.wait_condition(
                lambda: self._stage is not Stage.OBJECTION, timeout=timeout
            )
            return  # cancelled while the window was open
        except TimeoutError:
            pass
        async with self._lock:
            if self._stage is not Stage.OBJECTION:
                return
            pid = workflow.info().workflow_id
            found = (
                await self._gate(TalentActivities.close_objections, GateRequest(process_id=pid))
            ).data
            self._counts.update(found)
            await self._move(
                Stage.ANSWERING, "talent_review.objection_window_closed", SYSTEM, found
            )
            if found["objections"] == 0:
                await self._establish(SYSTEM)

    # ---- updates -------------------------------------------------------------------------------

    @workflow.update
    async def close_calibration(self, inp: ActorNote) -> TalentReviewState:
        await self._turn()
        async with self._lock:
            self._check_close_calibration(inp)
            pid = workflow.info().workflow_id
            moved = (
                await self._gate(TalentActivities.close_calibration, GateRequest(process_id=pid))
            ).data
            closes_at = await self._window_end()
            published = (
                await self._gate(
                    TalentActivities.publish, PublishRequest(process_id=pid, closes_at=closes_at)
                )
            ).data
            self._counts.update({"moved": moved["moved"], "published": published["published"]})
            await self._append(
                "talent_review.calibration_closed",
                inp.actor,
                Stage.CALIBRATION,
                moved | {"note": inp.note},
            )
            self._closes_at = closes_at
            payload = published | {"objections_close_at": closes_at.isoformat()}
            await self._move(Stage.OBJECTION, "talent_review.published", SYSTEM, payload)
        await self._ledger.settled()
        return self.state()

    @close_calibration.validator
    def _check_close_calibration(self, inp: ActorNote) -> None:
        self._check(
            lambda: committee.require_stage(self._stage, Stage.CALIBRATION, "close calibration")
        )
        self._check(
            lambda: committee.require_secretariat(
                inp.actor, self._seat(inp.actor), "may close calibration"
            )
        )

    @workflow.update
    async def finalize(self, inp: ActorNote) -> TalentReviewState:
        await self._turn()
        async with self._lock:
            self._check_finalize(inp)
            await self._establish(inp.actor, note=inp.note)
        await self._ledger.settled()
        return self.state()

    @finalize.validator
    def _check_finalize(self, inp: ActorNote) -> None:
        self._check(
            lambda: committee.require_stage(self._stage, Stage.ANSWERING, "establish the pool")
        )
        self._check(
            lambda: committee.require_secretariat(
                inp.actor, self._seat(inp.actor), "may establish the pool"
            )
        )

    @workflow.update
    async def cancel(self, inp: CancelInput) -> TalentReviewState:
        await self._turn()
        async with self._lock:
            self._check_cancel(inp)
            self._status, self._reason = "cancelled", inp.reason
            await self._move(
                Stage.CANCELLED,
                "talent_review.cancelled",
                inp.actor,
                {"reason": inp.reason},
                justification=inp.reason,
            )
        await self._ledger.settled()
        return self.state()

    @cancel.validator
    def _check_cancel(self, inp: CancelInput) -> None:
        if self._stage in TERMINAL:
            raise refused(Conflict("The review has ended.", code="process_closed"))
        chair = self._seat(inp.actor) == committee.Seat.CHAIR
        if inp.actor.role == Role.AGENCY_HR.value or (
            chair and inp.actor.role == committee.COMMITTEE_ROLE
        ):
            return
        raise refused(
            NotPermitted(
                "Only agency HR or the committee's chair may cancel a review.",
                code="not_chair_or_agency_hr",
            )
        )

    @workflow.query
    def state(self) -> TalentReviewState:
        return TalentReviewState(
            process_id=workflow.info().workflow_id,
            stage=self._stage.value,
            status=self._status,
            counts=dict(self._counts),
            objections_close_at=self._closes_at,
            outcome_reason=self._reason,
            waiting_for=waiting_for(self._stage, self._inp, self._closes_at),
            pending=next_step(self._stage, self._inp, self._closes_at),
        )

    # ---- helpers -------------------------------------------------------------------------------

    async def _establish(self, actor: Actor, *, note: str | None = None) -> None:
        """The final boxes and the pool, then the succession plans; the review completes."""
        pid, inp = workflow.info().workflow_id, self._inp
        final = await self._gate(TalentActivities.finalize, GateRequest(process_id=pid))
        if final.unanswered:
            raise refused(
                Conflict(
                    f"{final.unanswered} objection(s) still await the committee's answer "
                    f"(e.g. {', '.join(final.named)}).",
                    code="objections_unanswered",
                    unanswered=final.unanswered,
                )
            )
        found = final.model_dump(exclude={"named"}) | {"note": note}
        self._counts.update(
            {"pool": final.pool, "upheld": final.upheld, "rejected": final.rejected}
        )
        await self._append("talent_review.pool_established", actor, Stage.ANSWERING, found)
        plans = await self._gate(
            TalentActivities.refresh_succession,
            SuccessionRequest(
                process_id=pid,
                agencies=inp.population.agencies,
                rulebook_version=self._rb.version,
                on=workflow.now().date(),
            ),
        )
        self._counts.update(plans.data)
        self._status = "completed"
        await self._move(Stage.COMPLETED, "talent_review.succession_refreshed", SYSTEM, plans.data)

    async def _window_end(self) -> datetime:
        now, rb = workflow.now(), self._rb
        calendar = WorkingCalendar([])
        if rb.duration_unit is DurationUnit.WORKING_DAYS:
            years = [now.year, now.year + 1]
            result = await workflow.execute_activity_method(
                CalendarActivities.load_holidays,
                HolidaysRequest(years=years),
                start_to_close_timeout=policies.CALENDAR_TIMEOUT,
                retry_policy=policies.CALENDAR_RETRY,
            )
            calendar = WorkingCalendar(result.dates)
        return after(now, rb.objection_window, rb.duration_unit, calendar)

    async def _turn(self) -> None:
        """An update never runs before the start entry is queued (update-with-start)."""
        await workflow.wait_condition(lambda: self._started)

    def _seat(self, actor: Actor) -> str | None:
        return next((m.seat.value for m in self._inp.committee if m.id == actor.id), None)

    @staticmethod
    def _check(fn: Callable[[], None]) -> None:
        try:
            fn()
        except DomainError as err:
            raise refused(err) from err

    async def _gate(self, activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
        """A whole-population activity, run once every entry decided before it is written."""
        await self._ledger.settled()
        result: R = await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=policies.BULK_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
        return result

    async def _fail(self, reason: str, payload: dict[str, Any]) -> None:
        self._status, self._reason = "failed", reason
        await self._move(Stage.FAILED, "talent_review.failed", SYSTEM, payload | {"reason": reason})

    async def _move(
        self,
        to: Stage,
        kind: str,
        actor: Actor,
        payload: dict[str, Any],
        justification: str | None = None,
    ) -> None:
        before, self._stage = self._stage, to
        await self._append(kind, actor, before, payload, justification)

    async def _append(
        self,
        kind: str,
        actor: Actor,
        stage_before: Stage | None,
        payload: dict[str, Any],
        justification: str | None = None,
    ) -> None:
        self._entries += 1
        entry = decided_entry(
            self._entries,
            process_kind=ProcessKind.TALENT_REVIEW,
            kind=kind,
            actor=actor,
            stage_before=stage_before,
            stage_after=self._stage,
            agency=self._inp.agency,
            payload=payload,
            rulebook_version=self._rb.version,
            justification=justification,
        )
        view = ReviewView(
            stage=self._stage.value,
            status=self._status,
            counts=dict(self._counts),
            waiting_for=waiting_for(self._stage, self._inp, self._closes_at),
            outcome_reason=self._reason,
        )
        item = RecordTalentReview(process_id=entry.process_id, entry=entry, view=view)
        await self._ledger.put(item, entry_id=entry.entry_id)
