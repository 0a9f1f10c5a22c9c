"""The district's overview (/district): each hall the caller manages (an admin: every hall; a
manager: their own) with its people waiting, longest wait, open counters, services finished today
and today's satisfaction. The page keeps the first three live from each hall's display feed and
asks for the whole every 30 seconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select

from server.auth import Principal
from server.context import AppContext, forbid
from server.domain.hall import Hall
from server.domain.model import CounterMode, TicketStatus
from server.reports.kpis import SATISFIED, rate
from server.services.layout import hall_list
from server.store import tables as t


async def overview(context: AppContext, principal: Principal) -> list[dict[str, Any]]:
    """One row per hall, by code: {code, name, waiting, longest_wait_s, open_counters, counters,
    served_today, ratings, satisfaction}. ``satisfaction`` is the share of today's ratings that are
    满意 or 非常满意 (docs/kpis.md ``satisfaction_rate``), None without ratings; ``longest_wait_s``
    is None when nobody waits. Anyone but a manager or an admin is refused."""
    if not principal.is_manager:
        raise forbid("全区概览仅限管理人员和系统管理员查看", "the district overview is for managers and administrators")
    now = context.clock.now()
    rows, days = [], {}
    for listed in await hall_list(context, principal):
        hall = await context.engine.hall(listed["code"])
        rows.append(_figures(hall, now))
        days[hall.config.code] = hall_day_bounds(hall, now)
    ratings = await context.engine.read(lambda conn: {code: _ratings(conn, code, *bounds)
                                                      for code, bounds in days.items()})
    for row in rows:
        given, satisfied = ratings[row["code"]]
        row["ratings"] = given
        row["satisfaction"] = rate(satisfied, given)
    return rows


def _figures(hall: Hall, now: datetime) -> dict[str, Any]:
    """What the hall's state says now. Waiting counts the queues' lines, as the screens do (a ticket
    transferred to one named counter waits for that counter, not in a queue)."""
    queues = [q.code for q in hall.config.queues]
    waiting = {q: hall.waiting_count(q) for q in queues}
    longest = [hall.longest_wait_s(q, now) for q in queues if waiting[q]]
    today = hall.local_day(now)
    return {
        "code": hall.config.code, "name": hall.config.name, "waiting": sum(waiting.values()),
        "longest_wait_s": max(longest) if longest else None,
        "open_counters": sum(1 for c in hall.counters.values() if c.mode != CounterMode.CLOSED),
        "counters": len(hall.counters),
        "served_today": sum(1 for ticket in hall.tickets.values()
                            if ticket.day == today and ticket.status == TicketStatus.DONE),
    }


def hall_day_bounds(hall: Hall, now: datetime) -> tuple[datetime, datetime]:
    """The hall-local today, as UTC instants [start, end)."""
    day: date = hall.local_day(now)
    start = datetime.combine(day, time(0), hall.tz)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _ratings(conn: Connection, code: str, start: datetime, end: datetime) -> tuple[int, int]:
    """Today's ratings of the hall and how many of them are satisfied."""
    level = t.ratings.c.level
    given, satisfied = conn.execute(
        select(func.count(), func.sum(case((level.in_(SATISFIED), 1), else_=0)))
        .where(t.ratings.c.hall == code, t.ratings.c.at >= start, t.ratings.c.at < end)).one()
    return int(given), int(satisfied or 0)
