from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.calendar import WIB, WorkingCalendar

# 2026 Nyepi and Idul Fitri, hard-coded as SKB 3 Menteri lists them: national holidays plus joint
# leave (cuti bersama). 18 Mar joint leave (Nyepi), 19 Mar Nyepi, 20 Mar joint leave (Idul Fitri),
# 21-22 Mar Idul Fitri 1447 H (a weekend), 23-24 Mar joint leave (Idul Fitri).
LEBARAN_2026 = [date(2026, 3, d) for d in (18, 19, 20, 21, 22, 23, 24)]
CHRISTMAS_2026 = date(2026, 12, 25)
CHRISTMAS_JOINT_LEAVE_2026 = date(2026, 12, 24)

NO_HOLIDAYS = WorkingCalendar([])
LEBARAN = WorkingCalendar(LEBARAN_2026)


def wib(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=WIB)


def test_wib_is_a_fixed_utc_plus_seven():
    assert WIB.utcoffset(None) == timedelta(hours=7)
    assert WIB == timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 3, 17), True),
        (date(2026, 3, 18), False),  # joint leave
        (date(2026, 3, 19), False),  # Nyepi
        (date(2026, 3, 20), False),  # joint leave before Idul Fitri
        (date(2026, 3, 24), False),
        (date(2026, 3, 25), True),
    ],
)
def test_is_working_day(day, working):
    assert LEBARAN.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (wib(2026, 3, 5, 10, 0), 1, wib(2026, 3, 6, 10, 0)),  # Thu -> Fri
        (wib(2026, 3, 6, 10, 0), 1, wib(2026, 3, 9, 10, 0)),  # Fri -> Mon, over the weekend
        (wib(2026, 3, 6, 10, 0), 5, wib(2026, 3, 13, 10, 0)),
        (wib(2026, 3, 7, 10, 0), 1, wib(2026, 3, 9, 10, 0)),  # starting on a Saturday
        (wib(2026, 3, 8, 23, 59), 1, wib(2026, 3, 9, 23, 59)),  # Sunday night -> Monday
    ],
)
def test_add_working_days_across_a_weekend(start, n, expected):
    assert NO_HOLIDAYS.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (wib(2026, 3, 17, 9, 0), 1, wib(2026, 3, 25, 9, 0)),
        (wib(2026, 3, 17, 9, 0), 3, wib(2026, 3, 27, 9, 0)),
        (wib(2026, 3, 17, 9, 0), 5, wib(2026, 3, 31, 9, 0)),
        (wib(2026, 3, 16, 9, 0), 2, wib(2026, 3, 25, 9, 0)),
        (wib(2026, 3, 20, 9, 0), 1, wib(2026, 3, 25, 9, 0)),  # starting on a holiday
    ],
)
def test_add_working_days_across_idul_fitri(start, n, expected):
    assert LEBARAN.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("holidays", "expected"),
    [
        ([], wib(2026, 12, 24, 8, 0)),
        ([CHRISTMAS_2026], wib(2026, 12, 24, 8, 0)),
        ([CHRISTMAS_JOINT_LEAVE_2026, CHRISTMAS_2026], wib(2026, 12, 28, 8, 0)),
    ],
)
def test_joint_leave_day_is_not_a_working_day(holidays, expected):
    start = wib(2026, 12, 23, 8, 0)  # Wednesday
    assert WorkingCalendar(holidays).add_working_days(start, 1) == expected


def test_time_of_day_is_preserved_to_the_microsecond():
    start = wib(2026, 3, 2, 14, 35, 20, 123456)
    due = LEBARAN.add_working_days(start, 5)
    assert due.astimezone(WIB) == wib(2026, 3, 9, 14, 35, 20, 123456)


