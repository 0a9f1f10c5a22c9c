"""意见建议/投诉 and window escalations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .tables_feedback import escalations, feedback


def add(conn: Connection, **values: Any) -> int:
    row = conn.execute(insert(feedback).values(**values).returning(feedback.c.id)).one()
    return int(row.id)


def get(conn: Connection, feedback_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(feedback).where(feedback.c.id == feedback_id)).mappings().first()
    return dict(row) if row is not None else None


def by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    row = conn.execute(select(feedback).where(feedback.c.status_token == token)).mappings().first()
    return dict(row) if row is not None else None


def for_hall(conn: Connection, hall: str, status: str | None, today: date, limit: int = 500) -> list[dict[str, Any]]:
    """open (not closed, overdue included) and overdue: the soonest due first; closed: newest
    closed first; None: all, the open first."""
    query = select(feedback).where(feedback.c.hall == hall)
    if status == "closed":
        query = query.where(feedback.c.closed_at.is_not(None)).order_by(feedback.c.closed_at.desc())
    else:
        if status in ("open", "overdue"):
            query = query.where(feedback.c.closed_at.is_(None))
        if status == "overdue":
            query = query.where(feedback.c.due_date < today)
        query = query.order_by(feedback.c.closed_at.is_not(None), feedback.c.due_date, feedback.c.id)
    return [dict(row) for row in conn.execute(query.limit(limit)).mappings()]


def named_since(conn: Connection, hall: str, since: datetime) -> list[dict[str, Any]]:
    """The counter and clerk of each item given since then that names either."""
    query = (select(feedback.c.counter, feedback.c.clerk)
             .where(feedback.c.hall == hall, feedback.c.created_at >= since,
                    (feedback.c.counter.is_not(None)) | (feedback.c.clerk.is_not(None))))
    return [dict(row) for row in conn.execute(query).mappings()]


def change(conn: Connection, feedback_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(feedback).where(feedback.c.id == feedback_id).values(**values))


def overdue(conn: Connection, hall: str, today: date) -> list[dict[str, Any]]:
    """Open items past their due day, for the alerts: ``{id, kind, due}``."""
    return [{"id": r["id"], "kind": r["kind"], "due": r["due_date"]} for r in for_hall(conn, hall, "overdue", today)]


# ---------------------------------------------------------------- escalations
def add_escalation(conn: Connection, **values: Any) -> int:
    row = conn.execute(insert(escalations).values(**values).returning(escalations.c.id)).one()
    return int(row.id)


def get_escalation(conn: Connection, escalation_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(escalations).where(escalations.c.id == escalation_id)).mappings().first()
    return dict(row) if row is not None else None


def escalations_for_hall(conn: Connection, hall: str, status: str | None, limit: int = 500) -> list[dict[str, Any]]:
    """Oldest open first, then the closed newest first."""
    query = select(escalations).where(escalations.c.hall == hall)
    if status == "open":
        query = query.where(escalations.c.closed_at.is_(None))
    elif status == "closed":
        query = query.where(escalations.c.closed_at.is_not(None))
    query = query.order_by(escalations.c.closed_at.is_not(None), escalations.c.closed_at.desc(), escalations.c.id)
    return [dict(row) for row in conn.execute(query.limit(limit)).mappings()]


def close_escalation(conn: Connection, escalation_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(**values))
