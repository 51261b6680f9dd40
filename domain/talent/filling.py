"""Filling a vacant JPT post by talent management, or by open selection: the rules, spelled out.

A vacated JPT post goes to talent management only when every check below is met, in this order,
and each check is kept (met or not, with its dates and numbers) in the decision, so the ledger and
the auditor's explanation say exactly why a post went one way:

1. the agency did not ask for an open selection (``filled_by: open_selection`` is its choice);
2. the agency holds a current talent-management approval: a merit index of a category the rulebook
   accepts (Good or Very Good [S45]), evaluated within ``merit_valid_years``, and the oversight
   body's approval on record, not past its end date (or ``approval_valid_years`` after it was
   given when it names none) (UU 5/2014 Pasal 111 [S2,S21]);
3. the post is critical and has a succession plan;
4. a qualified successor: the highest-ranked successor in the plan who is in the rulebook's
   ``successor_box`` (9 [S45]) and meets JPT eligibility (§1.2) on the day the post fell vacant;
   anyone ranked above them is named with why they were passed over.

Otherwise ("blended" mode [S46]) the post is filled by open selection. Pure: the caller passes the
approval, the plan and the successors' current records.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.talent.records import TalentRecord
from domain.talent.rulebook import TalentRulebook
from domain.talent.succession import Successor, jpt_eligibility

TALENT_BASIS = (
    "UU 5/2014 Pasal 111; PermenPANRB 3/2020; the successor is the top-ranked person in box 9 "
    "(KASN [S45]); blended mode otherwise [S46]"
)
SELECTION_BASIS = "UU 5/2014 Pasal 108-113; PP 11/2017 Pasal 107"


class AppointmentStage(StrEnum):
    """A talent appointment: the oversight body reviews the successor, the appointing authority
    appoints; or the vacancy falls back to an open selection."""

    OVERSIGHT_REVIEW = "oversight_review"
    APPOINTMENT = "appointment"
    FALLING_BACK = "falling_back"
    APPOINTED = "appointed"
    FELL_BACK = "fell_back"


APPOINTMENT_TERMINAL = frozenset({AppointmentStage.APPOINTED, AppointmentStage.FELL_BACK})


class Approval(BaseModel):
    """An agency's standing to fill JPT posts from its pool: the merit index and the oversight
    body's approval, with their dates."""

    model_config = ConfigDict(frozen=True)

    agency: str
    merit_category: Literal["poor", "fair", "good", "very_good"]
    merit_score: float | None = Field(None, ge=100, le=400)
    merit_evaluated_on: date
    letter_number: str = Field(min_length=1, max_length=100)
    approved_on: date
    valid_until: date | None = None
    oversight_body: str = Field("BKN-OVERSIGHT", min_length=1, max_length=64)


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    met: bool
    message: str


class Candidate(BaseModel):
    """A successor of the plan with their record as it stands now."""

    successor: Successor
    record: TalentRecord


class Decision(BaseModel):
    route: Literal["talent_management", "open_selection"]
    reason: str
    legal_basis: str
    checks: list[Check]
    successor: Successor | None = None
    eligibility: list[dict[str, Any]] = Field(default_factory=list)
    passed_over: list[dict[str, Any]] = Field(default_factory=list)
    decided_on: date
    rulebook_version: str


