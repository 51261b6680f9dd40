"""Screening closed, components scored and closed, and the shortlist the scores propose.

Closing a stage is an activity that counts and moves the gate in one transaction
(``activities/selections.py``): the workflow asks it, then records what it found. Per-applicant
lists are published by those activities and bound in the ledger by their digest, so the history
carries no per-applicant data.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.selection_contracts import ComponentRequest, ScreeningGate, ShortlistRequest
    from activities.selections import SelectionActivities
    from domain import reasons
    from domain.errors import Conflict
    from domain.selection.plan import require_open_component
    from domain.selection.ranking import RankedApplicant
    from domain.selection.seats import require_secretariat
    from domain.selection.stages import Stage, require_stage
    from workflows import policies
    from workflows.selection_contracts import ActorInput, ComponentInput, SelectionState

from workflows.selection.base import SYSTEM, SelectionBase

# How many undecided applicants or missing scores a refusal names; the count is always in full.
NAMED_IN_REFUSAL = 10


class AssessmentMixin(SelectionBase):
    @workflow.update
    async def close_screening(self, inp: ActorInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_close_screening(inp)
            opened = dict.fromkeys(self._components, "open")
            key = f"screening-{self._return_count}"
            tally = await self._gate(
                SelectionActivities.close_screening,
                ScreeningGate(
                    process_id=workflow.info().workflow_id,
                    components=opened,
                    announcement_key=key,
                    stage=Stage.ASSESSMENT.value,
                ),
                policies.BULK_TIMEOUT,
            )
            if tally.undecided:
                named = ", ".join(tally.undecided[:NAMED_IN_REFUSAL])
                left = tally.applicants - tally.decided
                raise self._refuse(
                    Conflict(
                        f"{left} applicant(s) still await the committee's screening decision "
                        f"(e.g. {named}).",
                        code="screening_incomplete",
                        undecided=left,
                    )
                )
            self._eligible = tally.eligible
            self._components = opened
            results = {"applicants": tally.applicants, "eligible": tally.eligible}
            if tally.eligible == 0:
                reason = reasons.NOBODY_SCREENED_IN
                await self._fail("screening.closed", reason, results)
                return self._snapshot()
            # the per-applicant results were published by the activity
            await self._move(
                Stage.ASSESSMENT,
                "screening.closed",
                inp.actor,
                payload=results | {"announcement": key},
            )
        return self._snapshot()

    @close_screening.validator
    def _check_close_screening(self, inp: ActorInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.SCREENING, "close screening"))
        seat = self._seat(inp.actor)
        self._check(
            lambda: require_secretariat(inp.actor, seat, "may close screening", self._role_required)
        )

    @workflow.update
    async def close_component(self, inp: ComponentInput) -> SelectionState:
        async with self._turn():
            with self._rechecking():
                self._check_close_component(inp)
            key = f"component-{inp.component}-{self._return_count}"
            check = await self._gate(
                SelectionActivities.close_component,
                ComponentRequest(
                    process_id=workflow.info().workflow_id,
                    component=inp.component,
                    announcement_key=key,
                    title=f"Results: {self._component_name(inp.component)}",
                    stage=self._stage.value,
                ),
                policies.BULK_TIMEOUT,
            )
            if check.missing_count:
                pairs = ", ".join(f"{s} for {a}" for s, a in check.missing[:NAMED_IN_REFUSAL])
                raise self._refuse(
                    Conflict(
                        f"{check.missing_count} score(s) of component {inp.component} are "
                        f"missing (e.g. {pairs}).",
                        code="scores_missing",
                        missing=check.missing_count,
                    )
                )
            self._components = self._components | {inp.component: "closed"}
            payload = {
                "component": inp.component,
                "ranked": check.ranked,
                "digest": check.digest,
                "announcement": key,
            }
            await self._append("component.closed", inp.actor, self._stage, payload=payload)
            if all(v == "closed" for v in self._components.values()):
                await self._move(Stage.SHORTLIST, "assessment.closed", SYSTEM)
                await self._propose_shortlist()
        return self._snapshot()

    @close_component.validator
    def _check_close_component(self, inp: ComponentInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.ASSESSMENT, "close a component"))
        seat = self._seat(inp.actor)
        self._check(
            lambda: require_secretariat(
                inp.actor, seat, "may close a component", self._role_required
            )
        )
        self._check(lambda: require_open_component(self._components, inp.component))

    async def _propose_shortlist(self) -> None:
        _, rb = self._require()
        assert self._scheme is not None
        key = f"ranking-{self._return_count}"
        data = await workflow.execute_activity_method(
            SelectionActivities.compute_shortlist,
            ShortlistRequest(
                process_id=workflow.info().workflow_id,
                scheme=self._scheme.model_dump(mode="json"),
                size=rb.shortlist_size,
                panel=[m.id for m in self._panel],
                announcement_key=key,
                stage=self._stage.value,
            ),
            start_to_close_timeout=policies.BULK_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
        self._shortlist = [RankedApplicant.model_validate(r) for r in data.proposed]
        self._ranked_digest = data.digest
        self._recused = data.recused_members
        self._votes, self._plenary = {}, None
        payload = {
            "passed": data.passed,
            "proposed": [r.applicant_id for r in self._shortlist],
            "digest": data.digest,
            "announcement": key,
            "recused_members": data.recused_members,
        }
        if data.passed < rb.shortlist_floor:
            reason = reasons.SHORTLIST_SHORT.format(
                passed=data.passed, version=rb.version, floor=rb.shortlist_floor
            )
            await self._fail("shortlist.insufficient", reason, payload)
            return
        await self._append("shortlist.proposed", SYSTEM, self._stage, payload=payload)
