from datetime import date
from typing import Any

import pytest

from domain.eligibility import assess_eligibility
from domain.employee import EmployeeRecord, RatingRecord, Sanction
from domain.enums import PromotionType, Rating
from domain.errors import RuleViolation
from domain.rulebook import RULEBOOKS, Rulebook

REGULAR = PromotionType.REGULAR
FUNCTIONAL = PromotionType.FUNCTIONAL
STRUCTURAL = PromotionType.STRUCTURAL
OUTSTANDING = PromotionType.OUTSTANDING

ALL_CODES = [
    "top_grade",
    "years_in_rank",
    "performance",
    "education_cap",
    "disciplinary_sanction",
    "training",
    "service_exam",
    "credit_points",
    "position_decree",
]

# One allowed period per regime, so every case runs under each rulebook.
REGIMES = [
    ("PerBKN-4-2025", date(2026, 3, 1)),
    ("PerBKN-4-2023", date(2024, 6, 1)),
    ("PP-99-2000-AprOct", date(2023, 4, 1)),
]


def _years_before(period: date, years: int) -> date:
    return period.replace(year=period.year - years)


def _ratings(period: date, *ratings: Rating | None) -> list[RatingRecord]:
    """Ratings for the years just before ``period``'s year, oldest first; None leaves a gap."""
    first = period.year - len(ratings)
    return [RatingRecord(year=first + i, rating=r) for i, r in enumerate(ratings) if r is not None]


def _eligible_record(period: date, **overrides: Any) -> EmployeeRecord:
    """A record that meets every requirement of every promotion type on ``period``."""
    fields: dict[str, Any] = {
        "nip": "198503152010011001",
        "name": "Siti Rahmawati",
        "agency": "KEMENPANRB",
        "grade": "III/b",
        "rank_since": _years_before(period, 4),
        "education": "S1",
        "ratings": _ratings(period, Rating.VERY_GOOD, Rating.VERY_GOOD),
        "credit_points": 60,
        "has_position_decree": True,
    }
    return EmployeeRecord(**(fields | overrides))


def _reason(result, code):
    return next(r for r in result.reasons if r.code == code)


def _unmet(result) -> set[str]:
    return {r.code for r in result.reasons if not r.met}


@pytest.mark.parametrize(("version", "period"), REGIMES)
@pytest.mark.parametrize("promotion_type", list(PromotionType))
def test_baseline_record_is_eligible_for_every_type_and_regime(version, period, promotion_type):
    result = assess_eligibility(
        _eligible_record(period), promotion_type, RULEBOOKS[version], period
    )
    assert result.eligible, [r.message for r in result.reasons if not r.met]
    assert [r.code for r in result.reasons] == ALL_CODES
    assert (result.current_grade, result.target_grade) == ("III/b", "III/c")


