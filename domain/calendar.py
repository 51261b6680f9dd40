"""Working-day arithmetic for step deadlines, in Western Indonesian Time.

Deadlines in the rulebook are working days: Monday to Friday, minus national holidays and joint
leave days (cuti bersama). The holiday list changes every year by ministerial decree, so callers
pass it in (an activity loads it); this module never fetches it and never reads the clock, which
keeps it deterministic inside the workflow sandbox. A holiday missing from the list counts as a
working day, so callers must supply every year a deadline can reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone

# Indonesia has no daylight-saving time, so a fixed offset is exact and needs no tz database.
WIB = timezone(timedelta(hours=7), "WIB")

_ONE_DAY = timedelta(days=1)


class WorkingCalendar:
    """Working days for one holiday list; immutable once built."""

    def __init__(self, holidays: Iterable[date]) -> None:
        # A datetime is a date subclass but never equals a date, so it would silently not match.
        self._holidays = frozenset(d.date() if isinstance(d, datetime) else d for d in holidays)

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday and not a listed holiday or joint leave day."""
        return d.weekday() < 5 and d not in self._holidays

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The same WIB time of day on the n-th working day after ``start``'s WIB date, in UTC.

        Counting from the WIB date, not the UTC one, matters between 00:00 and 07:00 WIB, when
        the UTC date is still the day before. ``start`` itself need not be a working day.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return start.astimezone(UTC)
        local = start.astimezone(WIB)
        day = local.date()
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, local.timetz()).astimezone(UTC)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: after ``a``, up to and including ``b``; 0 when b <= a."""
        if b <= a:
            return 0
        weekdays = _weekdays_up_to(b) - _weekdays_up_to(a)
        holidays = sum(1 for h in self._holidays if a < h <= b and h.weekday() < 5)
        return weekdays - holidays


def _weekdays_up_to(d: date) -> int:
    """Weekdays from 0001-01-01 (a Monday) through ``d``, so ranges cost O(1), not O(days)."""
    weeks, rest = divmod(d.toordinal(), 7)
    return weeks * 5 + min(rest, 5)
