"""Ratings (好差评): one row per finished service, never more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, exists, insert, select

from .tables import ratings


def is_rated(conn: Connection, ticket_id: str) -> bool:
    return bool(conn.scalar(select(exists().where(ratings.c.ticket_id == ticket_id))))


def add_rating(conn: Connection, *, hall: str, ticket_id: str, counter: int, clerk: str | None, level: int,
               reasons: list[str], comment: str | None, source: str, at: datetime) -> int:
    """Raises IntegrityError when the ticket is already rated (the unique ticket_id)."""
    row = conn.execute(insert(ratings).values(
        hall=hall, ticket_id=ticket_id, counter=counter, clerk=clerk, level=level, reasons=reasons,
        comment=comment, source=source, at=at).returning(ratings.c.id)).one()
    return int(row.id)
