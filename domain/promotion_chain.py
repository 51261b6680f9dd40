"""Who may act on a promotion's approval chain, and where each decision leads."""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import Decision, PromotionStatus, Role, Step
from domain.errors import NotPermitted, NotYourStep, ProcessClosed, RuleViolation, WrongStage
from domain.ledger import Actor
from domain.rulebook import Rulebook

TERMINAL = {
    PromotionStatus.COMPLETED,
    PromotionStatus.INELIGIBLE,
    PromotionStatus.REJECTED,
    PromotionStatus.FAILED,
}
# BKN acts for every agency; every other step belongs to the employee's own agency.
NATIONAL_ROLES = {Role.BKN.value}


@dataclass(frozen=True)
class PendingFacts:
    step: Step
    actor_id: str | None
    escalated_to: str | None
    review_id: str | None = None


@dataclass(frozen=True)
class Move:
    actor: Actor
    decision: Decision
    justification: str
    step_seen: Step | None = None
    decree_number: str | None = None


@dataclass(frozen=True)
class ChainMove:
    next_step: Step | None
    resume_at: Step | None
    completed: bool = False
    rejected: bool = False


def validate_decision(
    rulebook: Rulebook,
    *,
    status: PromotionStatus,
    pending: PendingFacts | None,
    agency: str,
    move: Move,
    busy: bool,
) -> None:
    """Raise the first reason this move is not allowed now; return quietly if it is."""
    if status in TERMINAL:
        raise ProcessClosed(f"This promotion has ended ({status.value}); no decision is possible.")
    if pending is None:
        raise WrongStage("This promotion is not waiting for an approval yet.", code="not_pending")
    if move.step_seen is not None and move.step_seen is not pending.step:
        raise WrongStage(
            f"You acted on the step '{move.step_seen.value}', but the pending step is "
            f"'{pending.step.value}'.",
            code="stale_step",
            field="step",
        )
    if pending.review_id is not None:
        raise WrongStage(
            f"This step is decided by the third-party review {pending.review_id}; act on that review.",
            code="under_review",
        )
    if busy:
        raise WrongStage(
            "Another decision on this step is being recorded.", code="decision_in_progress"
        )
    _check_actor(rulebook, pending, agency, move.actor)
    _check_content(pending.step, move)


def _check_actor(rulebook: Rulebook, pending: PendingFacts, agency: str, actor: Actor) -> None:
    rule = rulebook.step_rule(pending.step)
    allowed = {rule.role.value} | ({pending.escalated_to} if pending.escalated_to else set())
    if actor.role not in allowed:
        raise NotYourStep(
            f"The pending step '{pending.step.value}' belongs to the role "
            f"{' or '.join(sorted(allowed))}, not {actor.role}.",
        )
    if actor.role not in NATIONAL_ROLES and actor.agency != agency:
        raise NotPermitted("This promotion belongs to another agency.", code="wrong_agency")
    named = pending.step is Step.SUPERVISOR and actor.role == Role.SUPERVISOR.value
    if named and pending.actor_id is not None and actor.id != pending.actor_id:
        raise NotPermitted(
            "Only the direct supervisor named in the employee record may act on this step.",
            code="not_named_supervisor",
        )


def _check_content(step: Step, move: Move) -> None:
    if not move.justification.strip():
        raise RuleViolation(
            "Every decision needs a justification.",
            code="justification_required",
            field="justification",
        )
    if move.decision is Decision.RETURN and step is Step.AGENCY_HR:
        raise RuleViolation(
            "Agency HR prepares the file itself: it can submit (approve) or reject it, not return it.",
            code="return_not_allowed",
            field="decision",
        )
    if move.decision is Decision.APPROVE and step is Step.APPOINTING_AUTHORITY:
        if not (move.decree_number or "").strip():
            raise RuleViolation(
                "Signing the decree needs its number (decree_number).",
                code="decree_number_required",
                field="decree_number",
            )


def next_after_decision(
    rulebook: Rulebook, step: Step, decision: Decision, resume_at: Step | None
) -> ChainMove:
    """A return sends the file to agency HR for correction; once resubmitted it goes back to the
    step that returned it, so no approver is skipped."""
    if decision is Decision.REJECT:
        return ChainMove(next_step=None, resume_at=None, rejected=True)
    if decision is Decision.RETURN:
        return ChainMove(next_step=Step.AGENCY_HR, resume_at=step)
    if step is Step.AGENCY_HR and resume_at is not None:
        return ChainMove(next_step=resume_at, resume_at=None)
    order = [s.step for s in rulebook.steps]
    index = order.index(step)
    if index == len(order) - 1:
        return ChainMove(next_step=None, resume_at=None, completed=True)
    return ChainMove(next_step=order[index + 1], resume_at=resume_at)
