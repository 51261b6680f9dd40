"""TalentAppointmentWorkflow: a vacant JPT post filled from the talent pool, or the fall-back to an
open selection ("blended" mode).

Started by a ``post.vacated`` event whose rules chose talent management (``domain.talent.filling``;
the decision, every check with its dates, is the first ledger entry). Stages: ``oversight_review``
(a ThirdPartyReviewWorkflow child: the oversight body reviews the proposed successor) →
``appointment`` (the appointing authority appoints with a decree number; the successor and the
agency's approval are checked again that day, through the HR source, and an appointment is refused
if either no longer holds) → ``appointed``. The review not approving, or the appointing authority
(or agency HR) falling back after a refusal, goes to ``falling_back`` → ``fell_back``: the open
selection for the vacancy is started (its row, then its workflow as an abandoned child, so it
outlives this one) and named in the ledger.

Updates: ``appoint(AppointInput)``, ``fall_back(FallBackInput)``. Query: ``state()``.
Every decision is appended to the ledger with the read model once durable (``workflows/ledgered.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.entries import decided_entry

with workflow.unsafe.imports_passed_through():
    from activities.talent_appointments import TalentAppointmentActivities
    from activities.talent_contracts import (
        AppointmentView,
        PrepareSelection,
        RecordTalentAppointment,
        SuccessorCheckRequest,
        TalentAppointmentRecords,
    )
    from domain import reasons
    from domain.enums import Role
    from domain.errors import NotPermitted, RuleViolation, WrongStage
    from domain.ledger import Actor
    from domain.processes import ProcessKind
    from domain.review import SubjectType, Verdict
    from domain.talent.filling import APPOINTMENT_TERMINAL
    from domain.talent.filling import AppointmentStage as Stage
    from domain.talent.rulebook import get_talent_rulebook
    from store.selection_records import SelectionIdentity
    from workflows import policies
    from workflows.contracts import NextStep, ReviewRequest, review_workflow_id
    from workflows.errors import refused
    from workflows.ledgered import Outbox
    from workflows.review import ThirdPartyReviewWorkflow
    from workflows.selection import OpenSelectionWorkflow
    from workflows.selection_contracts import selection_workflow_id
    from workflows.talent_contracts import (
        AppointInput,
        FallBackInput,
        StartTalentAppointment,
        TalentAppointmentState,
    )

SYSTEM = Actor(id="system:talent", role="system")


@workflow.defn
class TalentAppointmentWorkflow:
    @workflow.init
    def __init__(self, inp: StartTalentAppointment) -> None:
        self._inp = inp
        self._rb = get_talent_rulebook(inp.rulebook_version)
        self._stage = Stage.OVERSIGHT_REVIEW
        self._status = "in_progress"
        self._review_id: str | None = None
        self._decree: dict[str, Any] | None = None
        self._selection_id: str | None = None
        self._reason: str | None = None
        self._entries = 0
        self._started = False
        self._lock = asyncio.Lock()
        self._ledger: Outbox[RecordTalentAppointment, TalentAppointmentRecords] = Outbox(
            write_one=TalentAppointmentActivities.record_talent_appointment,
            write_batch=TalentAppointmentActivities.record_talent_appointment_batch,
            batch_of=lambda items: TalentAppointmentRecords(items=items),
        )

    @workflow.run
    async def run(self, inp: StartTalentAppointment) -> TalentAppointmentState:
        self._ledger.open()
        fallback = selection_workflow_id(inp.fallback.agency, inp.fallback.code)
        payload = {
            "post_id": inp.post_id,
            "post_title": inp.post_title,
            "post_level": inp.post_level,
            "vacated_on": inp.vacated_on.isoformat(),
            "successor": inp.successor_nip,
            "decision": inp.decision,
            "fallback_selection": fallback,
            "rulebook": self._rb.version,
        }
        await self._append("talent_appointment.started", inp.requested_by, None, payload)
        self._started = True
        await self._review()
        await workflow.wait_condition(lambda: self._stage is not Stage.APPOINTMENT)
        if self._stage is Stage.FALLING_BACK:
            await self._start_selection()
        await self._ledger.settled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _review(self) -> None:
        inp, info = self._inp, workflow.info()
        review_id = review_workflow_id("successor", info.workflow_id, 1)
        request = ReviewRequest(
            subject_type=SubjectType.TALENT_SUCCESSOR,
            subject_id=info.workflow_id,
            subject_persons=[inp.successor_nip],
            parent_process_id=info.workflow_id,
            agency=inp.agency,
            body_code=inp.oversight_body,
            rule=self._rb.successor_review,
            rulebook_version=self._rb.version,
            requested_by=Actor(id=info.workflow_id, role="system"),
        )
        # Recorded once the review exists: the entry never names a review a crash kept from starting.
        child = await workflow.start_child_workflow(
            ThirdPartyReviewWorkflow.run,
            request,
            id=review_id,
            parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
        )
        self._review_id = review_id
        requested = {"review_id": review_id, "body": inp.oversight_body}
        await self._append("talent_appointment.review_requested", SYSTEM, self._stage, requested)
        result = await child
        found = {
            "review_id": review_id,
            "outcome": result.outcome.value if result.outcome else None,
            "findings": [f.model_dump() for f in result.findings],
            "automatic": result.automatic,
        }
        actor = Actor(id=f"review:{review_id}", role="reviewer", on_behalf_of=inp.oversight_body)
        async with self._lock:
            if result.outcome is Verdict.APPROVE:
                await self._move(
                    Stage.APPOINTMENT, "talent_appointment.review_concluded", actor, found
                )
                return
            why = result.reason or reasons.NOT_APPROVED_BY_BODY
            self._reason = reasons.SUCCESSOR_NOT_APPROVED.format(why=why)
            await self._move(
                Stage.FALLING_BACK,
                "talent_appointment.review_concluded",
                actor,
                found,
                self._reason,
            )

    async def _start_selection(self) -> None:
        """The vacancy's open selection: its row, then its workflow, which outlives this one."""
        sel = self._inp.fallback
        sid = selection_workflow_id(sel.agency, sel.code)
        identity = SelectionIdentity(**sel.model_dump(include=set(SelectionIdentity.model_fields)))
        created = await workflow.execute_activity_method(
            TalentAppointmentActivities.prepare_selection,
            PrepareSelection(process_id=sid, identity=identity),
            start_to_close_timeout=policies.RECORD_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
        existed = False
        try:
            await workflow.start_child_workflow(
                OpenSelectionWorkflow.run,
                sel,
                id=sid,
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            existed = True  # started already (by HR, or an earlier vacancy event): it is the one
        self._selection_id, self._status = sid, "fell_back"
        payload = {"selection_id": sid, "row_created": created, "already_running": existed}
        await self._move(Stage.FELL_BACK, "talent_appointment.selection_started", SYSTEM, payload)

    # ---- updates -------------------------------------------------------------------------------

    @workflow.update
    async def appoint(self, inp: AppointInput) -> TalentAppointmentState:
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            self._check_appoint(inp)
            a = self._inp
            check = await workflow.execute_activity_method(
                TalentAppointmentActivities.check_successor,
                SuccessorCheckRequest(
                    nip=a.successor_nip,
                    agency=a.agency,
                    post_level=a.post_level,
                    on=workflow.now().date(),
                    rulebook_version=self._rb.version,
                ),
                start_to_close_timeout=policies.HR_SNAPSHOT_TIMEOUT,
                retry_policy=policies.HR_SNAPSHOT_RETRY,
            )
            if not check.approval_current:
                unmet = "; ".join(c["message"] for c in check.approval_checks if not c["met"])
                raise refused(
                    RuleViolation(
                        f"The agency's talent-management approval is no longer current: {unmet} "
                        "Fall back to an open selection, or record a current approval first.",
                        code="talent_approval_expired",
                        checks=check.approval_checks,
                    )
                )
            if not check.eligible:
                unmet = "; ".join(r["message"] for r in check.reasons if not r["met"])
                raise refused(
                    RuleViolation(
                        f"{a.successor_nip} no longer meets JPT {a.post_level} eligibility: "
                        f"{unmet} Fall back to an open selection.",
                        code="successor_no_longer_eligible",
                        reasons=check.reasons,
                    )
                )
            self._decree = {
                "number": inp.decree_number,
                "signed_by": inp.actor.id,
                "successor": a.successor_nip,
            }
            self._status = "completed"
            payload = {"decree": self._decree, "check": check.model_dump(), "note": inp.note}
            await self._move(Stage.APPOINTED, "talent_appointment.appointed", inp.actor, payload)
        await self._ledger.settled()
        return self.state()

    @appoint.validator
    def _check_appoint(self, inp: AppointInput) -> None:
        self._at_appointment("appoint")
        a = inp.actor
        if a.role != Role.APPOINTING_AUTHORITY.value or a.id != self._inp.appointing_authority_id:
            raise refused(
                NotPermitted(
                    f"Only the appointing authority named for this post "
                    f"({self._inp.appointing_authority_id}), acting as such, may appoint.",
                    code="not_appointing_authority",
                )
            )

    @workflow.update
    async def fall_back(self, inp: FallBackInput) -> TalentAppointmentState:
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            self._check_fall_back(inp)
            self._reason = inp.reason
            await self._move(
                Stage.FALLING_BACK,
                "talent_appointment.fell_back",
                inp.actor,
                {"reason": inp.reason},
                inp.reason,
            )
        await workflow.wait_condition(lambda: self._stage in APPOINTMENT_TERMINAL)
        await self._ledger.settled()
        return self.state()

    @fall_back.validator
    def _check_fall_back(self, inp: FallBackInput) -> None:
        self._at_appointment("fall back")
        a = inp.actor
        authority = (
            a.role == Role.APPOINTING_AUTHORITY.value and a.id == self._inp.appointing_authority_id
        )
        if not (authority or a.role == Role.AGENCY_HR.value):
            raise refused(
                NotPermitted(
                    "Only the appointing authority or agency HR may fall back to open selection.",
                    code="not_appointing_authority",
                )
            )

    @workflow.query
    def state(self) -> TalentAppointmentState:
        return TalentAppointmentState(
            process_id=workflow.info().workflow_id,
            stage=self._stage.value,
            status=self._status,
            review_id=self._review_id,
            decree=self._decree,
            selection_id=self._selection_id,
            outcome_reason=self._reason,
            pending=self._next_step(),
        )

    def _next_step(self) -> NextStep | None:
        """What the appointment waits for next (its updates answer it as pending)."""
        if self._stage is Stage.OVERSIGHT_REVIEW:
            return NextStep(
                step="successor_review", role=Role.REVIEWER.value, review_id=self._review_id
            )
        if self._stage is Stage.APPOINTMENT:
            authority = self._inp.appointing_authority_id
            return NextStep(
                step="appoint", role=Role.APPOINTING_AUTHORITY.value, actors=[authority]
            )
        if self._stage is Stage.FALLING_BACK:
            return NextStep(step="start_selection", role="system")
        return None

    # ---- the ledger ----------------------------------------------------------------------------

    def _at_appointment(self, what: str) -> None:
        if self._stage is not Stage.APPOINTMENT:
            raise refused(
                WrongStage(
                    f"The process is at '{self._stage.value}'; one may {what} only at "
                    "'appointment', once the oversight body approved the successor.",
                    code="wrong_stage",
                )
            )

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
        inp = self._inp
        self._entries += 1
        entry = decided_entry(
            self._entries,
            process_kind=ProcessKind.TALENT_APPOINTMENT,
            kind=kind,
            actor=actor,
            stage_before=stage_before,
            stage_after=self._stage,
            agency=inp.agency,
            payload=payload,
            rulebook_version=self._rb.version,
            subject=inp.successor_nip,
            justification=justification,
        )
        view = AppointmentView(
            stage=self._stage.value,
            status=self._status,
            review_id=self._review_id,
            decree=self._decree,
            selection_id=self._selection_id,
            outcome_reason=self._reason,
        )
        item = RecordTalentAppointment(process_id=entry.process_id, entry=entry, view=view)
        await self._ledger.put(item, entry_id=entry.entry_id)
