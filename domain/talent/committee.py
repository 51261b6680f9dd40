"""The talent review's stages, its committee's seats, and the rules of calibration and objection.

Every rule is pure: the workflow's validators, and the store's gated writes (a calibration move, an
objection, an answer), call these with what they know. A seat goes with the role
``talent_committee`` (a member acting in another role is refused, as in selections); a member who
declared a conflict of interest with someone may neither move them nor answer their objection; and a
member moves a person only after declaring (conflicts or none), only to another box, and only with a
justification of the rulebook's length.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.enums import Role
from domain.errors import NotPermitted, NotYourStep, RuleViolation, WrongStage
from domain.ledger import Actor
from domain.talent.rulebook import TalentRulebook

COMMITTEE_ROLE = Role.TALENT_COMMITTEE.value


class Stage(StrEnum):
    CUTOFF = "cutoff"
    CALIBRATION = "calibration"
    OBJECTION = "objection"
    ANSWERING = "answering"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = frozenset({Stage.COMPLETED, Stage.FAILED, Stage.CANCELLED})


class Seat(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"


SECRETARIAT = frozenset({Seat.CHAIR, Seat.SECRETARY})


class CommitteeMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    seat: Seat


def validate_committee(members: list[CommitteeMember]) -> None:
    """One chair, at most one secretary, no one twice, at least three members in all [GK]."""
    ids = [m.id for m in members]
    problems = []
    if len(set(ids)) != len(ids):
        problems.append("a member is listed twice")
    if sum(m.seat is Seat.CHAIR for m in members) != 1:
        problems.append("the committee needs exactly one chair")
    if sum(m.seat is Seat.SECRETARY for m in members) > 1:
        problems.append("the committee has at most one secretary")
    if len(members) < 3:
        problems.append("the committee needs at least three members")
    if problems:
        raise RuleViolation(
            f"The committee is not valid: {'; '.join(problems)}.",
            code="invalid_committee",
            field="committee",
        )


def require_stage(stage: str, allowed: set[Stage] | Stage, what: str) -> None:
    wanted = {allowed} if isinstance(allowed, Stage) else allowed
    if Stage(stage) not in wanted:
        names = " or ".join(sorted(s.value for s in wanted))
        raise WrongStage(
            f"The review is at '{stage}'; one may {what} only at {names}.", code="wrong_stage"
        )


def require_member(actor: Actor, seat: Seat | str | None, what: str) -> Seat:
    if seat is None:
        raise NotPermitted(
            f"{actor.id} is not on this review's talent committee; only its members {what}.",
            code="not_committee_member",
        )
    if actor.role != COMMITTEE_ROLE:
        raise NotPermitted(
            f"{actor.id} holds a committee seat, which is taken with the role {COMMITTEE_ROLE}; "
            f"this request came with the role {actor.role}.",
            code="wrong_role_for_seat",
        )
    return Seat(seat)


def require_secretariat(actor: Actor, seat: Seat | str | None, what: str) -> None:
    if require_member(actor, seat, what) not in SECRETARIAT:
        raise NotPermitted(
            f"Only the committee's chair or secretary {what}.", code="not_chair_or_secretary"
        )


def _justified(text: str | None, rb: TalentRulebook, what: str) -> None:
    if text is None or len(text.strip()) < rb.justification_min_chars:
        raise RuleViolation(
            f"{what} needs a justification of at least {rb.justification_min_chars} characters.",
            code="justification_required",
            field="justification",
        )


def _box(value: int) -> None:
    if not 1 <= value <= 9:
        raise RuleViolation("A box is a number from 1 to 9.", code="invalid_box", field="box")


def check_conflict(actor: Actor, declared: bool, conflicted: set[str], nip: str) -> None:
    if not declared:
        raise RuleViolation(
            "Declare your conflicts of interest (or none) before calibrating or answering.",
            code="conflict_declaration_required",
        )
    if nip in conflicted:
        raise NotPermitted(
            f"{actor.id} declared a conflict of interest with {nip} and is recused for them.",
            code="conflict_of_interest",
        )


def check_move(
    rb: TalentRulebook, *, current_box: int | None, to_box: int, justification: str | None
) -> None:
    """A calibration move: another box, with a justification."""
    _box(to_box)
    if current_box is None:
        raise RuleViolation(
            "This person could not be scored and has no box to move.", code="not_scored"
        )
    if to_box == current_box:
        raise RuleViolation(f"The person is already in box {to_box}.", code="same_box", field="box")
    _justified(justification, rb, "A calibration move")


def check_objection(
    *,
    filer: Actor,
    nip: str,
    published_box: int | None,
    closes_at: datetime | None,
    now: datetime,
    already: bool,
) -> None:
    """An employee objects to their own published box, once, while the window is open."""
    if filer.role != Role.EMPLOYEE.value or filer.id != nip:
        raise NotPermitted(
            "Only the employee themselves may object to their box.", code="not_your_record"
        )
    if published_box is None:
        raise NotYourStep(f"{nip} has no published box in this review.", code="not_in_review")
    if closes_at is None or now >= closes_at:
        raise WrongStage("The objection window is closed.", code="objection_window_closed")
    if already:
        raise WrongStage("You have already filed your objection.", code="objection_exists")


def check_answer(
    rb: TalentRulebook, *, uphold: bool, published_box: int, new_box: int | None, reason: str | None
) -> None:
    """Upholding an objection moves the person to another box; either answer says why."""
    _justified(reason, rb, "An answer to an objection")
    if not uphold:
        if new_box is not None:
            raise RuleViolation(
                "A rejected objection keeps the published box; send no new box.",
                code="validation_error",
                field="box",
            )
        return
    if new_box is None:
        raise RuleViolation(
            "An upheld objection names the new box.", code="validation_error", field="box"
        )
    _box(new_box)
    if new_box == published_box:
        raise RuleViolation(
            f"An upheld objection moves the person out of box {published_box}.",
            code="same_box",
            field="box",
        )