# (promotion type, overrides computed from the period, codes expected unmet)
CASES: list[tuple[str, PromotionType, Any, set[str]]] = [
    # years in rank
    ("regular 4y exactly", REGULAR, lambda p: {}, set()),
    (
        "regular one day short of 4y",
        REGULAR,
        lambda p: {"rank_since": date(p.year - 4, p.month, 2)},
        {"years_in_rank"},
    ),
    ("regular 3y", REGULAR, lambda p: {"rank_since": _years_before(p, 3)}, {"years_in_rank"}),
    ("functional 2y", FUNCTIONAL, lambda p: {"rank_since": _years_before(p, 2)}, set()),
    (
        "functional 1y",
        FUNCTIONAL,
        lambda p: {"rank_since": _years_before(p, 1)},
        {"years_in_rank"},
    ),
    ("structural 3y", STRUCTURAL, lambda p: {"rank_since": _years_before(p, 3)}, {"years_in_rank"}),
    (
        "outstanding after 3 months",
        OUTSTANDING,
        lambda p: {"rank_since": date(p.year - 1, 12, 1)},
        set(),
    ),
    # performance
    (
        "regular good twice",
        REGULAR,
        lambda p: {"ratings": _ratings(p, Rating.GOOD, Rating.GOOD)},
        set(),
    ),
    (
        "regular needs improvement last year",
        REGULAR,
        lambda p: {"ratings": _ratings(p, Rating.GOOD, Rating.NEEDS_IMPROVEMENT)},
        {"performance"},
    ),
    (
        "regular rating missing for one year",
        REGULAR,
        lambda p: {"ratings": _ratings(p, None, Rating.VERY_GOOD)},
        {"performance"},
    ),
    (
        "regular poor three years ago does not count",
        REGULAR,
        lambda p: {"ratings": _ratings(p, Rating.POOR, Rating.GOOD, Rating.GOOD)},
        set(),
    ),
    (
        "functional poor two years ago",
        FUNCTIONAL,
        lambda p: {"ratings": _ratings(p, Rating.POOR, Rating.VERY_GOOD)},
        {"performance"},
    ),
    (
        "outstanding only good",
        OUTSTANDING,
        lambda p: {"ratings": _ratings(p, Rating.VERY_GOOD, Rating.GOOD)},
        {"performance"},
    ),
    (
        "outstanding looks at one year only",
        OUTSTANDING,
        lambda p: {"ratings": _ratings(p, Rating.POOR, Rating.VERY_GOOD)},
        set(),
    ),
    (
        "rating of the period's own year is ignored",
        REGULAR,
        lambda p: {
            "ratings": [
                *_ratings(p, Rating.GOOD, None),
                RatingRecord(year=p.year, rating=Rating.VERY_GOOD),
            ]
        },
        {"performance"},
    ),
    # education cap
    (
        "regular SMA III/a to III/b",
        REGULAR,
        lambda p: {"education": "SMA", "grade": "III/a"},
        set(),
    ),
    ("regular SMA III/b to III/c", REGULAR, lambda p: {"education": "SMA"}, {"education_cap"}),
    ("regular S1 III/c to III/d", REGULAR, lambda p: {"grade": "III/c"}, set()),
    (
        "regular S1 III/d to IV/a",
        REGULAR,
        lambda p: {"grade": "III/d", "trainings": ["ujian_dinas_II"]},
        {"education_cap"},
    ),
    (
        "regular S2 III/d to IV/a",
        REGULAR,
        lambda p: {"grade": "III/d", "education": "S2", "trainings": ["ujian_dinas_II"]},
        set(),
    ),
    ("outstanding SMA III/b", OUTSTANDING, lambda p: {"education": "SMA"}, {"education_cap"}),
    ("structural not education-capped", STRUCTURAL, lambda p: {"education": "SMA"}, set()),
    ("functional not education-capped", FUNCTIONAL, lambda p: {"education": "D3"}, set()),
    # top grade
    ("regular at IV/e", REGULAR, lambda p: {"grade": "IV/e"}, {"top_grade", "education_cap"}),
    ("structural at IV/e", STRUCTURAL, lambda p: {"grade": "IV/e"}, {"top_grade"}),
    # disciplinary sanction
    (
        "sanction active on the period",
        REGULAR,
        lambda p: {"sanctions": [Sanction(kind="demotion_1y", start=date(p.year - 1, 6, 1))]},
        {"disciplinary_sanction"},
    ),
    (
        "sanction ends on the period day",
        STRUCTURAL,
        lambda p: {"sanctions": [Sanction(kind="written", start=date(p.year - 1, 1, 1), end=p)]},
        {"disciplinary_sanction"},
    ),
    (
        "sanction served before the period",
        REGULAR,
        lambda p: {
            "sanctions": [
                Sanction(kind="written", start=date(p.year - 2, 1, 1), end=date(p.year - 1, 1, 1))
            ]
        },
        set(),
    ),
    (
        "sanction starting after the period",
        OUTSTANDING,
        lambda p: {"sanctions": [Sanction(kind="written", start=date(p.year, p.month, 2))]},
        set(),
    ),
    # service exam
    ("II/d without ujian dinas I", REGULAR, lambda p: {"grade": "II/d"}, {"service_exam"}),
    (
        "II/d with ujian dinas I",
        REGULAR,
        lambda p: {"grade": "II/d", "trainings": ["ujian_dinas_I"]},
        set(),
    ),
    (
        "III/d with the wrong exam",
        STRUCTURAL,
        lambda p: {"grade": "III/d", "trainings": ["ujian_dinas_I"]},
        {"service_exam"},
    ),
    # credit points
    ("functional 49.9 points", FUNCTIONAL, lambda p: {"credit_points": 49.9}, {"credit_points"}),
    ("functional 50 points", FUNCTIONAL, lambda p: {"credit_points": 50}, set()),
    ("regular needs no points", REGULAR, lambda p: {"credit_points": 0}, set()),
    # position decree
    (
        "structural without decree",
        STRUCTURAL,
        lambda p: {"has_position_decree": False},
        {"position_decree"},
    ),
    ("regular needs no decree", REGULAR, lambda p: {"has_position_decree": False}, set()),
]


