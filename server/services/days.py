"""The day's end, done by the server itself at midnight even if nobody acts: counters close and
yesterday's leftovers are cancelled (the hall's own ``roll_day``), bookings nobody checked in
become no-shows, the new day's bookings are what the wait estimates expect, and the closed day's
report figures are rolled up.

A failure is never swallowed: it is logged with its traceback and stands as an alert on the
hall's dashboard (``context.problems``) until a later attempt succeeds.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from server.context import AppContext
from server.domain.hall import Hall

from .appointments import expect_bookings, mark_no_shows

log = logging.getLogger("onewindow")
DAY_CHECK_S = 30.0
TASK = "day_close"


async def close_days(context: AppContext, every_s: float = DAY_CHECK_S) -> None:
    """Runs for the life of the app: every ``every_s``, closes the day of each hall that has passed it."""
    while True:
        await asyncio.sleep(every_s)
        for hall in await context.engine.loaded_halls():
            if hall.day is not None and hall.local_day(context.clock.now()) > hall.day:
                await close_day(context, hall)


async def close_day(context: AppContext, hall: Hall) -> bool:
    """Closes the day the hall is still in; False (logged, alert raised) if any step failed."""
    code, ended = hall.config.code, hall.day
    assert ended is not None
    try:
        await context.engine.run(code, lambda h, now: h.roll_day(now))
        await mark_no_shows(context, code, ended)
        await expect_bookings(context.engine, code)  # the new day's, for the wait estimates
        await _roll_up(context, code, ended)
        for hook in context.day_hooks:  # e.g. the day's 好差评 to the province (server/jobs/rating_export.py)
            await hook(context, code, ended)
    except Exception:
        log.exception("hall %s: closing %s failed; it will be tried again", code, ended)
        context.report_problem(code, TASK, f"{ended:%m月%d日} 的日终处理失败（关窗、过号、报表汇总）")
        return False
    context.problem_solved(code, TASK)
    return True


async def _roll_up(context: AppContext, code: str, day: date) -> None:
    """The closed day's report figures, so that a month's report reads ready-made days."""
    from server.reports.rollup import ensure_days, hall_info  # openpyxl and the report code: only at midnight

    info = await context.engine.read(lambda conn: hall_info(conn, code))
    if info is not None:
        now = context.clock.now()
        await asyncio.to_thread(ensure_days, context.engine.db, info, [day], now)
