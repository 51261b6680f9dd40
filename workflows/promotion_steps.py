"""A promotion's pending step: its deadlines in the rulebook's unit, its next timer, the review BKN's
step asks for, and the automatic approval. Pure functions of the rulebook, the step and the moment:
they make no commands, so the workflow decides when to call them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.calendar import WorkingCalendar
from domain.durations import after, describe
from domain.employee import EmployeeRecord
from domain.enums import Decision, Step
from domain.ledger import Actor
from domain.review import ReviewRule, SubjectType, review_rule
from domain.rulebook import Rulebook, StepRule
from workflows.contracts import DecisionInput, PendingStep

SYSTEM = Actor(id="system:timer", role="system")


def open_step(
    rb: Rulebook,
    rule: StepRule,
    now: datetime,
    calendar: WorkingCalendar,
    record: EmployeeRecord | None,
) -> PendingStep:
    """The step ``rule`` opened at ``now``, every deadline counted in the rulebook's unit."""
    unit, auto = rb.duration_unit, rule.auto_approve_after_days
    return PendingStep(
        step=rule.step,
        role=rule.role.value,
        actor_id=record.supervisor_nip if rule.step is Step.SUPERVISOR and record else None,
        started_at=now,
        reminder_at=after(now, rule.reminder_after_days, unit, calendar),
        due_at=after(now, rule.due_after_days, unit, calendar),
        auto_approve_at=after(now, auto, unit, calendar) if auto else None,
        escalated_to=None,
    )


def next_timer(p: PendingStep) -> tuple[datetime | None, str]:
    """The earliest timer still to fire on ``p`` and its event; (None, "") when none is left."""
    candidates: list[tuple[datetime, str]] = []
    if not p.reminded:
        candidates.append((p.reminder_at, "reminder"))
    if not p.escalated:
        candidates.append((p.due_at, "escalation"))
    if p.auto_approve_at is not None:
        candidates.append((p.auto_approve_at, "auto_approval"))
    if not candidates:
        return None, ""
    return min(candidates)


def technical_review_rule(rb: Rulebook, step: StepRule) -> ReviewRule:
    """BKN's review runs by the step's numbers and the rulebook's unit; where the rulebook approves
    a silent BKN automatically, the review's due date is that approval."""
    auto = step.auto_approve_after_days
    return review_rule(SubjectType.PROMOTION_TECHNICAL_APPROVAL, rb.duration_unit).model_copy(
        update={
            "reminder_after_days": step.reminder_after_days,
            "due_after_days": auto or step.due_after_days,
            "silence_approves": auto is not None,
        }
    )


def auto_approval(
    rb: Rulebook, rule: StepRule, pending: PendingStep
) -> tuple[DecisionInput, dict[str, Any]]:
    """The system's approval of a step left undecided past ``auto_approve_after_days``."""
    days = rule.auto_approve_after_days
    assert days is not None
    decision = DecisionInput(
        actor=SYSTEM,
        decision=Decision.APPROVE,
        justification=f"No decision within {describe(days, rb.duration_unit)}: approved "
        f"automatically under the rulebook {rb.version}.",
    )
    extra = {
        "automatic": True,
        "rule": f"auto_approve_after_days={days}",
        "duration_unit": rb.duration_unit.value,
        "timer_started_at": pending.started_at.isoformat(),
    }
    return decision, extra
