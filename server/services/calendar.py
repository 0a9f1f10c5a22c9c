"""The working calendar the hall counts due dates and open days by (server/domain/workdays.py),
with whatever holiday tables an admin loaded (chinesecalendar covers the years it knows)."""

from __future__ import annotations

import time

from server.context import AppContext
from server.domain.workdays import HolidayTable, WorkCalendar
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


async def load_year(context: AppContext, table: HolidayTable, source: str, by: str) -> None:
    """Stores a year's notice and forgets the cached calendar, so this process counts by it at once."""
    now = context.clock.now()
    await context.engine.write(lambda conn: store.save_table(conn, table, source, by, now))
    context.caches.pop(CACHE_KEY, None)
