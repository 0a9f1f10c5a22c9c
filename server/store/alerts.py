"""Alert settings, acknowledgements, and what the alerts read from other tables (issue 9)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, desc, insert, select, update

from . import followups
from .repo import utc
from .tables import events, ratings
from .tables_alerts import alert_acks, alert_settings

log = logging.getLogger("onewindow.alerts")


def get_settings(conn: Connection, hall: str) -> dict[str, Any] | None:
    value = conn.scalar(select(alert_settings.c.settings).where(alert_settings.c.hall == hall))
    return dict(value) if value is not None else None


def put_settings(conn: Connection, hall: str, settings: dict[str, Any], by: str, at: datetime) -> None:
    values = {"settings": settings, "updated_by": by, "updated_at": at}
    if not conn.execute(update(alert_settings).where(alert_settings.c.hall == hall).values(**values)).rowcount:
        conn.execute(insert(alert_settings).values(hall=hall, **values))


def acks(conn: Connection, hall: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(alert_acks).where(alert_acks.c.hall == hall)).mappings()
    return {row["alert_id"]: {"by": row["acked_by"], "at": utc(row["acked_at"])} for row in rows}


def ack(conn: Connection, hall: str, alert_id: str, by: str, at: datetime) -> dict[str, Any]:
    """Records the acknowledgement; the first one stands (acknowledging twice changes nothing)."""
    row = conn.execute(select(alert_acks).where(alert_acks.c.hall == hall, alert_acks.c.alert_id == alert_id)
                       ).mappings().first()
    if row is not None:
        return {"by": row["acked_by"], "at": utc(row["acked_at"])}
    conn.execute(insert(alert_acks).values(hall=hall, alert_id=alert_id, acked_by=by, acked_at=at))
    return {"by": by, "at": at}


def forget_acks(conn: Connection, hall: str, ids: Iterable[str]) -> int:
    """The alerts behind these acknowledgements are over: should the cause come back, it sounds again."""
    gone = list(ids)
    if not gone:
        return 0
    return int(conn.execute(delete(alert_acks).where(alert_acks.c.hall == hall,
                                                     alert_acks.c.alert_id.in_(gone))).rowcount)


def bad_ratings_since(conn: Connection, hall: str, since: datetime, worst: int = 2) -> list[dict[str, Any]]:
    rows = conn.execute(select(ratings.c.id, ratings.c.ticket_id, ratings.c.counter, ratings.c.level,
                               ratings.c.reasons, ratings.c.at)
                        .where(ratings.c.hall == hall, ratings.c.at >= since, ratings.c.level <= worst)
                        .order_by(ratings.c.at)).mappings()
    return [{**row, "at": utc(row["at"])} for row in rows]


def overdue_followups(conn: Connection, hall: str, today: date) -> list[dict[str, Any]]:
    """Open follow-ups (整改) past their due date, as the follow-ups store lists them."""
    return [{"id": r["id"], "due": r["due_date"], "assignee": r["assignee"], "counter": r["counter"]}
            for r in followups.for_hall(conn, hall, "overdue", today)]


PAUSE_TYPES = ("counter.opened", "counter.paused", "counter.resumed", "counter.closed")


def counter_events_since(conn: Connection, hall: str, since: datetime,
                         after_seq: int) -> list[tuple[int, str, Any, int]]:
    """``(seq, type, at, counter number)`` of the counter events after ``after_seq`` and not before
    ``since``, oldest first. Walks the log backwards by its key, so it reads only today's part."""
    query = (select(events.c.seq, events.c.type, events.c.at, events.c.public)
             .where(events.c.hall == hall, events.c.seq > after_seq, events.c.type.in_(PAUSE_TYPES))
             .order_by(desc(events.c.seq)))
    out = []
    for row in conn.execute(query):
        at = utc(row.at)
        if at < since:
            break
        number = (row.public or {}).get("counter", {}).get("number")
        if number is not None:
            out.append((int(row.seq), str(row.type), at, int(number)))
    out.reverse()
    return out
