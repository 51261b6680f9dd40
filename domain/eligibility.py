"""Rank-promotion eligibility: every requirement checked, every outcome explained.

An assessment lists all checks with ``met`` true or false rather than stopping at the first failure,
so the employee and HR see everything to fix at once, and the audit trail records why. All numbers
come from the ``Rulebook``; this module only compares.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from domain.employee import EmployeeRecord
from domain.enums import PromotionType, Rating
from domain.errors import RuleViolation
from domain.grades import grade_index, next_grade
from domain.rulebook import Rulebook, TypeRule


def N_(text: str) -> str:
    """Marks a sentence template for the console's catalogs (``make i18n``); returns it as is."""
    return text


class Reason(BaseModel):
    """The outcome of one check, with a sentence that carries the numbers compared.

    ``message`` is the sentence in English (the API's and the ledger's); ``template`` and ``args``
    are what it was made of, so that a page can say the same in the reader's language: the console
    looks ``template`` up in its catalog and fills in ``args`` (already formatted, as strings).
    """

    model_config = ConfigDict(frozen=True)

    code: str
    met: bool
    message: str
    template: str | None = None
    args: dict[str, str] = Field(default_factory=dict)

    @model_serializer(mode="wrap")
    def _without_empty_template(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A reason recorded before templates existed dumps as it was recorded (no empty keys)."""
        data: dict[str, Any] = handler(self)
        if self.template is None:
            data.pop("template", None)
            data.pop("args", None)
        return data


def reason(code: str, met: bool, template: str, **args: object) -> Reason:
    """A reason whose sentence is ``template`` filled with ``args``."""
    texts = {k: str(v) for k, v in args.items()}
    return Reason(
        code=code, met=met, message=template.format(**texts), template=template, args=texts
    )


# Where each check comes from (tags as in shared/domain-rules.md); the rulebook's own legal basis
# names the regime. Shown beside every reason wherever eligibility is explained.
REASON_SOURCES: dict[str, str] = {
    "promotion_type_not_allowed": "PP 99/2000 jo. PP 12/2002: the types of promotion [S36,S38]",
    "top_grade": "PP 99/2000 jo. PP 12/2002: the grade ladder [S36]",
    "years_in_rank": "PP 99/2000 jo. PP 12/2002; Perban BKN 2/2025: years in rank [S34,S36,S37]",
    "performance": "PermenPANRB 6/2022 (SKP ratings); PP 99/2000 [S36,S48b]",
    "education_cap": "PP 99/2000 jo. PP 12/2002: the highest grade by education [S36,S37]",
    "disciplinary_sanction": "A disciplinary sanction blocks promotion [S35b]",
    "training": "Training required by the type of promotion (rulebook configuration) [GK]",
    "service_exam": "Service exam (ujian dinas) where a grade boundary needs it [S38]",
    "credit_points": "Functional-post promotion: required credit points [S36b,S48b]",
    "position_decree": "Structural promotion: position decree and installation record [S37c]",
}


class EligibilityResult(BaseModel):
    """Eligible exactly when every reason is met."""

    model_config = ConfigDict(frozen=True)

    eligible: bool
    current_grade: str
    target_grade: str | None
    reasons: list[Reason]


def assess_eligibility(
    record: EmployeeRecord, promotion_type: PromotionType, rulebook: Rulebook, period: date
) -> EligibilityResult:
    """Assess ``record`` for ``promotion_type`` to take effect on ``period`` under ``rulebook``."""
    rule = _type_rule(rulebook, promotion_type)
    target = next_grade(record.grade)
    reasons = [
        _top_grade(record, target),
        _years_in_rank(record, rule, period),
        _performance(record, rule, period),
        _education_cap(record, promotion_type, rule, rulebook, target),
        _disciplinary_sanction(record, period),
        _training(record, rule),
        _service_exam(record, rulebook),
        _credit_points(record, rule),
        _position_decree(record, rule),
    ]
    return EligibilityResult(
        eligible=all(r.met for r in reasons),
        current_grade=record.grade,
        target_grade=target,
        reasons=reasons,
    )


def _type_rule(rulebook: Rulebook, promotion_type: PromotionType) -> TypeRule:
    try:
        return rulebook.types[promotion_type]
    except KeyError:
        raise RuleViolation(
            f"Rulebook {rulebook.version} has no rules for {promotion_type.value} promotion.",
            code="promotion_type_not_allowed",
        ) from None


def _top_grade(record: EmployeeRecord, target: str | None) -> Reason:
    if target is None:
        return reason("top_grade", False, N_("{grade} is the highest grade."), grade=record.grade)
    return reason(
        "top_grade",
        True,
        N_("The next grade after {grade} is {target}."),
        grade=record.grade,
        target=target,
    )


def _years_in_rank(record: EmployeeRecord, rule: TypeRule, period: date) -> Reason:
    if rule.min_years_in_rank is None:
        return reason("years_in_rank", True, N_("This promotion is not tied to time in rank."))
    months = _full_months(record.rank_since, period)
    required_months = round(rule.min_years_in_rank * 12)
    # Truncate, never round up: 3.96 years must not read as the 4 the rulebook requires.
    years = max(months, 0) * 10 // 12 / 10
    return reason(
        "years_in_rank",
        months >= required_months,
        N_(
            "{years} years in rank {grade} on {on} (since {since}); "
            "the rulebook requires {required}."
        ),
        years=f"{years:.1f}",
        grade=record.grade,
        on=period.isoformat(),
        since=record.rank_since.isoformat(),
        required=f"{rule.min_years_in_rank:g}",
    )


def _full_months(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end``; a month counts only once completed."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _performance(record: EmployeeRecord, rule: TypeRule, period: date) -> Reason:
    # The rated years are the calendar years before the period's year: the current year's
    # rating does not exist until the year is over.
    years = range(period.year - rule.rating_years, period.year)
    found = {year: record.rating_for(year) for year in years}
    met = all(r is not None and _at_least(r, rule.min_rating) for r in found.values())
    listed = ", ".join(f"{y}: {_rating_text(r)}" for y, r in found.items())
    return reason(
        "performance",
        met,
        N_(
            "Ratings {listed}; the rulebook requires {minimum} or better "
            "in each of the last {years} year(s)."
        ),
        listed=listed,
        minimum=_rating_text(rule.min_rating),
        years=rule.rating_years,
    )


def _at_least(rating: Rating, minimum: Rating) -> bool:
    """Rating is declared best first, so a lower position is a better rating."""
    order = list(Rating)
    return order.index(rating) <= order.index(minimum)


# The words a rating is written with in a reason (the console translates them inside it).
RATING_WORDS: dict[Rating | None, str] = {
    Rating.VERY_GOOD: N_("very good"),
    Rating.GOOD: N_("good"),
    Rating.NEEDS_IMPROVEMENT: N_("needs improvement"),
    Rating.POOR: N_("poor"),
    Rating.VERY_POOR: N_("very poor"),
    None: N_("none on file"),
}


def _rating_text(rating: Rating | None) -> str:
    return RATING_WORDS[rating]


def _education_cap(
    record: EmployeeRecord,
    promotion_type: PromotionType,
    rule: TypeRule,
    rulebook: Rulebook,
    target: str | None,
) -> Reason:
    code = "education_cap"
    if not rule.education_capped:
        text = N_("The education cap does not apply to {type} promotion.")
        return reason(code, True, text, type=promotion_type.value)
    if target is None:
        return reason(code, False, N_("There is no higher grade to cap."))
    cap = rulebook.education_caps.get(record.education)
    if cap is None:
        text = N_("Rulebook {version} sets no grade cap for education {education}.")
        return reason(code, False, text, version=rulebook.version, education=record.education)
    met = grade_index(target) <= grade_index(cap)
    text = (
        N_("Target grade {target} is within the cap of {cap} for education {education}.")
        if met
        else N_("Target grade {target} exceeds the cap of {cap} for education {education}.")
    )
    return reason(code, met, text, target=target, cap=cap, education=record.education)


def _disciplinary_sanction(record: EmployeeRecord, period: date) -> Reason:
    active = [s for s in record.sanctions if s.active_on(period)]
    if not active:
        text = N_("No disciplinary sanction is active on {on}.")
        return reason("disciplinary_sanction", True, text, on=period.isoformat())
    listed = "; ".join(
        f"{s.kind} from {s.start.isoformat()} "
        + (f"to {s.end.isoformat()}" if s.end else "with no end date")
        for s in active
    )
    text = N_("A disciplinary sanction is active on {on}: {listed}.")
    return reason("disciplinary_sanction", False, text, on=period.isoformat(), listed=listed)


def _training(record: EmployeeRecord, rule: TypeRule) -> Reason:
    if not rule.required_trainings:
        return reason("training", True, N_("No training is required."))
    missing = [t for t in rule.required_trainings if t not in record.trainings]
    required = ", ".join(rule.required_trainings)
    if missing:
        text = N_("Missing required training: {missing} (required: {required}).")
        return reason("training", False, text, missing=", ".join(missing), required=required)
    return reason(
        "training", True, N_("Required training completed: {required}."), required=required
    )


def _service_exam(record: EmployeeRecord, rulebook: Rulebook) -> Reason:
    exam = rulebook.service_exams.get(record.grade)
    if exam is None:
        text = N_("No service exam is needed to leave {grade}.")
        return reason("service_exam", True, text, grade=record.grade)
    met = exam in record.trainings
    text = (
        N_("Leaving {grade} requires the service exam {exam}: passed.")
        if met
        else N_("Leaving {grade} requires the service exam {exam}: not passed.")
    )
    return reason("service_exam", met, text, grade=record.grade, exam=exam)


def _credit_points(record: EmployeeRecord, rule: TypeRule) -> Reason:
    if rule.min_credit_points is None:
        return reason("credit_points", True, N_("No credit points are required."))
    met = record.credit_points >= rule.min_credit_points
    text = N_("{points} credit points; the rulebook requires {required}.")
    return reason(
        "credit_points",
        met,
        text,
        points=f"{record.credit_points:g}",
        required=f"{rule.min_credit_points:g}",
    )


def _position_decree(record: EmployeeRecord, rule: TypeRule) -> Reason:
    if not rule.requires_position_decree:
        return reason("position_decree", True, N_("No position decree is required."))
    if record.has_position_decree:
        text = N_("The position decree and installation record are on file.")
        return reason("position_decree", True, text)
    text = N_("This promotion requires a position decree, and none is on file.")
    return reason("position_decree", False, text)
