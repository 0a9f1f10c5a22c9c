"""A hall's history as plain rows for the simulator's fit (server/simulation/fit.py): the tickets
of chosen days, and the counters' opening, pausing and closing events between two instants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select

from . import tables as t
from .repo import current_seq, oldest_seq, utc

COUNTER_EVENTS = ("counter.opened", "counter.paused", "counter.resumed", "counter.closed")


def ticket_rows(conn: Connection, hall: str, days: Sequence[date]) -> list[dict[str, Any]]:
    """Every ticket of those hall-local days: its queue, priority, channel, status, counter and times
    (UTC), whether it was reinstated (回呼) and how often recalled."""
    if not days:
        return []
    query = (select(t.tickets.c.day, t.tickets.c.queue, t.tickets.c.priority, t.tickets.c.channel,
                    t.tickets.c.status, t.tickets.c.issued_at, t.tickets.c.called_at, t.tickets.c.finished_at,
                    t.tickets.c.counter, t.tickets.c.data)
             .where(t.tickets.c.hall == hall, t.tickets.c.day.in_(list(days))).order_by(t.tickets.c.issued_at))
    rows = []
    for r in conn.execute(query):
        data = r.data or {}
        started = data.get("started_at")
        rows.append({
            "day": r.day, "queue": r.queue, "priority": r.priority, "channel": r.channel, "status": r.status,
            "issued_at": utc(r.issued_at), "called_at": utc(r.called_at) if r.called_at else None,
            "started_at": utc(datetime.fromisoformat(started)) if started else None,
            "finished_at": utc(r.finished_at) if r.finished_at else None, "counter": r.counter,
            "reinstated": bool(data.get("reinstated")), "recalls": int(data.get("recalls") or 0),
        })
    return rows


def counter_events(conn: Connection, hall: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The counters' opened, paused, resumed and closed events in [since, until), in order, each
    ``{type, at, counter, reason}``. The log has no index on time: the range of seq is found by
    bisection over the primary key (seq grows with time), then read by it."""
    first = _seq_at(conn, hall, since - timedelta(hours=1))
    last = _seq_at(conn, hall, until + timedelta(hours=1))
    query = (select(t.events.c.type, t.events.c.at, t.events.c.data)
             .where(t.events.c.hall == hall, t.events.c.seq >= first, t.events.c.seq < last,
                    t.events.c.type.in_(COUNTER_EVENTS))
             .order_by(t.events.c.seq))
    out = []
    for r in conn.execute(query):
        at = utc(r.at)
        counter = (r.data or {}).get("counter") or {}
        if since <= at < until and "number" in counter:
            out.append({"type": r.type, "at": at, "counter": int(counter["number"]),
                        "reason": ((r.data or {}).get("extra") or {}).get("reason")})
    return out


def _seq_at(conn: Connection, hall: str, when: datetime) -> int:
    """The first seq at or after ``when`` (one past the last if none is)."""
    lo, hi = oldest_seq(conn, hall), (current_seq(conn, hall) or 0) + 1
    at_seq = select(t.events.c.at).where(t.events.c.hall == hall, t.events.c.seq == bindparam("seq"))
    while lo < hi:
        mid = (lo + hi) // 2
        at = conn.scalar(at_seq, {"seq": mid})
        if at is None:  # a gap (events kept only since a restore): step over it
            nearest = conn.scalar(select(t.events.c.at).where(t.events.c.hall == hall, t.events.c.seq >= mid)
                                  .order_by(t.events.c.seq).limit(1))
            if nearest is None:
                return hi
            at = nearest
        if utc(at) < when:
            lo = mid + 1
        else:
            hi = mid
    return lo
