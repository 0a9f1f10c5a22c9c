"""The audit trail: append, and search newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, cast, insert, or_, select

from .tables_audit import audit_log


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None else None


def _row(*, at: datetime, actor: str, kind: str, action: str, role: str | None = None, hall: str | None = None,
         method: str | None = None, path: str | None = None, target: str | None = None, status: int | None = None,
         detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"at": at, "actor": _cut(actor, 64) or "?", "kind": kind, "role": _cut(role, 16), "hall": _cut(hall, 32),
            "action": _cut(action, 80) or "?", "method": method, "path": _cut(path, 200),
            "target": _cut(target, 200), "status": status, "detail": detail or {}}


def add_entry(conn: Connection, **entry: Any) -> None:
    """One entry: at, actor, kind, action; role, hall, method, path, target, status, detail if known."""
    conn.execute(insert(audit_log).values(_row(**entry)))


INSERT_ENTRY = insert(audit_log)  # built once: compiled once, then found in SQLAlchemy's cache


def add_entries(conn: Connection, entries: list[dict[str, Any]]) -> None:
    """A batch of entries (server/services/audit.py writes them every few ms), as one executemany
    of a prebuilt statement: a multi-row VALUES differs with every batch size and was compiled
    anew each time, a third of the audit's cost."""
    if entries:
        conn.execute(INSERT_ENTRY, [_row(**entry) for entry in entries])


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(conn: Connection, *, hall: str | None = None, actor: str | None = None, action: str | None = None,
           start: datetime | None = None, end: datetime | None = None, q: str | None = None,
           limit: int = 100) -> list[dict[str, Any]]:
    """Newest first. ``action`` matches the name or its start (``counter`` finds counter.call-next);
    ``q`` looks for a piece of text in the actor, action, target or summary."""
    query = select(audit_log)
    if hall is not None:
        query = query.where(audit_log.c.hall == hall)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:
        query = query.where(or_(audit_log.c.action == action,
                                audit_log.c.action.like(_escape(action) + ".%", escape="\\")))
    if start is not None:
        query = query.where(audit_log.c.at >= start)
    if end is not None:
        query = query.where(audit_log.c.at < end)
    if q:
        pattern = f"%{_escape(q)}%"
        query = query.where(or_(*(col.ilike(pattern, escape="\\") for col in (
            audit_log.c.actor, audit_log.c.action, audit_log.c.target, cast(audit_log.c.detail, String)))))
    query = query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    return [{str(k): v for k, v in row.items()} for row in conn.execute(query).mappings()]
