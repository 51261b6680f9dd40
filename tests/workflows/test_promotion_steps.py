"""A pending step's deadlines and timers under each unit: pure functions, no Temporal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.calendar import WorkingCalendar
from domain.durations import DurationUnit
from domain.enums import Step
from domain.rulebook import TRAINING_VERSION, Rulebook, get_rulebook
from workflows.promotion_steps import auto_approval, next_timer, open_step, technical_review_rule

LEGAL, TRAINING = get_rulebook("PerBKN-4-2025"), get_rulebook(TRAINING_VERSION)
NO_HOLIDAYS = WorkingCalendar([])
MONDAY = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # 09:00 WIB


@pytest.mark.parametrize("rulebook", [LEGAL, TRAINING], ids=lambda r: r.version)
@pytest.mark.parametrize("step", list(Step))
def test_open_step_counts_the_rules_numbers_in_the_rulebooks_unit(
    rulebook: Rulebook, step: Step
) -> None:
    rule = rulebook.step_rule(step)
    p = open_step(rulebook, rule, MONDAY, NO_HOLIDAYS, None)
    assert p.step is step and p.started_at == MONDAY
    if rulebook.duration_unit is DurationUnit.WORKING_DAYS:  # the weekend does not count
        assert p.reminder_at == NO_HOLIDAYS.add_working_days(MONDAY, rule.reminder_after_days)
        assert p.due_at == NO_HOLIDAYS.add_working_days(MONDAY, rule.due_after_days)
    else:
        assert p.reminder_at - MONDAY == timedelta(minutes=rule.reminder_after_days)
        assert p.due_at - MONDAY == timedelta(minutes=rule.due_after_days)
    auto = rule.auto_approve_after_days
    assert (p.auto_approve_at is None) == (auto is None)


def test_next_timer_takes_the_earliest_left() -> None:
    p = open_step(
        TRAINING, TRAINING.step_rule(Step.BKN_TECHNICAL_APPROVAL), MONDAY, NO_HOLIDAYS, None
    )
    assert next_timer(p) == (MONDAY + timedelta(minutes=3), "reminder")
    p.reminded = True
    assert next_timer(p)[0] == MONDAY + timedelta(minutes=5)
    p.escalated, p.auto_approve_at = True, None
    assert next_timer(p) == (None, "")


@pytest.mark.parametrize(
    ("rulebook", "unit"),
    [(LEGAL, DurationUnit.WORKING_DAYS), (TRAINING, DurationUnit.MINUTES)],
)
def test_bkn_review_runs_in_the_rulebooks_unit_and_approves_on_silence(
    rulebook: Rulebook, unit: DurationUnit
) -> None:
    rule = technical_review_rule(rulebook, rulebook.step_rule(Step.BKN_TECHNICAL_APPROVAL))
    assert rule.duration_unit is unit and rule.silence_approves
    assert (rule.reminder_after_days, rule.due_after_days) == (3, 5)


@pytest.mark.parametrize(
    ("rulebook", "text", "unit"),
    [(LEGAL, "5 working days", "working_days"), (TRAINING, "5 minutes", "minutes")],
)
def test_automatic_approval_names_the_duration_it_waited(
    rulebook: Rulebook, text: str, unit: str
) -> None:
    rule = rulebook.step_rule(Step.BKN_TECHNICAL_APPROVAL)
    p = open_step(rulebook, rule, MONDAY, NO_HOLIDAYS, None)
    decision, extra = auto_approval(rulebook, rule, p)
    assert f"No decision within {text}" in decision.justification
    assert rulebook.version in decision.justification
    assert extra["rule"] == "auto_approve_after_days=5" and extra["duration_unit"] == unit
