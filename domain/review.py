"""Third-party review: subject rules, quorum, conflicts and accreditation.

Outside parties check merit processes: the oversight body (BKN since 2024, formerly KASN; the body is
configuration because the Constitutional Court ordered a new independent one), accredited assessment
centres, and BKN's technical approval (pertek) of a promotion. Every number here is rulebook data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from pydantic import BaseModel, Field

from domain import reasons
from domain.durations import DurationUnit
from domain.errors import NotYourStep, RuleViolation, WrongStage


class SubjectType(StrEnum):
    SELECTION_PLAN = "selection_plan"
    ASSESSMENT_REPORT = "assessment_report"
    SHORTLIST = "shortlist"
    PROMOTION_TECHNICAL_APPROVAL = "promotion_technical_approval"
    # A JPT post filled from the talent pool: the oversight body reviews the proposed successor.
    TALENT_SUCCESSOR = "talent_successor"


class Quorum(StrEnum):
    UNANIMOUS = "unanimous"
    MAJORITY = "majority"
    ANY_ONE = "any_one"


class Verdict(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


class BodyKind(StrEnum):
    OVERSIGHT = "oversight"
    ASSESSMENT_CENTRE = "assessment_centre"
    TECHNICAL_APPROVAL = "technical_approval"


ACCREDITATION_ORDER = ("C", "B", "A")


class ReviewRule(BaseModel):
    """How one subject type is reviewed; carried in the review's input, so a run keeps its rule.

    The reminder and the due date count ``duration_unit`` (the ``_days`` names are what running
    reviews carry in their histories): working days, or minutes under a training rulebook.
    """

    subject_type: SubjectType
    body_kind: BodyKind
    reviewers: int = Field(ge=1, le=15)
    quorum: Quorum
    reminder_after_days: int = Field(ge=1)
    due_after_days: int = Field(ge=1)
    silence_approves: bool = False
    min_accreditation: str | None = None
    duration_unit: DurationUnit = DurationUnit.WORKING_DAYS


class Finding(BaseModel):
    what: str = Field(min_length=1, max_length=2000)
    return_to_stage: str | None = None


# The review rules in force, by subject type. Pertek follows BKN's announced 5-working-day service
# standard with silence meaning approval; selection oversight has no such rule, so it escalates.
REVIEW_RULES: dict[SubjectType, ReviewRule] = {
    SubjectType.PROMOTION_TECHNICAL_APPROVAL: ReviewRule(
        subject_type=SubjectType.PROMOTION_TECHNICAL_APPROVAL,
        body_kind=BodyKind.TECHNICAL_APPROVAL,
        reviewers=1,
        quorum=Quorum.ANY_ONE,
        reminder_after_days=3,
        due_after_days=5,
        silence_approves=True,
    ),
    SubjectType.SELECTION_PLAN: ReviewRule(
        subject_type=SubjectType.SELECTION_PLAN,
        body_kind=BodyKind.OVERSIGHT,
        reviewers=3,
        quorum=Quorum.MAJORITY,
        reminder_after_days=5,
        due_after_days=10,
    ),
    SubjectType.SHORTLIST: ReviewRule(
        subject_type=SubjectType.SHORTLIST,
        body_kind=BodyKind.OVERSIGHT,
        reviewers=3,
        quorum=Quorum.MAJORITY,
        reminder_after_days=5,
        due_after_days=10,
    ),
    # [GK] As the shortlist: the oversight body checks the procedure that named the successor.
    SubjectType.TALENT_SUCCESSOR: ReviewRule(
        subject_type=SubjectType.TALENT_SUCCESSOR,
        body_kind=BodyKind.OVERSIGHT,
        reviewers=3,
        quorum=Quorum.MAJORITY,
        reminder_after_days=5,
        due_after_days=10,
    ),
    SubjectType.ASSESSMENT_REPORT: ReviewRule(
        subject_type=SubjectType.ASSESSMENT_REPORT,
        body_kind=BodyKind.ASSESSMENT_CENTRE,
        reviewers=2,
        quorum=Quorum.UNANIMOUS,
        reminder_after_days=5,
        due_after_days=10,
        min_accreditation="B",
    ),
}


def review_rule(subject: SubjectType, unit: DurationUnit = DurationUnit.WORKING_DAYS) -> ReviewRule:
    """The rule in force for ``subject``, its durations counted in ``unit``: the parent process
    passes its rulebook's unit, so a training process gets a review that runs in minutes."""
    return REVIEW_RULES[subject].model_copy(update={"duration_unit": unit})


# Perban BKN 26/2019: the accreditation level must match the post level.
ACCREDITATION_FOR_POST_LEVEL = {"utama": "A", "madya": "A", "pratama": "B"}


def accreditation_ok(body_level: str | None, required: str | None) -> bool:
    if required is None:
        return True
    if body_level not in ACCREDITATION_ORDER:
        return False
    return ACCREDITATION_ORDER.index(body_level) >= ACCREDITATION_ORDER.index(required)


def required_accreditation(rule: ReviewRule, post_level: str | None) -> str | None:
    by_post = ACCREDITATION_FOR_POST_LEVEL.get(post_level or "")
    levels = [lvl for lvl in (rule.min_accreditation, by_post) if lvl]
    return max(levels, key=ACCREDITATION_ORDER.index) if levels else None


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reason: str


