"""PromotionWorkflow: one rank promotion (kenaikan pangkat) of one employee in one period.

Updates:   ``decide(DecisionInput) -> PromotionState`` — approve, return for correction, or reject the
           pending step, always with a justification; the validator refuses anything out of turn.
Signals:   ``employee_changed(event_id)`` — the HR source's record of the employee changed (an
           inbound event); recorded only, so no command is added: the snapshot already taken stays
           what eligibility was assessed on.
Queries:   ``state() -> PromotionState`` (the API reads the read model instead; this is for tooling);
           ``employee_changes() -> list[str]`` — the ids of the change events received.
Timers:    per pending step, in the rulebook's duration unit (working days; minutes under a training
           rulebook): a reminder, then an escalation (the step's escalation role may act from then
           on); for BKN's technical approval, automatic approval where the rulebook says so.
Outcomes:  completed (decree signed), ineligible (every reason listed), rejected, failed.

Every accepted decision and every timer event is appended to the ledger with the read model, once
the decision is durable in the history (``workflows/ledgered.py``), under an entry id derived from
the run, so a retried write never writes twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.contracts import (
        HolidaysRequest,
        PromotionRecords,
        RecordPromotion,
        SnapshotRequest,
    )
    from activities.hr import HrActivities
    from activities.ledger import LedgerActivities
    from domain.calendar import WorkingCalendar
    from domain.eligibility import EligibilityResult, assess_eligibility
    from domain.employee import EmployeeRecord
    from domain.enums import Decision, PromotionStatus, Step
    from domain.errors import DomainError, InProgress
    from domain.ledger import Actor, LedgerEntryIn, entry_id
    from domain.processes import ProcessKind
    from domain.promotion_chain import (
        Move,
        PendingFacts,
        next_after_decision,
        validate_decision,
    )
    from domain.review import SubjectType, Verdict
    from domain.rulebook import Rulebook, StepRule, get_rulebook
    from workflows import policies
    from workflows.contracts import (
        DecisionInput,
        Decree,
        PendingStep,
        PromotionState,
        ReviewRequest,
        StartPromotion,
        review_workflow_id,
    )
    from workflows.errors import refused
    from workflows.ledgered import Outbox
    from workflows.promotion_records import identity, promotion_view, start_payload
    from workflows.promotion_steps import (
        SYSTEM,
        auto_approval,
        next_timer,
        open_step,
        technical_review_rule,
    )
    from workflows.review import ThirdPartyReviewWorkflow

# From this change on, BKN's technical approval is a ThirdPartyReviewWorkflow child; runs that
# started before it keep deciding that step through updates.
BKN_REVIEW_PATCH = "bkn-technical-approval-as-review"
# Change events remembered per run (newest last), enough to deduplicate re-sent ones.
MAX_EMPLOYEE_CHANGES = 100
VERDICT_TO_DECISION = {
    Verdict.APPROVE: Decision.APPROVE,
    Verdict.RETURN: Decision.RETURN,
    Verdict.REJECT: Decision.REJECT,
}


@workflow.defn
class PromotionWorkflow:
    @workflow.init
    def __init__(self, inp: StartPromotion) -> None:
        # Known before any handler runs: a decision sent in the same first task as the start is
        # then refused for what it is (no step open yet), not failed by a missing input.
        self._inp: StartPromotion | None = inp
        self._rulebook: Rulebook | None = get_rulebook(inp.rulebook_version)
        self._record: EmployeeRecord | None = None
        self._status = PromotionStatus.STARTING
        self._stage = "snapshot"
        self._pending: PendingStep | None = None
        self._eligibility: EligibilityResult | None = None
        self._decree: Decree | None = None
        self._return_count = 0
        self._resume_at: Step | None = None
        self._outcome_reason: str | None = None
        self._last_decision: dict[str, Any] | None = None
        self._queued: tuple[DecisionInput, str] | None = None
        self._processed: set[str] = set()
        self._entries = 0
        self._reviews = 0
        self._employee_changes: list[str] = []
        self._ledger: Outbox[RecordPromotion, PromotionRecords] = Outbox(
            write_one=LedgerActivities.record_promotion,
            write_batch=LedgerActivities.record_promotion_batch,
            batch_of=lambda items: PromotionRecords(items=items),
        )

    # ---- run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: StartPromotion) -> PromotionState:
        self._ledger.open()
        try:
            state = await self._run(inp)
            await self._ledger.settled()
            return state
        except BaseException as err:
            # Cancelling while a review child runs surfaces as a child error caused by cancellation.
            if not is_cancelled_exception(err):
                raise
            before = self._stage
            self._status, self._stage, self._pending = PromotionStatus.FAILED, "cancelled", None
            self._outcome_reason = "cancelled"
            await self._append(
                "promotion.cancelled", SYSTEM, before, payload={"reason": "cancelled"}
            )
            await self._ledger.settled()
            raise

    async def _run(self, inp: StartPromotion) -> PromotionState:
        await self._append(
            "promotion.started", inp.requested_by, payload=start_payload(inp, self._require()[1])
        )
        record = await self._snapshot(inp.nip)
        if record is None:
            return self.state()
        self._record = record
        calendar = await self._calendar(inp.period)
        if not await self._assess(record):
            return self.state()
        await self._approval_chain(calendar)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _snapshot(self, nip: str) -> EmployeeRecord | None:
        given = self._require()[0].snapshot
        if given is not None:  # started with it (a period's page): no activity
            return given
        try:
            return await workflow.execute_activity_method(
                HrActivities.snapshot_employee,
                SnapshotRequest(nip=nip),
                start_to_close_timeout=policies.HR_SNAPSHOT_TIMEOUT,
                retry_policy=policies.HR_SNAPSHOT_RETRY,
            )
        except ActivityError as err:
            if is_cancelled_exception(err):
                raise  # cancelled while the record was read: recorded as a cancellation by run()
            reason = str(err.cause.message if isinstance(err.cause, ApplicationError) else err)
            await self._finish(PromotionStatus.FAILED, "failed", reason, "promotion.failed", SYSTEM)
            return None

    async def _calendar(self, period: date) -> WorkingCalendar:
        start_year = workflow.now().year
        years = sorted({start_year, start_year + 1, period.year})
        inp = self._require()[0]
        if inp.holidays is not None and set(years) <= set(inp.holiday_years):
            return WorkingCalendar(inp.holidays)  # started with it: no activity
        result = await workflow.execute_activity_method(
            CalendarActivities.load_holidays,
            HolidaysRequest(years=years),
            start_to_close_timeout=policies.CALENDAR_TIMEOUT,
            retry_policy=policies.CALENDAR_RETRY,
        )
        return WorkingCalendar(result.dates)

    async def _assess(self, record: EmployeeRecord) -> bool:
        inp, rb = self._require()
        result = assess_eligibility(record, inp.promotion_type, rb, inp.period)
        self._eligibility = result
        payload = {
            "eligibility": result.model_dump(mode="json"),
            "snapshot": record.model_dump(mode="json"),
        }
        if result.eligible:
            self._status = PromotionStatus.IN_PROGRESS
            self._stage = "eligible"
            await self._append(
                "promotion.eligibility_assessed", SYSTEM, "snapshot", payload=payload
            )
            return True
        unmet = "; ".join(r.message for r in result.reasons if not r.met)
        await self._finish(
            PromotionStatus.INELIGIBLE,
            "ineligible",
            unmet,
            "promotion.eligibility_assessed",
            SYSTEM,
            payload=payload,
            stage_before="snapshot",
        )
        return False

    async def _approval_chain(self, calendar: WorkingCalendar) -> None:
        _, rb = self._require()
        self._open_step(rb.steps[0], calendar)
        await self._append_view_only()
        while self._pending is not None:
            if self._pending.step is Step.BKN_TECHNICAL_APPROVAL and workflow.patched(
                BKN_REVIEW_PATCH
            ):
                await self._technical_review(calendar)
                continue
            queued = await self._wait_for_decision(calendar)
            if queued is None:
                continue
            decision, update_id = queued
            await self._apply_decision(decision, update_id, calendar)

    async def _technical_review(self, calendar: WorkingCalendar) -> None:
        """BKN's pertek as a third-party review: the child decides, this step records its outcome."""
        inp, rb = self._require()
        pending = self._pending
        assert pending is not None
        self._reviews += 1
        review_id = review_workflow_id("pertek", workflow.info().workflow_id, self._reviews)
        pending.review_id = review_id
        payload = {"review_id": review_id, "body": inp.technical_approval_body}
        request = self._review_request(rb.step_rule(Step.BKN_TECHNICAL_APPROVAL))
        if self._ledger.durable:
            # The request is recorded once the review exists: its entry never names a review
            # that a crash kept from starting.
            child = await workflow.start_child_workflow(
                ThirdPartyReviewWorkflow.run,
                request,
                id=review_id,
                parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
            )
            await self._append("promotion.review_requested", SYSTEM, self._stage, payload=payload)
            result = await child
        else:
            await self._append("promotion.review_requested", SYSTEM, self._stage, payload=payload)
            result = await workflow.execute_child_workflow(
                ThirdPartyReviewWorkflow.run,
                request,
                id=review_id,
                parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
            )
        if result.outcome is None:
            reason = f"technical approval could not be reviewed: {result.reason}"
            await self._finish(
                PromotionStatus.FAILED,
                "failed",
                reason,
                "promotion.failed",
                SYSTEM,
                payload={"review_id": review_id},
            )
            return
        body = inp.technical_approval_body
        decision = DecisionInput(
            actor=Actor(id=f"review:{review_id}", role="bkn", on_behalf_of=body),
            decision=VERDICT_TO_DECISION[result.outcome],
            justification=f"Third-party review {review_id} by {body}: {result.reason}",
            corrections=[f.what for f in result.findings],
        )
        extra = {"review_id": review_id, "automatic": result.automatic}
        await self._apply_decision(
            decision, None, calendar, kind="promotion.review_concluded", extra=extra
        )

    def _review_request(self, step: StepRule) -> ReviewRequest:
        inp, rb = self._require()
        record = self._record
        persons = [inp.nip] + ([record.supervisor_nip] if record and record.supervisor_nip else [])
        return ReviewRequest(
            subject_type=SubjectType.PROMOTION_TECHNICAL_APPROVAL,
            subject_id=workflow.info().workflow_id,
            subject_persons=persons,
            parent_process_id=workflow.info().workflow_id,
            agency=inp.agency,
            body_code=inp.technical_approval_body,
            rule=technical_review_rule(rb, step),
            rulebook_version=rb.version,
            requested_by=Actor(id=workflow.info().workflow_id, role="system"),
        )

    # ---- steps and timers ------------------------------------------------------------------

    def _open_step(self, rule: StepRule, calendar: WorkingCalendar) -> None:
        self._stage = rule.step.value
        rb = self._require()[1]
        self._pending = open_step(rb, rule, workflow.now(), calendar, self._record)

    async def _wait_for_decision(
        self, calendar: WorkingCalendar
    ) -> tuple[DecisionInput, str] | None:
        """Wait for a decision or the next timer; returns the decision, or None after a timer fired."""
        pending = self._pending
        assert pending is not None
        fire_at, event = next_timer(pending)
        try:
            if fire_at is None:
                await workflow.wait_condition(lambda: self._queued is not None)
            else:
                timeout = max((fire_at - workflow.now()).total_seconds(), 0.0)
                await workflow.wait_condition(lambda: self._queued is not None, timeout=timeout)
        except TimeoutError:
            await self._on_timer(event, calendar)
            return None
        queued = self._queued
        return queued

    async def _on_timer(self, event: str, calendar: WorkingCalendar) -> None:
        pending = self._pending
        assert pending is not None
        _, rb = self._require()
        rule = rb.step_rule(pending.step)
        if event == "auto_approval":
            await self._auto_approve(rule, calendar)
            return
        if event == "reminder":
            pending.reminded = True
            payload: dict[str, Any] = {
                "step": pending.step.value,
                "due_at": pending.due_at.isoformat(),
            }
            await self._append("promotion.reminder_sent", SYSTEM, self._stage, payload=payload)
            return
        pending.escalated = True
        pending.escalated_to = rule.escalate_to.value if rule.escalate_to else None
        payload = {
            "step": pending.step.value,
            "escalated_to": pending.escalated_to,
            "due_at": pending.due_at.isoformat(),
        }
        await self._append("promotion.escalated", SYSTEM, self._stage, payload=payload)

    async def _auto_approve(self, rule: StepRule, calendar: WorkingCalendar) -> None:
        pending = self._pending
        assert pending is not None
        decision, extra = auto_approval(self._require()[1], rule, pending)
        await self._apply_decision(
            decision, None, calendar, kind="promotion.auto_approved", extra=extra
        )

    # ---- decisions -------------------------------------------------------------------------

    async def _apply_decision(
        self,
        d: DecisionInput,
        update_id: str | None,
        calendar: WorkingCalendar,
        *,
        kind: str = "promotion.decision",
        extra: dict[str, Any] | None = None,
    ) -> None:
        pending = self._pending
        assert pending is not None
        inp, rb = self._require()
        if update_id is not None:
            # Free the slot before recording: once the read model shows the next step, its holder
            # may decide at once, and that decision must not be wiped when this one finishes.
            self._queued = None
        before = self._stage
        nxt = next_after_decision(rb, pending.step, d.decision, self._resume_at)
        self._resume_at = nxt.resume_at
        self._last_decision = {
            "step": pending.step.value,
            "decision": d.decision.value,
            "actor_id": d.actor.id,
            "at": workflow.now().isoformat(),
        }
        if d.decision is Decision.RETURN:
            self._return_count += 1
        payload = {"step": pending.step.value, "decision": d.decision.value, **(extra or {})}
        if d.corrections:
            payload["corrections"] = d.corrections
        if nxt.completed:
            self._decree = Decree(
                number=d.decree_number or "", effective_date=inp.period, signed_by=d.actor.id
            )
            payload["decree"] = self._decree.model_dump(mode="json")
            self._status, self._stage, self._pending = PromotionStatus.COMPLETED, "completed", None
        elif nxt.rejected:
            self._status, self._stage, self._pending = PromotionStatus.REJECTED, "rejected", None
            self._outcome_reason = d.justification
        else:
            assert nxt.next_step is not None
            self._open_step(rb.step_rule(nxt.next_step), calendar)
        await self._append(
            kind,
            d.actor,
            before,
            payload=payload,
            justification=d.justification,
            update_id=update_id,
        )
        if update_id is not None:
            self._processed.add(update_id)

    @workflow.update
    async def decide(self, d: DecisionInput) -> PromotionState:
        info = workflow.current_update_info()
        update_id = info.id if info else workflow.uuid4().hex
        if self._queued is not None:
            # Two updates validated in the same activation: only the first one is taken.
            raise refused(
                InProgress(
                    "Another decision on this step is being recorded; reload and try again.",
                    code="decision_in_progress",
                )
            )
        self._queued = (d, update_id)
        await workflow.wait_condition(lambda: update_id in self._processed)
        # Answer once the decision is in the ledger and the read model: the caller may read both.
        await self._ledger.settled()
        return self.state()

    @decide.validator
    def _validate_decide(self, d: DecisionInput) -> None:
        inp, rb = self._require()
        try:
            validate_decision(
                rb,
                status=self._status,
                pending=self._pending_facts(),
                agency=inp.agency,
                move=Move(
                    actor=d.actor,
                    decision=d.decision,
                    justification=d.justification,
                    step_seen=d.step,
                    decree_number=d.decree_number,
                ),
                busy=self._queued is not None,
            )
        except DomainError as err:
            raise refused(err) from err

    def _pending_facts(self) -> PendingFacts | None:
        p = self._pending
        if p is None:
            return None
        return PendingFacts(
            step=p.step, actor_id=p.actor_id, escalated_to=p.escalated_to, review_id=p.review_id
        )

    @workflow.signal
    def employee_changed(self, event_id: str) -> None:
        if event_id not in self._employee_changes:
            self._employee_changes = [*self._employee_changes, event_id][-MAX_EMPLOYEE_CHANGES:]

    @workflow.query
    def employee_changes(self) -> list[str]:
        return list(self._employee_changes)

    @workflow.query
    def state(self) -> PromotionState:
        return PromotionState(
            process_id=workflow.info().workflow_id,
            status=self._status,
            stage=self._stage,
            pending=self._pending,
            eligibility=self._eligibility,
            decree=self._decree,
            return_count=self._return_count,
            resume_at=self._resume_at,
            outcome_reason=self._outcome_reason,
            last_decision=self._last_decision,
        )

    # ---- ledger ----------------------------------------------------------------------------

    async def _finish(
        self,
        status: PromotionStatus,
        stage: str,
        reason: str,
        kind: str,
        actor: Actor,
        *,
        payload: dict[str, Any] | None = None,
        stage_before: str | None = None,
    ) -> None:
        before = stage_before or self._stage
        self._status, self._stage, self._pending, self._outcome_reason = status, stage, None, reason
        await self._append(kind, actor, before, payload={"reason": reason, **(payload or {})})

    async def _append_view_only(self) -> None:
        pending = self._pending
        payload = (
            {"step": pending.step.value, "due_at": pending.due_at.isoformat()} if pending else {}
        )
        await self._append("promotion.step_opened", SYSTEM, "eligible", payload=payload)

    async def _append(
        self,
        kind: str,
        actor: Actor,
        stage_before: str | None = None,
        *,
        payload: dict[str, Any] | None = None,
        justification: str | None = None,
        update_id: str | None = None,
    ) -> None:
        inp, rb = self._require()
        info = workflow.info()
        self._entries += 1
        entry = LedgerEntryIn(
            entry_id=entry_id(info.workflow_id, info.run_id, self._entries),
            process_id=info.workflow_id,
            process_kind=ProcessKind.PROMOTION,
            kind=kind,
            outcome="accepted",
            stage_before=stage_before,
            stage_after=self._stage,
            actor=actor,
            subject=inp.nip,
            agency=inp.agency,
            payload=payload or {},
            justification=justification,
            rulebook_version=rb.version,
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            update_id=update_id,
            occurred_at=workflow.now(),
        )
        item = RecordPromotion(
            process_id=info.workflow_id,
            entry=entry,
            view=promotion_view(self.state()),
            identity=identity(inp, rb),
        )
        await self._ledger.put(item, entry_id=entry.entry_id)

    def _require(self) -> tuple[StartPromotion, Rulebook]:
        assert self._inp is not None
        assert self._rulebook is not None
        return self._inp, self._rulebook
