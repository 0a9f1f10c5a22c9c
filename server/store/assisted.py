"""代办 matters (assisted service): add, read, list, record a step, close."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .tables_assisted import assisted


def add(conn: Connection, **values: Any) -> int:
    row = conn.execute(insert(assisted).values(steps=[], **values).returning(assisted.c.id)).one()
    return int(row.id)


def get(conn: Connection, hall: str, matter_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(assisted).where(assisted.c.hall == hall, assisted.c.id == matter_id)).mappings().first()
    return dict(row) if row is not None else None


def for_hall(conn: Connection, hall: str, status: str | None, limit: int = 500, since: datetime | None = None,
             until: datetime | None = None) -> list[dict[str, Any]]:
    """open: oldest first (the ones waiting longest); closed: newest closed first; None: newest first.
    ``since`` and ``until`` (UTC) bound when each was opened, ``until`` itself excluded."""
    query = select(assisted).where(assisted.c.hall == hall)
    if since is not None:
        query = query.where(assisted.c.opened_at >= since)
    if until is not None:
        query = query.where(assisted.c.opened_at < until)
    if status == "open":
        query = query.where(assisted.c.closed_at.is_(None)).order_by(assisted.c.opened_at, assisted.c.id)
    elif status == "closed":
        query = query.where(assisted.c.closed_at.is_not(None)).order_by(assisted.c.closed_at.desc())
    else:
        query = query.order_by(assisted.c.opened_at.desc(), assisted.c.id.desc())
    return [dict(row) for row in conn.execute(query.limit(limit)).mappings()]


def set_steps(conn: Connection, matter_id: int, steps: list[dict[str, Any]]) -> None:
    conn.execute(update(assisted).where(assisted.c.id == matter_id).values(steps=steps))


def close(conn: Connection, matter_id: int, result: str, who: str, at: datetime,
          steps: list[dict[str, Any]]) -> None:
    conn.execute(update(assisted).where(assisted.c.id == matter_id).values(
        result=result, closed_by=who, closed_at=at, steps=steps))
