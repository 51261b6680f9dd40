"""Working days as people count them: Indonesian holidays plus the configured joint leave days."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from activities.calendar import national_holidays
from domain.calendar import WIB, WorkingCalendar


@lru_cache(maxsize=8)
def working_calendar(years: tuple[int, ...], joint_leave: tuple[date, ...] = ()) -> WorkingCalendar:
    return WorkingCalendar(national_holidays(list(years)) | set(joint_leave))


def working_days_left(due: datetime, now: datetime, joint_leave: tuple[date, ...] = ()) -> int:
    """Working days from today to the due date (WIB); negative when it is past."""
    today, day = now.astimezone(WIB).date(), due.astimezone(WIB).date()
    years = tuple(sorted({today.year, day.year}))
    cal = working_calendar(years, joint_leave)
    if day >= today:
        return cal.working_days_between(today, day)
    return -cal.working_days_between(day, today)
