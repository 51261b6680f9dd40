"""The stage machine of an open JPT selection (PP 11/2017 phases, domain-rules §1.3).

Registration extensions stay within REGISTRATION. The oversight review of the shortlist may send the
process back to the stage its findings name, keeping what was recorded; any stage before the end
may be cancelled by the appointing authority.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from domain.errors import Conflict, WrongStage


class Stage(StrEnum):
    PLANNING = "planning"
    PLAN_REVIEW = "plan_review"
    ANNOUNCEMENT = "announcement"
    REGISTRATION = "registration"
    SCREENING = "screening"
    ASSESSMENT = "assessment"
    SHORTLIST = "shortlist"
    OVERSIGHT_REVIEW = "oversight_review"
    APPOINTMENT = "appointment"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


TERMINAL: frozenset[Stage] = frozenset({Stage.COMPLETED, Stage.CANCELLED, Stage.FAILED})

# Where a returned oversight review of the shortlist may send the process.
OVERSIGHT_RETURN_TARGETS: frozenset[Stage] = frozenset(
    {Stage.PLANNING, Stage.SCREENING, Stage.ASSESSMENT, Stage.SHORTLIST}
)

_FORWARD: dict[Stage, set[Stage]] = {
    # A returned plan goes back to planning; a rejected one ends the selection. A plan approved
    # again after the shortlist review sent the process back to planning goes on to screening
    # the applicants already registered.
    Stage.PLANNING: {Stage.PLAN_REVIEW},
    Stage.PLAN_REVIEW: {Stage.ANNOUNCEMENT, Stage.SCREENING, Stage.PLANNING, Stage.FAILED},
    Stage.ANNOUNCEMENT: {Stage.REGISTRATION},
    # Too few applicants once the extensions are used up.
    Stage.REGISTRATION: {Stage.SCREENING, Stage.FAILED},
    # Nobody eligible.
    Stage.SCREENING: {Stage.ASSESSMENT, Stage.FAILED},
    Stage.ASSESSMENT: {Stage.SHORTLIST},
    # Fewer qualified applicants than the rulebook accepts, or the plenary cannot approve.
    Stage.SHORTLIST: {Stage.OVERSIGHT_REVIEW, Stage.FAILED},
    Stage.OVERSIGHT_REVIEW: {Stage.APPOINTMENT, Stage.FAILED, *OVERSIGHT_RETURN_TARGETS},
    Stage.APPOINTMENT: {Stage.COMPLETED},
}

ALLOWED: dict[Stage, set[Stage]] = {
    stage: (_FORWARD.get(stage, set()) | ({Stage.CANCELLED} if stage not in TERMINAL else set()))
    for stage in Stage
}


def check_transition(a: Stage, b: Stage) -> None:
    """Refuse a move the stage machine does not allow, naming the moves it does allow."""
    if b in ALLOWED[a]:
        return
    if a in TERMINAL:
        text = f"The selection has ended ({a.value}); it cannot move to {b.value}."
    else:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[a]))
        text = f"A selection at {a.value} cannot move to {b.value}; allowed: {allowed}."
    raise Conflict(text, code="transition_not_allowed", current=a.value, target=b.value)


def require_stage(current: Stage, expected: Stage | Collection[Stage], action: str) -> None:
    """Refuse ``action`` unless the selection is at ``expected`` (one stage or any of several)."""
    wanted = {expected} if isinstance(expected, Stage) else set(expected)
    if current in wanted:
        return
    needed = " or ".join(sorted(s.value for s in wanted))
    raise WrongStage(
        f"Cannot {action}: the selection is at {current.value}, and this needs {needed}.",
        code="wrong_stage",
        current=current.value,
        expected=sorted(s.value for s in wanted),
    )
