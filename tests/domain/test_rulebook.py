from datetime import date

import pytest
from pydantic import ValidationError

from domain.enums import PromotionType, Rating, Role, Step
from domain.errors import NotFound, RuleViolation
from domain.grades import GRADES
from domain.rulebook import RULEBOOKS, check_period, get_rulebook, rulebook_for_period

NEW = RULEBOOKS["PerBKN-4-2025"]
SIX = RULEBOOKS["PerBKN-4-2023"]
OLD = RULEBOOKS["PP-99-2000-AprOct"]


def test_the_three_regimes_are_registered_under_their_version():
    assert {"PerBKN-4-2025", "PerBKN-4-2023", "PP-99-2000-AprOct"} <= set(RULEBOOKS)
    for key, rulebook in RULEBOOKS.items():
        assert rulebook.version == key
        assert set(rulebook.types) == set(PromotionType)


@pytest.mark.parametrize(
    ("rulebook", "months", "since", "until"),
    [
        (NEW, list(range(1, 13)), date(2025, 10, 1), None),
        (SIX, [2, 4, 6, 8, 10, 12], date(2024, 1, 1), date(2025, 10, 1)),
        (OLD, [4, 10], date(2000, 1, 1), date(2024, 1, 1)),
    ],
)
def test_periods_and_effective_ranges(rulebook, months, since, until):
    assert rulebook.period_months == months
    assert rulebook.effective_from == since
    assert rulebook.effective_until == until


def test_get_rulebook():
    assert get_rulebook("PerBKN-4-2023") is SIX
    with pytest.raises(NotFound) as exc:
        get_rulebook("PerBKN-9-2099")
    assert exc.value.code == "rulebook_not_found"


@pytest.mark.parametrize(
    ("period", "version"),
    [
        (date(2000, 1, 1), "PP-99-2000-AprOct"),
        (date(2023, 10, 1), "PP-99-2000-AprOct"),
        (date(2023, 12, 31), "PP-99-2000-AprOct"),
        (date(2024, 1, 1), "PerBKN-4-2023"),
        (date(2025, 9, 30), "PerBKN-4-2023"),
        (date(2025, 10, 1), "PerBKN-4-2025"),
        (date(2031, 7, 1), "PerBKN-4-2025"),
    ],
)
def test_rulebook_for_period_boundaries(period, version):
    assert rulebook_for_period(period).version == version


def test_no_rulebook_before_2000():
    with pytest.raises(RuleViolation) as exc:
        rulebook_for_period(date(1999, 12, 31))
    assert exc.value.code == "period_not_allowed"


@pytest.mark.parametrize(
    ("rulebook", "period"),
    [
        *[(NEW, date(2026, m, 1)) for m in range(1, 13)],
        (NEW, date(2025, 10, 1)),
        (NEW, date(2025, 11, 1)),
        *[(SIX, date(2024, m, 1)) for m in (2, 4, 6, 8, 10, 12)],
        (SIX, date(2025, 8, 1)),
        (OLD, date(2023, 4, 1)),
        (OLD, date(2023, 10, 1)),
        (OLD, date(2003, 4, 1)),
    ],
)
def test_allowed_periods(rulebook, period):
    check_period(rulebook, period)


@pytest.mark.parametrize(
    ("rulebook", "period"),
    [
        (NEW, date(2026, 3, 2)),  # not the 1st
        (NEW, date(2025, 9, 1)),  # before the monthly regime
        (SIX, date(2024, 3, 1)),  # odd month
        (SIX, date(2025, 1, 1)),
        (SIX, date(2024, 2, 15)),
        (SIX, date(2023, 12, 1)),  # period month, but before 2024
        (SIX, date(2025, 10, 1)),  # period month, but the regime ended
        (OLD, date(2023, 2, 1)),
        (OLD, date(2023, 7, 1)),  # the original PP 99/2000 July period is not modelled
        (OLD, date(2024, 4, 1)),  # after the regime ended
    ],
)
def test_refused_periods(rulebook, period):
    with pytest.raises(RuleViolation) as exc:
        check_period(rulebook, period)
    assert exc.value.code == "period_not_allowed"
    assert rulebook.version in exc.value.message
    assert period.isoformat() in exc.value.message


