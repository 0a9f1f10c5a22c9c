"""Follow-ups (整改) and each hall's due-date setting."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from server.domain.followups import DEFAULT_DUE_DAYS

from .tables import ratings
from .tables_followups import followup_settings, followups

_COLUMNS = [*followups.c, ratings.c.reasons, ratings.c.comment, ratings.c.source,
            ratings.c.at.label("rated_at")]


def _query() -> Any:
    return select(*_COLUMNS).select_from(followups.join(ratings, ratings.c.id == followups.c.rating_id))


def add(conn: Connection, *, hall: str, rating_id: int, ticket_id: str, ticket_number: str, counter: int,
        clerk: str | None, level: int, opened_at: datetime, due_date: date, due_provisional: bool) -> int:
    row = conn.execute(insert(followups).values(
        hall=hall, rating_id=rating_id, ticket_id=ticket_id, ticket_number=ticket_number, counter=counter,
        clerk=clerk, level=level, opened_at=opened_at, due_date=due_date, due_provisional=due_provisional,
    ).returning(followups.c.id)).one()
    return int(row.id)


def get(conn: Connection, followup_id: int) -> dict[str, Any] | None:
    row = conn.execute(_query().where(followups.c.id == followup_id)).mappings().first()
    return dict(row) if row is not None else None


def for_hall(conn: Connection, hall: str, status: str | None, today: date, limit: int = 500) -> list[dict[str, Any]]:
    """A hall's follow-ups, the soonest due first. ``status``: open (not closed, overdue included),
    overdue, closed, or None for all."""
    query = _query().where(followups.c.hall == hall)
    if status == "closed":
        query = query.where(followups.c.closed_at.is_not(None)).order_by(followups.c.closed_at.desc())
    else:
        if status in ("open", "overdue"):
            query = query.where(followups.c.closed_at.is_(None))
        if status == "overdue":
            query = query.where(followups.c.due_date < today)
        query = query.order_by(followups.c.due_date, followups.c.id)
    return [dict(row) for row in conn.execute(query.limit(limit)).mappings()]


def change(conn: Connection, followup_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(followups).where(followups.c.id == followup_id).values(**values))


def due_days(conn: Connection, hall: str) -> int:
    value = conn.scalar(select(followup_settings.c.due_days).where(followup_settings.c.hall == hall))
    return int(value) if value is not None else DEFAULT_DUE_DAYS


def set_due_days(conn: Connection, hall: str, days: int, who: str, at: datetime) -> None:
    conn.execute(delete(followup_settings).where(followup_settings.c.hall == hall))
    conn.execute(insert(followup_settings).values(hall=hall, due_days=days, updated_by=who, updated_at=at))
