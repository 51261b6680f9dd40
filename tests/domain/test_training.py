"""The training rulebook: the legal rules in minutes, any month, refused in production."""

from datetime import date

import pytest
from pydantic import ValidationError

from domain.durations import DurationUnit
from domain.errors import RuleViolation
from domain.rulebook import (
    RULEBOOKS,
    TRAINING_VERSION,
    Rulebook,
    check_period,
    check_submission_window,
    current_rulebook,
    get_rulebook,
    rulebook_for_period,
)
from domain.training import TRAINING_ENVS, require_training_allowed, require_usable

TRAINING = get_rulebook(TRAINING_VERSION)
LEGAL = [r for r in RULEBOOKS.values() if not r.training]


def test_the_training_rulebook_is_the_monthly_regime_counted_in_minutes() -> None:
    monthly = RULEBOOKS["PerBKN-4-2025"]
    assert TRAINING.training and TRAINING.duration_unit is DurationUnit.MINUTES
    assert TRAINING.steps == monthly.steps and TRAINING.types == monthly.types
    assert TRAINING.education_caps == monthly.education_caps
    assert TRAINING.period_months == list(range(1, 13))


def test_legal_rulebooks_keep_working_days_and_their_sources() -> None:
    assert {r.version for r in LEGAL} == {"PerBKN-4-2025", "PerBKN-4-2023", "PP-99-2000-AprOct"}
    for rulebook in LEGAL:
        assert rulebook.duration_unit is DurationUnit.WORKING_DAYS
        assert "Peraturan BKN" in rulebook.legal_basis or "PP 99/2000" in rulebook.legal_basis


def test_only_a_training_rulebook_may_count_in_minutes() -> None:
    data = RULEBOOKS["PerBKN-4-2025"].model_dump() | {"duration_unit": DurationUnit.MINUTES}
    with pytest.raises(ValidationError, match="training"):
        type(TRAINING).model_validate(data)


@pytest.mark.parametrize(
    "period", [date(2026, 1, 1), date(2027, 4, 1), date(2024, 3, 1), date(2031, 7, 1)]
)
def test_the_training_rulebook_is_never_the_one_in_force(period: date) -> None:
    assert not rulebook_for_period(period).training
    assert not current_rulebook(period, default=TRAINING).training


@pytest.mark.parametrize("month", range(1, 13))
def test_any_month_is_a_training_period(month: int) -> None:
    check_period(TRAINING, date(2027, month, 1))


def test_the_training_rulebook_keeps_the_submission_window() -> None:
    today = date(2027, 1, 10)
    check_submission_window(TRAINING, date(2027, 1, 1), today)
    with pytest.raises(RuleViolation) as exc:
        check_submission_window(TRAINING, date(2024, 4, 1), today)
    assert exc.value.code == "period_outside_window"
    with pytest.raises(RuleViolation) as exc:
        check_period(TRAINING, date(2027, 4, 15))
    assert exc.value.code == "period_not_allowed"


@pytest.mark.parametrize("env", sorted(TRAINING_ENVS))
def test_training_is_allowed_in_development_test_and_training(env: str) -> None:
    require_training_allowed(env, TRAINING_VERSION)
    require_usable(TRAINING, env)


@pytest.mark.parametrize("env", ["production", "staging", "", "Training"])
def test_training_is_refused_elsewhere(env: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        require_usable(TRAINING, env)
    err = exc.value
    assert err.code == "training_rulebook_not_allowed"
    assert err.fields[0]["field"] == "rulebook_version"
    assert TRAINING_VERSION in err.message and repr(env) in err.message


@pytest.mark.parametrize("rulebook", LEGAL, ids=lambda r: r.version)
def test_legal_rulebooks_are_usable_everywhere(rulebook: Rulebook) -> None:
    require_usable(rulebook, "production")
