"""Rule durations and the one way to turn "n of them after t" into a moment.

Every duration a rulebook gives (a reminder, a due date, an automatic approval) is a number plus a
unit. Legal rulebooks count working days (:mod:`domain.calendar`); a training rulebook counts the
same numbers in minutes, so a whole process can be walked through in one sitting
(:mod:`domain.training`). Workflows compute every deadline with :func:`after`, so the unit is
decided in one place and never by the caller's arithmetic. Pure: no clock, no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain import reasons
from domain.calendar import WorkingCalendar


class DurationUnit(StrEnum):
    WORKING_DAYS = "working_days"
    MINUTES = "minutes"


_NAMES = {DurationUnit.WORKING_DAYS: reasons.WORKING_DAYS, DurationUnit.MINUTES: reasons.MINUTES}


def after(start: datetime, n: int, unit: DurationUnit, calendar: WorkingCalendar) -> datetime:
    """The moment ``n`` ``unit`` after ``start``, in UTC.

    Working days keep ``start``'s WIB time of day on the n-th working day of ``calendar``;
    minutes are plain elapsed time, weekends and holidays included (``calendar`` is not read).
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    if n < 0:
        raise ValueError("n must not be negative")
    if unit is DurationUnit.MINUTES:
        return (start + timedelta(minutes=n)).astimezone(UTC)
    return calendar.add_working_days(start, n)


def describe(n: int, unit: DurationUnit) -> str:
    """``n`` with its unit, for sentences in the ledger: "5 working days", "1 minute"."""
    singular, plural = _NAMES[unit]
    return (singular if n == 1 else plural).format(n=n)