def test_refusal_names_the_allowed_months():
    with pytest.raises(RuleViolation) as exc:
        check_period(SIX, date(2025, 3, 1))
    assert "February, April, June, August, October and December" in exc.value.message
    assert exc.value.details["allowed_months"] == [2, 4, 6, 8, 10, 12]
    with pytest.raises(RuleViolation) as exc:
        check_period(OLD, date(2023, 3, 1))
    assert "April and October" in exc.value.message


@pytest.mark.parametrize("rulebook", [NEW, SIX, OLD])
def test_steps_are_the_chain_in_order_with_roles_and_escalation(rulebook):
    assert [s.step for s in rulebook.steps] == list(Step)
    expected = {
        Step.SUPERVISOR: (Role.SUPERVISOR, 2, 3, Role.AGENCY_HR),
        Step.PROMOTION_BOARD: (Role.PROMOTION_BOARD, 3, 5, Role.APPOINTING_AUTHORITY),
        Step.AGENCY_HR: (Role.AGENCY_HR, 3, 5, Role.APPOINTING_AUTHORITY),
        Step.BKN_TECHNICAL_APPROVAL: (Role.BKN, 3, 5, None),
        Step.APPOINTING_AUTHORITY: (Role.APPOINTING_AUTHORITY, 3, 5, None),
    }
    for step, (role, reminder, due, escalate) in expected.items():
        rule = rulebook.step_rule(step)
        assert (rule.role, rule.reminder_after_days, rule.due_after_days, rule.escalate_to) == (
            role,
            reminder,
            due,
            escalate,
        )


@pytest.mark.parametrize(("rulebook", "auto"), [(NEW, 5), (SIX, 5), (OLD, None)])
def test_bkn_auto_approval_only_in_the_digital_regimes(rulebook, auto):
    assert rulebook.step_rule(Step.BKN_TECHNICAL_APPROVAL).auto_approve_after_days == auto
    others = [s for s in rulebook.steps if s.step is not Step.BKN_TECHNICAL_APPROVAL]
    assert all(s.auto_approve_after_days is None for s in others)


@pytest.mark.parametrize("rulebook", [NEW, SIX, OLD])
def test_type_rules_follow_the_domain_rules(rulebook):
    regular = rulebook.types[PromotionType.REGULAR]
    assert (regular.min_years_in_rank, regular.min_rating, regular.rating_years) == (
        4,
        Rating.GOOD,
        2,
    )
    functional = rulebook.types[PromotionType.FUNCTIONAL]
    assert functional.min_years_in_rank == 2
    assert functional.min_credit_points is not None
    assert rulebook.types[PromotionType.STRUCTURAL].requires_position_decree
    outstanding = rulebook.types[PromotionType.OUTSTANDING]
    assert outstanding.min_years_in_rank is None
    assert (outstanding.min_rating, outstanding.rating_years) == (Rating.VERY_GOOD, 1)


@pytest.mark.parametrize("rulebook", [NEW, SIX, OLD])
def test_education_caps_and_service_exams_name_real_grades(rulebook):
    assert set(rulebook.education_caps) == {
        "SD",
        "SMP",
        "SMA",
        "D1",
        "D2",
        "D3",
        "D4",
        "S1",
        "S2",
        "S3",
    }
    assert set(rulebook.education_caps.values()) <= set(GRADES)
    assert rulebook.service_exams == {"II/d": "ujian_dinas_I", "III/d": "ujian_dinas_II"}


@pytest.mark.parametrize(
    "update",
    [
        {"steps": list(reversed(NEW.steps))},
        {"steps": NEW.steps[:4]},
        {"period_months": [4, 2]},
        {"period_months": [0, 4]},
        {"period_months": []},
        {"effective_until": date(2025, 10, 1)},
        {"education_caps": {"S1": "III/e"}},
        {"education_caps": {"PhD": "IV/e"}},
        {"service_exams": {"II/x": "ujian_dinas_I"}},
    ],
)
def test_inconsistent_rulebook_data_is_rejected(update):
    data = NEW.model_dump() | update
    with pytest.raises(ValidationError):
        type(NEW).model_validate(data)


@pytest.mark.parametrize("rulebook", [NEW, SIX, OLD])
def test_rulebook_round_trips_through_json(rulebook):
    assert type(rulebook).model_validate_json(rulebook.model_dump_json()) == rulebook
