"""The notification record: insert-once by key, claim with a lease, count every attempt.

Sending at most once rests on two atomic statements, not on a check-then-act: the key's
``INSERT … ON CONFLICT DO NOTHING`` (the unique key) and the conditional ``UPDATE`` that claims
a pending row whose lease has lapsed. Of two concurrent deliveries of one key exactly one claim
matches a row; the other finds nothing to do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .repo import utc
from .tables_notifications import notifications

PENDING, SENT, FAILED = "pending", "sent", "failed"
ERROR_MAX = 500


def mask_phone(phone: str) -> str:
    """138****1234: enough for a manager to tell messages apart, too little to call anyone."""
    digits = phone.strip()
    if len(digits) >= 8:
        return f"{digits[:3]}****{digits[-4:]}"
    return f"****{digits[-2:]}" if len(digits) > 2 else "****"


def record(conn: Connection, *, hall: str, kind: str, to_phone: str, text: str, key: str, now: datetime) -> bool:
    """Store the message as pending unless its key is known; True when this call stored it."""
    values: dict[str, Any] = {"hall": hall, "kind": kind, "to_phone": mask_phone(to_phone), "text": text,
                              "key": key, "status": PENDING, "attempts": 0, "created_at": now}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(notifications).values(**values).on_conflict_do_nothing(index_elements=["key"])
    return conn.execute(stmt).rowcount == 1


def claim(conn: Connection, key: str, now: datetime, lease_until: datetime) -> bool:
    """Take the pending message for delivery; False when it is sent, failed or someone else's."""
    stmt = (update(notifications)
            .where(and_(notifications.c.key == key, notifications.c.status == PENDING,
                        or_(notifications.c.lease_until.is_(None), notifications.c.lease_until < now)))
            .values(lease_until=lease_until))
    return conn.execute(stmt).rowcount == 1


def attempted(conn: Connection, key: str, *, status: str, error: str | None, now: datetime,
              lease_until: datetime | None) -> None:
    """Count one attempt and its outcome; ``lease_until`` keeps the claim while retries go on."""
    values: dict[str, Any] = {"attempts": notifications.c.attempts + 1, "status": status,
                              "error": error[:ERROR_MAX] if error else None, "lease_until": lease_until}
    if status == SENT:
        values["sent_at"] = now
    conn.execute(update(notifications).where(notifications.c.key == key).values(**values))


def by_key(conn: Connection, key: str) -> RowMapping | None:
    return conn.execute(select(notifications).where(notifications.c.key == key)).mappings().first()


def recent(conn: Connection, hall: str, limit: int) -> list[dict[str, Any]]:
    """The hall's newest messages first, for the managers' dashboard; times in UTC."""
    stmt = (select(notifications).where(notifications.c.hall == hall)
            .order_by(notifications.c.created_at.desc(), notifications.c.id.desc()).limit(limit))
    out = []
    for row in conn.execute(stmt).mappings():
        item = dict(row)
        item["created_at"] = utc(row["created_at"])
        item["sent_at"] = utc(row["sent_at"]) if row["sent_at"] is not None else None
        out.append(item)
    return out