def _years_after(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def approval_checks(approval: Approval | None, on: date, rb: TalentRulebook) -> list[Check]:
    """Whether ``approval`` is current on ``on``: one check per condition, with its dates."""
    if approval is None:
        return [
            Check(
                code="approval_on_record",
                met=False,
                message="No talent-management approval of the oversight body is on record.",
            )
        ]
    accepted = ", ".join(rb.merit_categories)
    merit_until = _years_after(approval.merit_evaluated_on, rb.merit_valid_years)
    until = approval.valid_until or _years_after(approval.approved_on, rb.approval_valid_years)
    return [
        Check(
            code="merit_category",
            met=approval.merit_category in rb.merit_categories,
            message=f"Merit index category {approval.merit_category} (evaluated "
            f"{approval.merit_evaluated_on}); accepted: {accepted}.",
        ),
        Check(
            code="merit_current",
            met=approval.merit_evaluated_on <= on < merit_until,
            message=f"The merit evaluation of {approval.merit_evaluated_on} counts until "
            f"{merit_until}; the day decided on is {on}.",
        ),
        Check(
            code="approval_current",
            met=approval.approved_on <= on <= until,
            message=f"Approval {approval.letter_number} of {approval.oversight_body}, given "
            f"{approval.approved_on}, valid until {until}; the day decided on is {on}.",
        ),
    ]


def _pick(
    candidates: list[Candidate], post_level: str, on: date, rb: TalentRulebook
) -> tuple[Candidate | None, list[dict[str, Any]], list[dict[str, Any]]]:
    passed: list[dict[str, Any]] = []
    for c in sorted(candidates, key=lambda c: c.successor.rank):
        s = c.successor
        if s.box != rb.successor_box:
            why = f"in box {s.box}, not box {rb.successor_box}"
            passed.append({"nip": s.nip, "rank": s.rank, "why": why})
            continue
        result = jpt_eligibility(c.record, post_level, on, rb)
        reasons = [r.model_dump() for r in result.reasons]
        if not result.eligible:
            unmet = "; ".join(r.message for r in result.reasons if not r.met)
            passed.append({"nip": s.nip, "rank": s.rank, "why": f"not eligible: {unmet}"})
            continue
        return c, reasons, passed
    return None, [], passed


def decide(
    *,
    post_level: str,
    filled_by: str | None,
    approval: Approval | None,
    has_plan: bool,
    candidates: list[Candidate],
    rb: TalentRulebook,
    on: date,
) -> Decision:
    """How the JPT post of ``post_level`` that fell vacant on ``on`` is filled, and why."""
    checks = [
        Check(
            code="agency_choice",
            met=filled_by != "open_selection",
            message="The agency asked for an open selection."
            if filled_by == "open_selection"
            else f"The agency asked for {filled_by or 'the rules to decide'}.",
        )
    ]
    if checks[0].met:
        checks += approval_checks(approval, on, rb)
    if all(c.met for c in checks):
        checks.append(
            Check(
                code="succession_plan",
                met=has_plan,
                message="The post is critical and has a succession plan."
                if has_plan
                else "The post has no succession plan (it is not marked critical).",
            )
        )
    chosen: Candidate | None = None
    eligibility: list[dict[str, Any]] = []
    passed: list[dict[str, Any]] = []
    if all(c.met for c in checks):
        chosen, eligibility, passed = _pick(candidates, post_level, on, rb)
        checks.append(
            Check(
                code="qualified_successor",
                met=chosen is not None,
                message=f"{chosen.successor.nip} (rank {chosen.successor.rank}, box "
                f"{chosen.successor.box}) meets JPT {post_level} eligibility on {on}."
                if chosen
                else f"No successor in box {rb.successor_box} meets JPT {post_level} "
                f"eligibility on {on} ({len(passed)} considered).",
            )
        )
    base = {"checks": checks, "decided_on": on, "rulebook_version": rb.version}
    if chosen is not None:
        return Decision(
            route="talent_management",
            reason=f"Filled from the talent pool: {chosen.successor.nip} is the top-ranked "
            f"successor in box {rb.successor_box} who meets JPT eligibility.",
            legal_basis=TALENT_BASIS,
            successor=chosen.successor,
            eligibility=eligibility,
            passed_over=passed,
            **base,
        )
    unmet = "; ".join(c.message for c in checks if not c.met)
    return Decision(
        route="open_selection",
        reason=f"Filled by open selection: {unmet}",
        legal_basis=SELECTION_BASIS,
        passed_over=passed,
        **base,
    )
