"""One helper turns "n units after t" into a moment: working days or (training) minutes."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.calendar import WIB, WorkingCalendar
from domain.durations import DurationUnit, after, describe
from domain.review import REVIEW_RULES, SubjectType, review_rule

MINUTES, WORKING_DAYS = DurationUnit.MINUTES, DurationUnit.WORKING_DAYS
# Idul Fitri 2026 with its joint leave days, so a working-day count visibly skips them.
LEBARAN = WorkingCalendar([date(2026, 3, d) for d in (18, 19, 20, 21, 22, 23, 24)])
FRIDAY_EVENING = datetime(2026, 3, 6, 23, 58, tzinfo=WIB)
BEFORE_LEBARAN = datetime(2026, 3, 17, 10, 0, tzinfo=WIB)


@pytest.mark.parametrize(
    ("start", "n", "unit", "expected"),
    [
        # Minutes are elapsed time: weekends, holidays and midnight are nothing to them.
        (FRIDAY_EVENING, 0, MINUTES, FRIDAY_EVENING),
        (FRIDAY_EVENING, 1, MINUTES, datetime(2026, 3, 6, 23, 59, tzinfo=WIB)),
        (FRIDAY_EVENING, 5, MINUTES, datetime(2026, 3, 7, 0, 3, tzinfo=WIB)),
        (BEFORE_LEBARAN, 3, MINUTES, datetime(2026, 3, 17, 10, 3, tzinfo=WIB)),
        # The same numbers in working days skip the weekend and the holidays.
        (FRIDAY_EVENING, 1, WORKING_DAYS, datetime(2026, 3, 9, 23, 58, tzinfo=WIB)),
        (BEFORE_LEBARAN, 3, WORKING_DAYS, datetime(2026, 3, 27, 10, 0, tzinfo=WIB)),
        (BEFORE_LEBARAN, 0, WORKING_DAYS, BEFORE_LEBARAN),
    ],
)
def test_after(start: datetime, n: int, unit: DurationUnit, expected: datetime) -> None:
    got = after(start, n, unit, LEBARAN)
    assert got == expected and got.tzinfo is UTC


def test_working_days_are_the_calendars_count() -> None:
    for n in range(0, 12):
        assert after(BEFORE_LEBARAN, n, WORKING_DAYS, LEBARAN) == LEBARAN.add_working_days(
            BEFORE_LEBARAN, n
        )


@pytest.mark.parametrize("unit", list(DurationUnit))
def test_after_refuses_naive_starts_and_negative_counts(unit: DurationUnit) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        after(datetime(2026, 3, 6, 10, 0), 1, unit, LEBARAN)
    with pytest.raises(ValueError, match="negative"):
        after(FRIDAY_EVENING, -1, unit, LEBARAN)


@pytest.mark.parametrize(
    ("n", "unit", "text"),
    [
        (5, WORKING_DAYS, "5 working days"),
        (1, WORKING_DAYS, "1 working day"),
        (1, MINUTES, "1 minute"),
        (3, MINUTES, "3 minutes"),
    ],
)
def test_describe(n: int, unit: DurationUnit, text: str) -> None:
    assert describe(n, unit) == text


@pytest.mark.parametrize("subject", list(SubjectType))
def test_review_rule_keeps_the_numbers_and_changes_only_the_unit(subject: SubjectType) -> None:
    legal = review_rule(subject)
    assert legal == REVIEW_RULES[subject] and legal.duration_unit is WORKING_DAYS
    training = review_rule(subject, MINUTES)
    assert training.duration_unit is MINUTES
    assert training.model_dump(exclude={"duration_unit"}) == legal.model_dump(
        exclude={"duration_unit"}
    )
    assert REVIEW_RULES[subject].duration_unit is WORKING_DAYS  # the table itself is untouched
    start = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    due = after(start, training.due_after_days, training.duration_unit, LEBARAN)
    assert due - start == timedelta(minutes=legal.due_after_days)
