"""The working calendar the hall counts due dates and open days by (server/domain/workdays.py),
with whatever holiday tables an admin loaded (chinesecalendar covers the years it knows)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Forbidden, InvalidInput, NotFound
from server.domain.workdays import HolidayTable, WorkCalendar
from server.params import whole_number
from server.store import calendar as store

CACHE_S = 60.0  # another process's load is seen within a minute
CACHE_KEY = "work_calendar"


async def work_calendar(context: AppContext) -> WorkCalendar:
    """The calendar with every loaded year, kept a minute in the app's context."""
    hit = context.caches.get(CACHE_KEY)
    if hit is not None and hit[0] > time.monotonic():
        calendar: WorkCalendar = hit[1]
        return calendar
    calendar = WorkCalendar(await context.engine.read(store.load_tables))
    context.caches[CACHE_KEY] = (time.monotonic() + CACHE_S, calendar)
    return calendar


def year_of(raw: str) -> int:
    """A year the calendar covers (2000–2100), from its path segment."""
    year = whole_number(raw, 2000, 2100)
    if year is None:
        raise NotFound.coded("unknown_year", f"没有 {raw[:8]} 年的日历 (no calendar for {raw[:8]!r})")
    return year


async def year_view(context: AppContext, year: int) -> dict[str, Any]:
    """Where the year's calendar comes from (loaded, chinesecalendar, provisional) and its exceptions:
    weekdays off and weekend days worked."""
    calendar = await work_calendar(context)
    first = date(year, 1, 1)
    source = "loaded" if calendar.tables.get(year) else "chinesecalendar" if calendar.knows(first) else "provisional"
    days = [date.fromordinal(n) for n in range(first.toordinal(), date(year, 12, 31).toordinal() + 1)]
    holidays = [d for d in days if d.weekday() < 5 and not calendar.is_working_day(d)]
    workdays = [d for d in days if d.weekday() >= 5 and calendar.is_working_day(d)]
    return {"year": year, "source": source, "provisional": source == "provisional",
            "holidays": [d.isoformat() for d in holidays], "workdays": [d.isoformat() for d in workdays]}


async def load_year(context: AppContext, principal: Principal, year: int, holidays: list[date],
                    workdays: list[date], source: str) -> dict[str, Any]:
    """An admin loads a year's notice (国务院办公厅关于…部分节假日安排的通知): holidays are weekdays
    off, workdays are weekend days worked (调休). This process counts by it at once; the others
    within a minute. Returns the year as now counted."""
    if principal.kind != "user" or principal.role != "admin":
        raise Forbidden("只有系统管理员可以导入节假日安排", "only admins load holiday notices")
    for name, days, weekend in (("holidays", holidays, False), ("workdays", workdays, True)):
        for day in days:
            if day.year != year:
                raise InvalidInput(f"{day} 不在 {year} 年", f"not in {year}", name)
            if (day.weekday() >= 5) != weekend:
                what = "调休上班日应为周末" if weekend else "放假日应为工作日（周末本就休息）"
                raise InvalidInput(f"{day}：{what}", f"{name} on the wrong kind of day", name)
    table = HolidayTable(year, frozenset(holidays), frozenset(workdays))
    now = context.clock.now()
    await context.engine.write(lambda conn: store.save_table(conn, table, source, principal.name, now))
    context.caches.pop(CACHE_KEY, None)
    return await year_view(context, year)
