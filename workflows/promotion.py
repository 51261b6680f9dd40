"""PromotionWorkflow: one rank promotion (kenaikan pangkat) of one employee in one period.

Updates:   ``decide(DecisionInput) -> PromotionAnswer`` (the state, and the entries it hands over
           to the caller) — approve, return for correction, or reject the
           pending step, always with a justification; the validator refuses anything out of turn.
           ``review_declare(DeclarationInput)`` / ``review_verdict(VerdictInput)`` -> ReviewAnswer —
           BKN's reviewer on the review this workflow runs for BKN's step (``promotion_bkn.py``);
           a deciding verdict answers with the promotion already at its next step.
Signals:   ``employee_changed(event_id)`` — the HR source's record of the employee changed (an
           inbound event); recorded only, so no command is added: the snapshot already taken stays
           what eligibility was assessed on.
Queries:   ``state() -> PromotionState`` (with BKN's open review, if any; the API reads the read
           model instead; this is for tooling);
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

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.contracts import HolidaysRequest, SnapshotRequest
    from activities.hr import HrActivities
    from domain import reasons
    from domain.calendar import WorkingCalendar
    from domain.eligibility import EligibilityResult, assess_eligibility
    from domain.employee import EmployeeRecord
    from domain.enums import PromotionStatus, Step
    from domain.errors import DomainError, InProgress
    from domain.promotion_chain import (
        Move,
        validate_decision,
    )
    from domain.review import RosterSnapshot
    from domain.rulebook import Rulebook, StepRule, get_rulebook
    from workflows import policies
    from workflows.changes import Changes
    from workflows.contracts import (
        DecisionInput,
        Decree,
        PendingStep,
        PromotionAnswer,
        PromotionState,
        StartPromotion,
    )
    from workflows.errors import refused
    from workflows.ledgered import (
        CONFIRM_SIGNAL,
        CONFIRMED_PATCH,
        ENDS_PATCH,
        HANDOVER_PATCH,
        PATCH,
    )
    from workflows.promotion_bkn import BknReview
    from workflows.promotion_ledger import PromotionLedger
    from workflows.promotion_records import start_payload
    from workflows.promotion_review import EmbeddedReview
    from workflows.promotion_steps import (
        SYSTEM,
        auto_approval,
        next_timer,
    )

# From this change on, BKN's technical approval is a ThirdPartyReviewWorkflow child; runs that
# started before it keep deciding that step through updates.
BKN_REVIEW_PATCH = "bkn-technical-approval-as-review"
# From this change on, that review runs inside the promotion (``workflows/promotion_review.py``);
# runs that took the child path keep it.
EMBEDDED_REVIEW_PATCH = "bkn-technical-approval-embedded"
# Runs from this change on take the four above under this one marker (``workflows/changes.py``).
BASELINE_PATCH = "promotion-changes-to-2026-12-under-one-marker"
CHANGES = (PATCH, HANDOVER_PATCH, BKN_REVIEW_PATCH, EMBEDDED_REVIEW_PATCH)
# ... and from this one on, those and the end on the caller's confirmation (ENDS_PATCH).
BASELINE_ENDS_PATCH = "promotion-changes-to-2026-12-03-under-one-marker"
# ... and from this one on, those and the catch-up that ends on the callers' confirmation.
BASELINE_CONFIRMED_PATCH = "promotion-changes-to-2026-12-04-under-one-marker"
BASELINES = (
    (BASELINE_CONFIRMED_PATCH, (*CHANGES, ENDS_PATCH, CONFIRMED_PATCH)),
    (BASELINE_ENDS_PATCH, (*CHANGES, ENDS_PATCH)),
    (BASELINE_PATCH, CHANGES),
)


@workflow.defn
class PromotionWorkflow(BknReview):
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
        self._reviews = 0
        self._review: EmbeddedReview | None = None
        self._roster: RosterSnapshot | None = None
        self._roster_changed = False
        self._employee_changes: list[str] = []
        self._trail = PromotionLedger()
        self._ledger = self._trail.outbox
        self._changes = Changes(BASELINES)
        self._ends_on_confirmation = False

    # ---- run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: StartPromotion) -> PromotionState:
        self._changes.start()
        self._ledger.open(handover=True, patched=self._changes.patched)
        self._ends_on_confirmation = self._ledger.handover and self._changes.patched(ENDS_PATCH)
        try:
            state = await self._run(inp)
            if self._ends_on_confirmation:
                await self._ledger.drained()  # the last caller's signal, or the catch-up
            else:
                await self._ledger.settled()
            return state
        except BaseException as err:
            # Cancelling while a review child runs surfaces as a child error caused by cancellation.
            if not is_cancelled_exception(err):
                raise
            before = self._stage
            if self._review is not None:
                self._review.cancel()
                await self._trail.review(self._review)
            self._status, self._stage, self._pending = PromotionStatus.FAILED, "cancelled", None
            self._outcome_reason = reasons.CANCELLED
            await self._append(
                "promotion.cancelled", SYSTEM, before, payload={"reason": reasons.CANCELLED}
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
            if self._pending.step is Step.BKN_TECHNICAL_APPROVAL and self._changes.patched(
                BKN_REVIEW_PATCH
            ):
                if self._ledger.durable and self._changes.patched(EMBEDDED_REVIEW_PATCH):
                    await self._embedded_review(calendar)
                else:
                    await self._technical_review(calendar)
                continue
            queued = await self._wait_for_decision(calendar)
            if queued is None:
                continue
            decision, update_id = queued
            await self._apply_decision(decision, update_id, calendar)

    # ---- steps and timers ------------------------------------------------------------------

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

    @workflow.update
    async def decide(self, d: DecisionInput) -> PromotionAnswer:
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
        self._ledger.confirm(d.written_through)
        with self._ledger.handling():
            self._queued = (d, update_id)
            await workflow.wait_condition(lambda: update_id in self._processed)
        if not self._ledger.handover:
            # Answer once the decision is in the ledger and the read model: the caller may read
            # both. (A run that hands over answers at once; its caller writes them.)
            await self._ledger.settled()
        return PromotionAnswer(
            state=self._answer_state(), ledger=self._ledger.tail(), ending=self._ending()
        )

    @workflow.signal(name=CONFIRM_SIGNAL)
    def ledger_written(self, entry_ids: list[str]) -> None:
        """An update's caller wrote what it was handed: the one that ended the run, or one that
        no next update followed soon (``actions/handed.py``)."""
        self._ledger.confirm(entry_ids)

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
