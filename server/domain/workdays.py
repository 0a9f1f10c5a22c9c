"""The Chinese working calendar: statutory holidays closed, adjusted working weekends open.

chinesecalendar knows the State Council's yearly notices up to its last release; for a later year
an admin loads that year's notice as a ``HolidayTable``; until then a day counts Monday–Friday and
every date computed from it is *provisional*. Pure: the tables are handed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class HolidayTable:
    """One year's notice: the days off that would be working days, and the weekend days worked."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)


class WorkCalendar:
    def __init__(self, tables: Mapping[int, HolidayTable] | None = None) -> None:
        self.tables = dict(tables or {})

    def knows(self, day: date) -> bool:
        """Whether ``day``'s year is known (chinesecalendar or a loaded table): if not, provisional."""
        return day.year in self.tables or _library_knows(day)

    def is_working_day(self, day: date) -> bool:
        table = self.tables.get(day.year)
        if table is not None:
            if day in table.workdays:
                return True
            return day not in table.holidays and day.weekday() < 5
        if _library_knows(day):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> tuple[date, bool]:
        """The ``days``-th working day after ``start`` (not counting ``start``); with 0, ``start``
        itself. Returns (the date, provisional)."""
        day, provisional = start, not self.knows(start)
        left = days
        while left > 0:
            day += timedelta(days=1)
            provisional = provisional or not self.knows(day)
            if self.is_working_day(day):
                left -= 1
        return day, provisional


def _library_knows(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True
