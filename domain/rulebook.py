"""Versioned promotion rulebooks: every number the promotion rules use, as data.

Regulations change (promotion periods went from 2 to 6 to 12 a year between 2023 and 2025), so
the rules are kept as one ``Rulebook`` per regime and a process is pinned to the version in force
when it started. Eligibility code reads these values; it holds no numbers of its own.

Tags in comments follow /work/shared/domain-rules.md: [S#] is a source listed there, [GK] is general
knowledge that was not confirmed and should be checked before relying on it.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.durations import DurationUnit
from domain.employee import EDUCATION_LEVELS
from domain.enums import PromotionType, Rating, Role, Step
from domain.errors import NotFound, RuleViolation
from domain.grades import GRADES

_MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()


class StepRule(BaseModel):
    """Who acts on one approval step and how long they have, in the rulebook's ``duration_unit``.

    The fields keep their ``_days`` names, which running workflows carry in their histories; a
    training rulebook counts the same numbers in minutes.
    """

    model_config = ConfigDict(frozen=True)

    step: Step
    role: Role
    reminder_after_days: int = Field(ge=1)
    due_after_days: int = Field(ge=1)
    escalate_to: Role | None
    auto_approve_after_days: int | None = Field(default=None, ge=1)


class TypeRule(BaseModel):
    """Requirements for one promotion type; None means the requirement does not apply."""

    model_config = ConfigDict(frozen=True)

    min_years_in_rank: float | None = Field(ge=0)
    min_rating: Rating
    rating_years: int = Field(ge=1)
    required_trainings: list[str] = Field(default_factory=list)
    min_credit_points: float | None = Field(default=None, ge=0)
    requires_position_decree: bool = False
    # The education cap is a rule of regular promotion; promotions tied to a post are bounded by
    # the post's rank range instead, which this engine does not model.
    education_capped: bool = True


class SubmissionWindow(BaseModel):
    """Which periods a new promotion may be proposed for, counted from today's month.

    Agencies submit proposals ahead of a period (for April 2023 submissions closed on 20 February
    [S39,S43]); a period long past can no longer be proposed, and one far ahead not yet. The exact
    limits are not in the sources we have: they are configuration, set per rulebook.
    """

    model_config = ConfigDict(frozen=True)

    months_ahead: int = Field(default=12, ge=0)
    months_late: int = Field(default=2, ge=0)
    source: str = (
        "[GK] submission windows precede each period (S39, S43); the limits are Meritflow's "
        "configuration, not a cited rule"
    )


class Rulebook(BaseModel):
    """One regulatory regime for rank promotion, effective on [effective_from, effective_until)."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(min_length=1)
    title: str
    legal_basis: str
    effective_from: date
    effective_until: date | None
    period_months: list[int]
    types: dict[PromotionType, TypeRule]
    education_caps: dict[str, str]
    service_exams: dict[str, str]
    steps: list[StepRule]
    submission: SubmissionWindow = SubmissionWindow()
    # Every step duration (and the BKN review's) is counted in this unit.
    duration_unit: DurationUnit = DurationUnit.WORKING_DAYS
    # A training rulebook is never in force for a period: a caller names it, and only where
    # domain.training allows it.
    training: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Rulebook:
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        if not self.period_months or self.period_months != sorted(set(self.period_months)):
            raise ValueError("period_months must be non-empty, ascending and without repeats")
        if not all(1 <= m <= 12 for m in self.period_months):
            raise ValueError("period_months must be between 1 and 12")
        if self.duration_unit is not DurationUnit.WORKING_DAYS and not self.training:
            raise ValueError("only a training rulebook may count other than working days")
        if [s.step for s in self.steps] != list(Step):
            raise ValueError("steps must list every Step once, in chain order")
        _check_grade_maps(self.education_caps, self.service_exams)
        return self

    def step_rule(self, step: Step) -> StepRule:
        """The rule for ``step``; the validator guarantees every step is present."""
        return next(rule for rule in self.steps if rule.step == step)

    def in_force_on(self, d: date) -> bool:
        """Whether ``d`` falls in the rulebook's effective range (end exclusive)."""
        return self.effective_from <= d and (
            self.effective_until is None or d < self.effective_until
        )


