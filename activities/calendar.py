"""Working-day calendar data: Indonesian national holidays plus configured joint leave days."""

from __future__ import annotations

from datetime import date

import holidays
from temporalio import activity

from activities.contracts import HolidaysRequest, HolidaysResult


def national_holidays(years: list[int]) -> set[date]:
    # The `holidays` package keeps Indonesia's calendar maintained year by year: the lunar-dated
    # Islamic, Chinese, Hindu and Buddhist days ("public") and the joint leave days of the yearly
    # joint ministerial decree ("government"). Settings can add joint leave days it does not know yet.
    calendar = holidays.country_holidays("ID", years=years, categories=("public", "government"))
    return set(calendar.keys())


class CalendarActivities:
    def __init__(self, joint_leave_days: list[date]) -> None:
        self._joint_leave = set(joint_leave_days)

    @activity.defn(name="load_holidays")
    async def load_holidays(self, req: HolidaysRequest) -> HolidaysResult:
        days = national_holidays(req.years)
        days |= {d for d in self._joint_leave if d.year in req.years}
        return HolidaysResult(dates=sorted(days))