def test_result_is_in_utc():
    due = NO_HOLIDAYS.add_working_days(wib(2026, 3, 6, 10, 0), 1)
    assert due.utcoffset() == timedelta(0)
    assert due == datetime(2026, 3, 9, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start_utc", "expected_utc"),
    [
        # Fri 18:30 UTC is already Sat 01:30 WIB: the count starts from Saturday, so the next
        # working day is Monday 01:30 WIB, which is still Sunday in UTC.
        (datetime(2026, 3, 6, 18, 30, tzinfo=UTC), datetime(2026, 3, 8, 18, 30, tzinfo=UTC)),
        # Thu 17:00 UTC is Fri 00:00 WIB: one working day later is Mon 00:00 WIB.
        (datetime(2026, 3, 5, 17, 0, tzinfo=UTC), datetime(2026, 3, 8, 17, 0, tzinfo=UTC)),
        # Thu 16:59 UTC is Thu 23:59 WIB: one working day later is Fri 23:59 WIB.
        (datetime(2026, 3, 5, 16, 59, tzinfo=UTC), datetime(2026, 3, 6, 16, 59, tzinfo=UTC)),
    ],
)
def test_counting_starts_from_the_wib_date_not_the_utc_date(start_utc, expected_utc):
    assert NO_HOLIDAYS.add_working_days(start_utc, 1) == expected_utc


def test_other_timezones_are_converted_to_wib_first():
    wit = timezone(timedelta(hours=9))  # Eastern Indonesian Time
    start = datetime(2026, 3, 6, 8, 0, tzinfo=wit)  # Fri 06:00 WIB
    assert NO_HOLIDAYS.add_working_days(start, 1) == wib(2026, 3, 9, 6, 0)


def test_zero_days_returns_start():
    start = wib(2026, 3, 7, 10, 0)
    assert LEBARAN.add_working_days(start, 0) == start


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        NO_HOLIDAYS.add_working_days(datetime(2026, 3, 6, 10, 0), 1)


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        NO_HOLIDAYS.add_working_days(wib(2026, 3, 6, 10, 0), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 3, 6), date(2026, 3, 6), 0),
        (date(2026, 3, 9), date(2026, 3, 6), 0),  # b before a
        (date(2026, 3, 5), date(2026, 3, 6), 1),  # b included
        (date(2026, 3, 6), date(2026, 3, 9), 1),  # a excluded, weekend skipped
        (date(2026, 3, 6), date(2026, 3, 8), 0),
        (date(2026, 3, 2), date(2026, 3, 31), 16),  # 21 weekdays less 5 days off (18-20, 23-24)
        (date(2026, 3, 17), date(2026, 3, 27), 3),
        (date(2026, 3, 17), date(2026, 3, 24), 0),
    ],
)
def test_working_days_between(a, b, expected):
    assert LEBARAN.working_days_between(a, b) == expected


def test_working_days_between_matches_counting_day_by_day():
    calendar = WorkingCalendar([*LEBARAN_2026, CHRISTMAS_JOINT_LEAVE_2026, CHRISTMAS_2026])
    start = date(2026, 1, 1)
    for offset in range(0, 400, 7):
        for span in range(0, 40, 3):
            a = start + timedelta(days=offset)
            b = a + timedelta(days=span)
            by_day = sum(calendar.is_working_day(a + timedelta(days=i)) for i in range(1, span + 1))
            assert calendar.working_days_between(a, b) == by_day


def test_working_days_between_inverts_add_working_days():
    start = wib(2026, 3, 13, 9, 0)
    for n in range(1, 15):
        due = LEBARAN.add_working_days(start, n)
        assert LEBARAN.working_days_between(start.date(), due.astimezone(WIB).date()) == n


def test_holidays_given_as_datetimes_still_count():
    calendar = WorkingCalendar([datetime(2026, 3, 19, 0, 0)])
    assert not calendar.is_working_day(date(2026, 3, 19))


def test_holidays_iterable_is_consumed_once():
    calendar = WorkingCalendar(d for d in LEBARAN_2026)
    assert not calendar.is_working_day(date(2026, 3, 23))
    assert calendar.working_days_between(date(2026, 3, 17), date(2026, 3, 25)) == 1