def _check_grade_maps(education_caps: dict[str, str], service_exams: dict[str, str]) -> None:
    """Reject typos in the data: an unknown grade or education would silently disable a check."""
    for education, cap in education_caps.items():
        if education not in EDUCATION_LEVELS or cap not in GRADES:
            raise ValueError(f"bad education cap {education!r} -> {cap!r}")
    for grade in service_exams:
        if grade not in GRADES:
            raise ValueError(f"bad service-exam grade {grade!r}")


# ---------------------------------------------------------------------------------------------
# Data shared by the regimes. Only the periods and the BKN auto-approval differ between them.
# ---------------------------------------------------------------------------------------------

_TYPES: dict[PromotionType, TypeRule] = {
    # At least 4 years in rank and "Good" or better in each of the last 2 years [S36,S37].
    PromotionType.REGULAR: TypeRule(min_years_in_rank=4, min_rating=Rating.GOOD, rating_years=2),
    # 2 years in rank, "Good" for 2 years, and the credit points the post requires [S36b].
    # 50 is a configurable assumption [GK]: the cumulative credit points PermenPANRB 1/2023 asks of
    # the first expert level (Ahli Pertama); higher levels need more, per post and level. Agencies
    # with other posts must configure their own rulebook version.
    PromotionType.FUNCTIONAL: TypeRule(
        min_years_in_rank=2,
        min_rating=Rating.GOOD,
        rating_years=2,
        min_credit_points=50,
        education_capped=False,
    ),
    # 4 years in rank plus the position decree and installation record [S37c].
    PromotionType.STRUCTURAL: TypeRule(
        min_years_in_rank=4,
        min_rating=Rating.GOOD,
        rating_years=2,
        requires_position_decree=True,
        education_capped=False,
    ),
    # Not tied to time in rank; "Very Good" in the last year [S35].
    PromotionType.OUTSTANDING: TypeRule(
        min_years_in_rank=None, min_rating=Rating.VERY_GOOD, rating_years=1
    ),
}

# Highest grade regular promotion reaches for each education level: the PP 99/2000 jo. PP 12/2002
# table as regional HR offices publish it (Kepka BKN 12/2002) [GK: not checked against the
# regulation text or Perban BKN 2/2025]. D4 ranks with S1; the SLTP-vocational and SGPLB rows of
# that table have no education level here.
_EDUCATION_CAPS: dict[str, str] = {
    "SD": "II/a",
    "SMP": "II/c",
    "SMA": "III/b",
    "D1": "III/b",
    "D2": "III/b",
    "D3": "III/c",
    "D4": "III/d",
    "S1": "III/d",
    "S2": "IV/a",
    "S3": "IV/b",
}

# Service exams (ujian dinas) guard the step into the next group [GK]: level I for II/d -> III/a and
# level II for III/d -> IV/a.
_SERVICE_EXAMS: dict[str, str] = {"II/d": "ujian_dinas_I", "III/d": "ujian_dinas_II"}

_STEPS_BEFORE_BKN: list[StepRule] = [
    StepRule(
        step=Step.SUPERVISOR,
        role=Role.SUPERVISOR,
        reminder_after_days=2,
        due_after_days=3,
        escalate_to=Role.AGENCY_HR,
    ),
    StepRule(
        step=Step.PROMOTION_BOARD,
        role=Role.PROMOTION_BOARD,
        reminder_after_days=3,
        due_after_days=5,
        escalate_to=Role.APPOINTING_AUTHORITY,
    ),
    StepRule(
        step=Step.AGENCY_HR,
        role=Role.AGENCY_HR,
        reminder_after_days=3,
        due_after_days=5,
        escalate_to=Role.APPOINTING_AUTHORITY,
    ),
]