@pytest.mark.parametrize(("version", "period"), REGIMES)
@pytest.mark.parametrize(
    ("promotion_type", "overrides", "unmet"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_eligibility_table(version, period, promotion_type, overrides, unmet):
    record = _eligible_record(period, **overrides(period))
    result = assess_eligibility(record, promotion_type, RULEBOOKS[version], period)
    assert _unmet(result) == unmet
    assert result.eligible is (not unmet)
    assert [r.code for r in result.reasons] == ALL_CODES


@pytest.mark.parametrize(("version", "period"), REGIMES)
def test_several_failures_are_all_listed(version, period):
    record = _eligible_record(
        period,
        grade="II/d",
        education="SMA",
        rank_since=_years_before(period, 1),
        ratings=_ratings(period, Rating.NEEDS_IMPROVEMENT, None),
        sanctions=[Sanction(kind="postponed_promotion", start=_years_before(period, 1))],
        has_position_decree=False,
        credit_points=10,
    )
    result = assess_eligibility(record, STRUCTURAL, RULEBOOKS[version], period)
    assert not result.eligible
    assert [r.code for r in result.reasons] == ALL_CODES
    assert _unmet(result) == {
        "years_in_rank",
        "performance",
        "disciplinary_sanction",
        "service_exam",
        "position_decree",
    }
    assert all(r.message for r in result.reasons)


def test_required_training_from_the_rulebook():
    period = date(2026, 3, 1)
    base = RULEBOOKS["PerBKN-4-2025"]
    types = dict(base.types)
    types[STRUCTURAL] = types[STRUCTURAL].model_copy(update={"required_trainings": ["PKA", "PKP"]})
    rulebook = base.model_copy(update={"types": types})

    without = assess_eligibility(
        _eligible_record(period, trainings=["PKP"]), STRUCTURAL, rulebook, period
    )
    assert _unmet(without) == {"training"}
    assert "PKA" in _reason(without, "training").message

    complete = assess_eligibility(
        _eligible_record(period, trainings=["PKP", "PKA"]), STRUCTURAL, rulebook, period
    )
    assert complete.eligible


def test_messages_carry_the_numbers():
    period = date(2026, 3, 1)
    record = _eligible_record(
        period,
        rank_since=date(2022, 12, 1),  # 39 months: 3.25 years
        ratings=_ratings(period, Rating.GOOD, None),
        credit_points=12.5,
        education="SMA",
    )
    rulebook = RULEBOOKS["PerBKN-4-2025"]
    regular = assess_eligibility(record, REGULAR, rulebook, period)
    years = _reason(regular, "years_in_rank").message
    assert years.startswith("3.2 years in rank III/b on 2026-03-01")
    assert "requires 4." in years
    performance = _reason(regular, "performance").message
    assert "2024: good" in performance
    assert "2025: none on file" in performance
    assert "good or better" in performance
    cap = _reason(regular, "education_cap").message
    assert "III/c" in cap
    assert "III/b" in cap
    functional = assess_eligibility(record, FUNCTIONAL, rulebook, period)
    assert _reason(functional, "credit_points").message == (
        "12.5 credit points; the rulebook requires 50."
    )


def test_years_in_rank_is_never_rounded_up_to_the_requirement():
    period = date(2026, 3, 1)
    record = _eligible_record(period, rank_since=date(2022, 3, 2))  # one day short of 4 years
    result = assess_eligibility(record, REGULAR, RULEBOOKS["PerBKN-4-2025"], period)
    reason = _reason(result, "years_in_rank")
    assert not reason.met
    assert reason.message.startswith("3.9 years")


def test_rank_since_after_the_period_is_not_met():
    period = date(2026, 3, 1)
    record = _eligible_record(period, rank_since=date(2026, 6, 1))
    result = assess_eligibility(record, REGULAR, RULEBOOKS["PerBKN-4-2025"], period)
    assert _unmet(result) == {"years_in_rank"}


def test_unknown_education_cap_is_not_met():
    period = date(2026, 3, 1)
    base = RULEBOOKS["PerBKN-4-2025"]
    caps = {k: v for k, v in base.education_caps.items() if k != "S1"}
    rulebook: Rulebook = base.model_copy(update={"education_caps": caps})
    result = assess_eligibility(_eligible_record(period), REGULAR, rulebook, period)
    assert _unmet(result) == {"education_cap"}


def test_promotion_type_missing_from_the_rulebook_is_refused():
    period = date(2026, 3, 1)
    base = RULEBOOKS["PerBKN-4-2025"]
    rulebook = base.model_copy(update={"types": {REGULAR: base.types[REGULAR]}})
    with pytest.raises(RuleViolation) as exc:
        assess_eligibility(_eligible_record(period), OUTSTANDING, rulebook, period)
    assert exc.value.code == "promotion_type_not_allowed"


def test_result_round_trips_through_json():
    period = date(2026, 3, 1)
    result = assess_eligibility(
        _eligible_record(period, grade="IV/e"), REGULAR, RULEBOOKS["PerBKN-4-2025"], period
    )
    assert result.target_grade is None
    again = type(result).model_validate_json(result.model_dump_json())
    assert again == result
