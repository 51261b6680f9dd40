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

from domain.eligibility import N_, Reason, reason
from domain.talent.records import TalentRecord
from domain.talent.rulebook import TalentRulebook
from domain.talent.succession import Successor, jpt_eligibility

TALENT_BASIS = (
    "UU 5/2014 Pasal 111; PermenPANRB 3/2020; the successor is the top-ranked person in box 9 "
    "(KASN [S45]); blended mode otherwise [S46]"
)
SELECTION_BASIS = "UU 5/2014 Pasal 108-113; PP 11/2017 Pasal 107"

# The decision's ``reason`` and a passed-over successor's ``why``, filled in English; a page
# rebuilds them from the decision's own checks and reads them from its catalog.
TALENT_REASON = N_(
    "Filled from the talent pool: {nip} is the top-ranked successor in box {box} who meets JPT "
    "eligibility."
)
SELECTION_REASON = N_("Filled by open selection: {unmet}")
NOT_ELIGIBLE = N_("not eligible: {unmet}")


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


# One check of the route, met or not: its English sentence, and the template and values it was
# made of so a page can say it in the reader's language (decisions kept before templates have none).
Check = Reason


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
            reason(
                "approval_on_record",
                False,
                N_("No talent-management approval of the oversight body is on record."),
            )
        ]
    merit_until = _years_after(approval.merit_evaluated_on, rb.merit_valid_years)
    until = approval.valid_until or _years_after(approval.approved_on, rb.approval_valid_years)
    return [
        reason(
            "merit_category",
            approval.merit_category in rb.merit_categories,
            N_("Merit index category {category} (evaluated {evaluated}); accepted: {accepted}."),
            category=approval.merit_category,
            evaluated=approval.merit_evaluated_on,
            accepted=", ".join(rb.merit_categories),
        ),
        reason(
            "merit_current",
            approval.merit_evaluated_on <= on < merit_until,
            N_(
                "The merit evaluation of {evaluated} counts until {until}; the day decided on is {on}."
            ),
            evaluated=approval.merit_evaluated_on,
            until=merit_until,
            on=on,
        ),
        reason(
            "approval_current",
            approval.approved_on <= on <= until,
            N_(
                "Approval {letter} of {body}, given {given}, valid until {until}; the day decided "
                "on is {on}."
            ),
            letter=approval.letter_number,
            body=approval.oversight_body,
            given=approval.approved_on,
            until=until,
            on=on,
        ),
    ]


def _pick(
    candidates: list[Candidate], post_level: str, on: date, rb: TalentRulebook
) -> tuple[Candidate | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """The top-ranked successor who qualifies, their eligibility, and who was passed over and why
    (``why`` in English; ``template`` and ``args``, or the unmet ``reasons``, for a page)."""
    passed: list[dict[str, Any]] = []
    for c in sorted(candidates, key=lambda c: c.successor.rank):
        s = c.successor
        if s.box != rb.successor_box:
            r = reason(
                "box",
                False,
                N_("in box {box}, not box {wanted}"),
                box=s.box,
                wanted=rb.successor_box,
            )
            passed.append(
                {
                    "nip": s.nip,
                    "rank": s.rank,
                    "why": r.message,
                    **r.model_dump(include={"template", "args"}),
                }
            )
            continue
        result = jpt_eligibility(c.record, post_level, on, rb)
        reasons = [r.model_dump() for r in result.reasons]
        if not result.eligible:
            unmet = [r for r in result.reasons if not r.met]
            why = NOT_ELIGIBLE.format(unmet="; ".join(r.message for r in unmet))
            passed.append(
                {
                    "nip": s.nip,
                    "rank": s.rank,
                    "why": why,
                    "reasons": [r.model_dump() for r in unmet],
                }
            )
            continue
        return c, reasons, passed
    return None, [], passed


_CHOICES = {
    "open_selection": N_("The agency asked for an open selection."),
    "talent_management": N_("The agency asked for talent management."),
    None: N_("The agency asked for the rules to decide."),
}


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
    checks = [reason("agency_choice", filled_by != "open_selection", _CHOICES[filled_by])]
    if checks[0].met:
        checks += approval_checks(approval, on, rb)
    if all(c.met for c in checks):
        plan = (
            N_("The post is critical and has a succession plan.")
            if has_plan
            else N_("The post has no succession plan (it is not marked critical).")
        )
        checks.append(reason("succession_plan", has_plan, plan))
    chosen: Candidate | None = None
    eligibility: list[dict[str, Any]] = []
    passed: list[dict[str, Any]] = []
    if all(c.met for c in checks):
        chosen, eligibility, passed = _pick(candidates, post_level, on, rb)
        if chosen is not None:
            s = chosen.successor
            template = N_("{nip} (rank {rank}, box {box}) meets JPT {level} eligibility on {on}.")
            found = reason(
                "qualified_successor",
                True,
                template,
                nip=s.nip,
                rank=s.rank,
                box=s.box,
                level=post_level,
                on=on,
            )
        else:
            template = N_(
                "No successor in box {box} meets JPT {level} eligibility on {on} "
                "({considered} considered)."
            )
            found = reason(
                "qualified_successor",
                False,
                template,
                box=rb.successor_box,
                level=post_level,
                on=on,
                considered=len(passed),
            )
        checks.append(found)
    base = {"checks": checks, "decided_on": on, "rulebook_version": rb.version}
    if chosen is not None:
        return Decision(
            route="talent_management",
            reason=TALENT_REASON.format(nip=chosen.successor.nip, box=rb.successor_box),
            legal_basis=TALENT_BASIS,
            successor=chosen.successor,
            eligibility=eligibility,
            passed_over=passed,
            **base,
        )
    unmet = "; ".join(c.message for c in checks if not c.met)
    return Decision(
        route="open_selection",
        reason=SELECTION_REASON.format(unmet=unmet),
        legal_basis=SELECTION_BASIS,
        passed_over=passed,
        **base,
    )