# BKN's head announced that technical approvals undecided after 5 working days are approved
# automatically [S42]. It is a service standard, not confirmed regulation, and only the digital
# (SIASN) regimes carry it.
_BKN_STEP_WITH_AUTO_APPROVAL = StepRule(
    step=Step.BKN_TECHNICAL_APPROVAL,
    role=Role.BKN,
    reminder_after_days=3,
    due_after_days=5,
    escalate_to=None,
    auto_approve_after_days=5,
)
_BKN_STEP_WITHOUT_AUTO_APPROVAL = _BKN_STEP_WITH_AUTO_APPROVAL.model_copy(
    update={"auto_approve_after_days": None}
)

_APPOINTING_AUTHORITY_STEP = StepRule(
    step=Step.APPOINTING_AUTHORITY,
    role=Role.APPOINTING_AUTHORITY,
    reminder_after_days=3,
    due_after_days=5,
    escalate_to=None,
)

RULEBOOKS: dict[str, Rulebook] = {
    # Monthly periods from 1 Oct 2025 [S34,S35].
    "PerBKN-4-2025": Rulebook(
        version="PerBKN-4-2025",
        title="Rank promotion with monthly periods",
        legal_basis=(
            "Peraturan BKN 4/2025 (monthly periods); Peraturan BKN 2/2025 (regular promotion); "
            "PP 99/2000 jo. PP 12/2002"
        ),
        effective_from=date(2025, 10, 1),
        effective_until=None,
        period_months=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        types=_TYPES,
        education_caps=_EDUCATION_CAPS,
        service_exams=_SERVICE_EXAMS,
        steps=[*_STEPS_BEFORE_BKN, _BKN_STEP_WITH_AUTO_APPROVAL, _APPOINTING_AUTHORITY_STEP],
    ),
    # Six periods a year from 1 Jan 2024 [S33].
    "PerBKN-4-2023": Rulebook(
        version="PerBKN-4-2023",
        title="Rank promotion with six periods a year",
        legal_basis="Peraturan BKN 4/2023 (six periods); PP 99/2000 jo. PP 12/2002",
        effective_from=date(2024, 1, 1),
        effective_until=date(2025, 10, 1),
        period_months=[2, 4, 6, 8, 10, 12],
        types=_TYPES,
        education_caps=_EDUCATION_CAPS,
        service_exams=_SERVICE_EXAMS,
        steps=[*_STEPS_BEFORE_BKN, _BKN_STEP_WITH_AUTO_APPROVAL, _APPOINTING_AUTHORITY_STEP],
    ),
    # PP 99/2000 as first issued named four periods (Jan, Apr, Jul, Oct) [S36]; before 2024 the
    # practice was April and October [S37b], which is what this version models.
    "PP-99-2000-AprOct": Rulebook(
        version="PP-99-2000-AprOct",
        title="Rank promotion with April and October periods",
        legal_basis="PP 99/2000 jo. PP 12/2002, April and October periods as practised before 2024",
        effective_from=date(2000, 1, 1),
        effective_until=date(2024, 1, 1),
        period_months=[4, 10],
        types=_TYPES,
        education_caps=_EDUCATION_CAPS,
        service_exams=_SERVICE_EXAMS,
        steps=[*_STEPS_BEFORE_BKN, _BKN_STEP_WITHOUT_AUTO_APPROVAL, _APPOINTING_AUTHORITY_STEP],
    ),
}

