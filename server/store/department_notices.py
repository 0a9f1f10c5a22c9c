"""Department webhooks and the messages to departments: insert-once by key, claim with a lease, count
every attempt (the same two atomic statements as server/store/notifications.py, for the same reason:
of two deliveries of one key exactly one claim matches a row)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .repo import utc
from .tables_department_notices import department_notices as notices
from .tables_department_notices import department_webhooks as webhooks

PENDING, SENT, FAILED, KEPT = "pending", "sent", "failed", "kept"
ERROR_MAX = 500


def _dialect(conn: Connection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


# ---------------------------------------------------------------- webhooks
def webhook(conn: Connection, hall: str, department: str) -> dict[str, Any] | None:
    """{url, secret, updated_at, updated_by}, or None when the department has none."""
    row = conn.execute(select(webhooks).where(webhooks.c.hall == hall, webhooks.c.department == department)
                       ).mappings().first()
    if row is None:
        return None
    return {**row, "updated_at": utc(row["updated_at"])}


def put_webhook(conn: Connection, hall: str, department: str, url: str, secret: str, by: str | None,
                now: datetime) -> bool:
    """Sets the department's webhook; True when it had none."""
    values = {"url": url, "secret": secret, "updated_at": now, "updated_by": by}
    stmt = (_dialect(conn).insert(webhooks).values(hall=hall, department=department, **values)
            .on_conflict_do_update(index_elements=["hall", "department"], set_=values))
    existed = webhook(conn, hall, department) is not None
    conn.execute(stmt)
    return not existed


def delete_webhook(conn: Connection, hall: str, department: str) -> bool:
    return conn.execute(delete(webhooks).where(webhooks.c.hall == hall, webhooks.c.department == department)
                        ).rowcount == 1


# ---------------------------------------------------------------- messages
def record(conn: Connection, *, hall: str, department: str, kind: str, ref: str | None, text: str,
           payload: dict[str, Any], key: str, now: datetime) -> bool:
    """Store the message as pending unless its key is known; True when this call stored it."""
    stmt = _dialect(conn).insert(notices).values(
        hall=hall, department=department, kind=kind, ref=ref, text=text, payload=payload, key=key, status=PENDING,
        attempts=0, created_at=now).on_conflict_do_nothing(index_elements=["key"])
    return conn.execute(stmt).rowcount == 1


def claim(conn: Connection, key: str, now: datetime, lease_until: datetime) -> bool:
    """Take the pending message for delivery; False when it is delivered, failed or someone else's."""
    stmt = (update(notices)
            .where(and_(notices.c.key == key, notices.c.status == PENDING,
                        or_(notices.c.lease_until.is_(None), notices.c.lease_until < now)))
            .values(lease_until=lease_until))
    return conn.execute(stmt).rowcount == 1


def attempted(conn: Connection, key: str, *, status: str, error: str | None, now: datetime,
              lease_until: datetime | None, count: bool = True) -> None:
    """One attempt and its outcome (``count=False``: no attempt was made, e.g. kept for the workbench)."""
    values: dict[str, Any] = {"status": status, "error": error[:ERROR_MAX] if error else None,
                              "lease_until": lease_until}
    if count:
        values["attempts"] = notices.c.attempts + 1
    if status in (SENT, KEPT):
        values["sent_at"] = now
    conn.execute(update(notices).where(notices.c.key == key).values(**values))


def by_key(conn: Connection, key: str) -> RowMapping | None:
    return conn.execute(select(notices).where(notices.c.key == key)).mappings().first()


def recent(conn: Connection, hall: str, department: str, limit: int) -> list[dict[str, Any]]:
    """The department's newest messages first; times in UTC."""
    stmt = (select(notices).where(notices.c.hall == hall, notices.c.department == department)
            .order_by(notices.c.created_at.desc(), notices.c.id.desc()).limit(limit))
    out = []
    for row in conn.execute(stmt).mappings():
        item = dict(row)
        item["created_at"] = utc(row["created_at"])
        item["sent_at"] = utc(row["sent_at"]) if row["sent_at"] is not None else None
        out.append(item)
    return out


def stale(conn: Connection, now: datetime, older_than: datetime, limit: int = 100) -> list[str]:
    """Keys still pending with no delivery holding them, recorded before ``older_than``: their job was
    lost (the queue was down, the process ended) and they are handed over again."""
    stmt = (select(notices.c.key)
            .where(notices.c.status == PENDING, notices.c.created_at < older_than,
                   or_(notices.c.lease_until.is_(None), notices.c.lease_until < now))
            .order_by(notices.c.id).limit(limit))
    return list(conn.scalars(stmt))
