"""A promotion's state and what every part of its workflow does with it: open a step, apply a
decision, record an entry, answer the state. The workflow (``workflows/promotion.py``) and BKN's
step (``workflows/promotion_bkn.py``) build on it; it makes commands only through the ledger's
Outbox.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.eligibility import EligibilityResult
    from domain.employee import EmployeeRecord
    from domain.enums import Decision, PromotionStatus, Step
    from domain.ledger import Actor
    from domain.promotion_chain import PendingFacts, next_after_decision
    from domain.review import RosterSnapshot
    from domain.rulebook import Rulebook, StepRule
    from workflows.contracts import (
        DecisionInput,
        Decree,
        PendingStep,
        PromotionState,
        StartPromotion,
    )
    from workflows.promotion_ledger import PromotionLedger
    from workflows.promotion_review import EmbeddedReview
    from workflows.promotion_steps import SYSTEM, open_step

# Change events remembered per run (newest last), enough to deduplicate re-sent ones.
MAX_EMPLOYEE_CHANGES = 100


class PromotionCore:
    _inp: StartPromotion | None
    _rulebook: Rulebook | None
    _record: EmployeeRecord | None
    _status: PromotionStatus
    _stage: str
    _pending: PendingStep | None
    _eligibility: EligibilityResult | None
    _decree: Decree | None
    _return_count: int
    _resume_at: Step | None
    _outcome_reason: str | None
    _last_decision: dict[str, Any] | None
    _queued: tuple[DecisionInput, str] | None
    _processed: set[str]
    _reviews: int
    _review: EmbeddedReview | None
    _roster: RosterSnapshot | None
    _roster_changed: bool
    _employee_changes: list[str]
    _trail: PromotionLedger
    _ends_on_confirmation: bool

    def _open_step(self, rule: StepRule, calendar: WorkingCalendar) -> None:
        self._stage = rule.step.value
        rb = self._require()[1]
        self._pending = open_step(rb, rule, workflow.now(), calendar, self._record)

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
            review=self._review.state() if self._review is not None else None,
        )

    def _ending(self) -> bool:
        """Whether the run, now at its outcome, waits for its caller's word that the handed
        entries are written (``workflows/ledgered.py``) before it ends."""
        live = (PromotionStatus.STARTING, PromotionStatus.IN_PROGRESS)
        return self._ends_on_confirmation and self._status not in live

    def _answer_state(self) -> PromotionState:
        """The state as an update answers it: without the eligibility, which the caller's row has
        had since it was assessed (answers and their history events stay small)."""
        return self.state().model_copy(update={"eligibility": None})

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
        await self._trail.promotion(
            inp,
            rb,
            self.state(),
            kind,
            actor,
            stage_before,
            payload=payload,
            justification=justification,
            update_id=update_id,
        )

    def _require(self) -> tuple[StartPromotion, Rulebook]:
        assert self._inp is not None
        assert self._rulebook is not None
        return self._inp, self._rulebook
