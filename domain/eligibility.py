"""Rank-promotion eligibility: every requirement checked, every outcome explained.

An assessment lists all checks with ``met`` true or false rather than stopping at the first failure,
so the employee and HR see everything to fix at once, and the audit trail records why. All numbers
come from the ``Rulebook``; this module only compares.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.employee import EmployeeRecord
from domain.enums import PromotionType, Rating
from domain.errors import RuleViolation
from domain.grades import grade_index, next_grade
from domain.rulebook import Rulebook, TypeRule


class Reason(BaseModel):
    """The outcome of one check, with a sentence that carries the numbers compared."""

    model_config = ConfigDict(frozen=True)

    code: str
    met: bool
    message: str


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
        return Reason(code="top_grade", met=False, message=f"{record.grade} is the highest grade.")
    return Reason(
        code="top_grade", met=True, message=f"The next grade after {record.grade} is {target}."
    )


def _years_in_rank(record: EmployeeRecord, rule: TypeRule, period: date) -> Reason:
    if rule.min_years_in_rank is None:
        return Reason(
            code="years_in_rank", met=True, message="This promotion is not tied to time in rank."
        )
    months = _full_months(record.rank_since, period)
    required_months = round(rule.min_years_in_rank * 12)
    # Truncate, never round up: 3.96 years must not read as the 4 the rulebook requires.
    years = max(months, 0) * 10 // 12 / 10
    return Reason(
        code="years_in_rank",
        met=months >= required_months,
        message=(
            f"{years:.1f} years in rank {record.grade} on {period.isoformat()} "
            f"(since {record.rank_since.isoformat()}); "
            f"the rulebook requires {rule.min_years_in_rank:g}."
        ),
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
    return Reason(
        code="performance",
        met=met,
        message=(
            f"Ratings {listed}; the rulebook requires {_rating_text(rule.min_rating)} or better "
            f"in each of the last {rule.rating_years} year(s)."
        ),
    )


def _at_least(rating: Rating, minimum: Rating) -> bool:
    """Rating is declared best first, so a lower position is a better rating."""
    order = list(Rating)
    return order.index(rating) <= order.index(minimum)


def _rating_text(rating: Rating | None) -> str:
    return "none on file" if rating is None else rating.value.replace("_", " ")


def _education_cap(
    record: EmployeeRecord,
    promotion_type: PromotionType,
    rule: TypeRule,
    rulebook: Rulebook,
    target: str | None,
) -> Reason:
    code = "education_cap"
    if not rule.education_capped:
        text = f"The education cap does not apply to {promotion_type.value} promotion."
        return Reason(code=code, met=True, message=text)
    if target is None:
        return Reason(code=code, met=False, message="There is no higher grade to cap.")
    cap = rulebook.education_caps.get(record.education)
    if cap is None:
        text = f"Rulebook {rulebook.version} sets no grade cap for education {record.education}."
        return Reason(code=code, met=False, message=text)
    met = grade_index(target) <= grade_index(cap)
    verdict = "is within" if met else "exceeds"
    text = f"Target grade {target} {verdict} the cap of {cap} for education {record.education}."
    return Reason(code=code, met=met, message=text)


def _disciplinary_sanction(record: EmployeeRecord, period: date) -> Reason:
    active = [s for s in record.sanctions if s.active_on(period)]
    if not active:
        text = f"No disciplinary sanction is active on {period.isoformat()}."
        return Reason(code="disciplinary_sanction", met=True, message=text)
    listed = "; ".join(
        f"{s.kind} from {s.start.isoformat()} "
        + (f"to {s.end.isoformat()}" if s.end else "with no end date")
        for s in active
    )
    text = f"A disciplinary sanction is active on {period.isoformat()}: {listed}."
    return Reason(code="disciplinary_sanction", met=False, message=text)


def _training(record: EmployeeRecord, rule: TypeRule) -> Reason:
    if not rule.required_trainings:
        return Reason(code="training", met=True, message="No training is required.")
    missing = [t for t in rule.required_trainings if t not in record.trainings]
    required = ", ".join(rule.required_trainings)
    if missing:
        text = f"Missing required training: {', '.join(missing)} (required: {required})."
        return Reason(code="training", met=False, message=text)
    return Reason(code="training", met=True, message=f"Required training completed: {required}.")


def _service_exam(record: EmployeeRecord, rulebook: Rulebook) -> Reason:
    exam = rulebook.service_exams.get(record.grade)
    if exam is None:
        text = f"No service exam is needed to leave {record.grade}."
        return Reason(code="service_exam", met=True, message=text)
    met = exam in record.trainings
    verdict = "passed" if met else "not passed"
    text = f"Leaving {record.grade} requires the service exam {exam}: {verdict}."
    return Reason(code="service_exam", met=met, message=text)


def _credit_points(record: EmployeeRecord, rule: TypeRule) -> Reason:
    if rule.min_credit_points is None:
        return Reason(code="credit_points", met=True, message="No credit points are required.")
    met = record.credit_points >= rule.min_credit_points
    text = (
        f"{record.credit_points:g} credit points; the rulebook requires {rule.min_credit_points:g}."
    )
    return Reason(code="credit_points", met=met, message=text)


def _position_decree(record: EmployeeRecord, rule: TypeRule) -> Reason:
    if not rule.requires_position_decree:
        return Reason(code="position_decree", met=True, message="No position decree is required.")
    if record.has_position_decree:
        text = "The position decree and installation record are on file."
        return Reason(code="position_decree", met=True, message=text)
    text = "This promotion requires a position decree, and none is on file."
    return Reason(code="position_decree", met=False, message=text)