# The monthly regime with every duration counted in minutes instead of working days, any month a
# period and no start date, so that a whole promotion with its BKN review can be walked through in
# a few minutes. Never in force for a period: a caller names it, where domain.training allows it.
TRAINING_VERSION = "training-PerBKN-4-2025"
RULEBOOKS[TRAINING_VERSION] = Rulebook.model_validate(
    {
        **RULEBOOKS["PerBKN-4-2025"].model_dump(),
        "version": TRAINING_VERSION,
        "title": "Training: rank promotion with monthly periods, durations in minutes",
        "legal_basis": "None: PerBKN-4-2025's rules with minutes for working days, for training",
        "effective_from": date(2000, 1, 1),
        "duration_unit": DurationUnit.MINUTES,
        "training": True,
    }
)


def get_rulebook(version: str) -> Rulebook:
    """The rulebook a process was pinned to; unknown versions are a caller error, not a default."""
    try:
        return RULEBOOKS[version]
    except KeyError:
        known = ", ".join(sorted(RULEBOOKS))
        raise NotFound(
            f"No rulebook {version!r}; known versions are {known}.", code="rulebook_not_found"
        ) from None


def rulebook_for_period(period: date) -> Rulebook:
    """The rulebook in force on ``period``, so a new process is pinned to the right regime."""
    for rulebook in RULEBOOKS.values():
        if rulebook.in_force_on(period) and not rulebook.training:
            return rulebook
    raise RuleViolation(
        f"No promotion rulebook is in force on {period.isoformat()}.",
        code="period_not_allowed",
        field="period",
        period=period.isoformat(),
    )


def check_period(rulebook: Rulebook, period: date) -> None:
    """Refuse a promotion period the rulebook does not open, naming what it does allow."""
    problem = _period_problem(rulebook, period)
    if problem is None:
        return
    raise RuleViolation(
        f"{period.isoformat()} is not an allowed promotion period: {problem}. "
        f"{describe_periods(rulebook)}.",
        code="period_not_allowed",
        field="period",
        period=period.isoformat(),
        rulebook=rulebook.version,
        allowed_months=list(rulebook.period_months),
    )


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _first_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def check_submission_window(rulebook: Rulebook, period: date, today: date) -> None:
    """Refuse a period that can no longer (or not yet) be proposed, naming the window.

    The window is the one of the rulebook in force *today* (``current_rulebook``), whatever
    rulebook the period itself falls under.
    """
    window = current_rulebook(today, default=rulebook).submission
    now = _month_index(today)
    earliest, latest = _first_of(now - window.months_late), _first_of(now + window.months_ahead)
    if earliest <= period <= latest:
        return
    raise RuleViolation(
        f"{period.isoformat()} is outside the periods that can be proposed today: from "
        f"{earliest.isoformat()} to {latest.isoformat()} ({window.months_late} months back, "
        f"{window.months_ahead} ahead).",
        code="period_outside_window",
        field="period",
        earliest=earliest.isoformat(),
        latest=latest.isoformat(),
    )


def current_rulebook(today: date, *, default: Rulebook) -> Rulebook:
    return next((r for r in RULEBOOKS.values() if r.in_force_on(today) and not r.training), default)


def _period_problem(rulebook: Rulebook, period: date) -> str | None:
    if period.day != 1:
        return "periods fall on the 1st of a month"
    if period.month not in rulebook.period_months:
        return f"{_MONTH_NAMES[period.month - 1]} is not a period month"
    if not rulebook.in_force_on(period):
        return "the date is outside the rulebook's effective range"
    return None


def describe_periods(rulebook: Rulebook) -> str:
    """A sentence naming the rulebook, its period months and its effective range."""
    if len(rulebook.period_months) == 12:
        months = "every month"
    else:
        names = [_MONTH_NAMES[m - 1] for m in rulebook.period_months]
        months = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    if rulebook.effective_until is None:
        span = f"in force from {rulebook.effective_from.isoformat()}"
    else:
        last_day = rulebook.effective_until - timedelta(days=1)
        span = f"in force {rulebook.effective_from.isoformat()} to {last_day.isoformat()}"
    return f"Rulebook {rulebook.version} allows the 1st of {months}, {span}"