def quorum_outcome(quorum: Quorum, required: int, verdicts: list[Verdict]) -> Outcome | None:
    """The review's outcome once the votes cast make it certain; None while it is still open.

    any_one: the first verdict decides. majority: an option with more than half of the required
    reviewers decides. unanimous: approval needs every required reviewer. When every vote is in and
    nothing has won, a return (it carries findings to act on) beats a rejection.
    """
    if not verdicts:
        return None
    if quorum is Quorum.ANY_ONE:
        return Outcome(verdicts[0], reasons.ANY_ONE)
    counts = {v: verdicts.count(v) for v in Verdict}
    if quorum is Quorum.MAJORITY:
        for v in Verdict:
            if counts[v] * 2 > required:
                return Outcome(v, reasons.MAJORITY.format(count=counts[v], required=required))
    elif counts[Verdict.APPROVE] == required:
        return Outcome(Verdict.APPROVE, reasons.UNANIMOUS.format(required=required))
    if len(verdicts) < required:
        return None
    fallback = Verdict.RETURN if counts[Verdict.RETURN] else Verdict.REJECT
    return Outcome(fallback, reasons.NO_QUORUM.format(quorum=quorum.value, required=required))


@dataclass(frozen=True)
class Seat:
    """One reviewer's place on a review."""

    reviewer_id: str
    declared: bool = False
    recused: bool = False
    voted: bool = False


def check_verdict_allowed(
    seats: dict[str, Seat],
    reviewer_id: str,
    *,
    head_id: str | None,
    escalated: bool,
    open_: bool,
    declaring: bool = False,
) -> None:
    """May ``reviewer_id`` give a verdict now? ``declaring``: the verdict comes with the reviewer's
    declaration of no conflict, which must itself be allowed and is then taken as made."""
    if declaring:
        check_declaration_allowed(seats, reviewer_id, open_=open_)
        seats = {**seats, reviewer_id: replace(seats[reviewer_id], declared=True)}
    if not open_:
        raise WrongStage("This review is closed; no verdict is possible.", code="review_closed")
    if escalated and head_id is not None and reviewer_id == head_id:
        return  # after escalation the body's head decides for the body
    seat = seats.get(reviewer_id)
    if seat is None:
        raise NotYourStep("You are not assigned to this review.", code="not_assigned")
    if seat.recused:
        raise NotYourStep("You are recused from this review.", code="recused")
    if not seat.declared:
        raise RuleViolation(
            "Declare whether you have a conflict of interest before giving a verdict.",
            code="conflict_declaration_required",
        )
    if seat.voted:
        raise WrongStage("You have already given your verdict.", code="already_voted")


def check_declaration_allowed(seats: dict[str, Seat], reviewer_id: str, *, open_: bool) -> None:
    if not open_:
        raise WrongStage("This review is closed.", code="review_closed")
    seat = seats.get(reviewer_id)
    if seat is None:
        raise NotYourStep("You are not assigned to this review.", code="not_assigned")
    if seat.recused:
        raise NotYourStep("You are recused from this review.", code="recused")
    if seat.declared:
        raise WrongStage("You have already declared.", code="already_declared")


# ---- a body's roster as a process is given it, and assignment from it ---------------------------


class RosterSnapshot(BaseModel):
    """A review body and its active roster as read once, for a process that assigns its reviewers
    itself (a promotion's pertek): the body's facts, its reviewers, and the standing conflicts of
    those reviewers with the persons of the subject."""

    body_code: str
    found: bool = True  # False: no active body with this code
    body_kind: BodyKind | None = None
    accreditation_level: str | None = None
    head_reviewer_id: str | None = None
    reviewers: list[str] = Field(default_factory=list)
    # (reviewer, person) pairs: a reviewer with a standing conflict with a subject person.
    conflicts: list[tuple[str, str]] = Field(default_factory=list)


@dataclass(frozen=True)
class Assignment:
    """Who is assigned from a roster, or why no one can be (``problem`` as the activity names it)."""

    reviewer_ids: list[str]
    head_reviewer_id: str | None = None
    available: int = 0
    problem: str | None = None
    detail: str | None = None


def eligible_reviewers(
    roster: RosterSnapshot,
    rule: ReviewRule,
    post_level: str | None,
    *,
    exclude: set[str],
    persons: list[str],
) -> Assignment:
    """Every reviewer of ``roster`` who may sit on the review (sorted), or the problem that keeps
    the body from reviewing at all: the same tests as the assignment activity makes."""
    if not roster.found:
        detail = reasons.BODY_NOT_FOUND.format(body=roster.body_code)
        return Assignment([], problem="body_not_found", detail=detail)
    if roster.body_kind is not rule.body_kind:
        kind = roster.body_kind.value if roster.body_kind else "unknown"
        return Assignment(
            [],
            problem="wrong_body_kind",
            detail=reasons.WRONG_BODY_KIND.format(
                body=roster.body_code, kind=kind, needed=rule.body_kind.value
            ),
        )
    required = required_accreditation(rule, post_level)
    if not accreditation_ok(roster.accreditation_level, required):
        return Assignment(
            [],
            problem="accreditation_insufficient",
            detail=(
                reasons.UNDER_ACCREDITED if roster.accreditation_level else reasons.NOT_ACCREDITED
            ).format(body=roster.body_code, level=roster.accreditation_level, required=required),
        )
    wanted = set(persons)
    conflicted = {r for r, p in roster.conflicts if p in wanted}
    free = sorted(r for r in roster.reviewers if r not in exclude and r not in conflicted)
    return Assignment(free, head_reviewer_id=roster.head_reviewer_id, available=len(free))
