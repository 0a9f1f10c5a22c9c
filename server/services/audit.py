"""The audit trail (issue 9): appending an entry, and searching the trail.

Entries are written by the HTTP edge's ``AuditTrail`` middleware (server/api/audit.py), the sign-in
(server/services/accounts.py) and server/cli.py; ``search`` is for managers (their own hall) and admins
(every hall), newest first, each entry with its Chinese words (server/domain/audit_text.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server import params
from server.auth import Principal
from server.context import AppContext
from server.domain import audit_text
from server.domain.errors import Forbidden
from server.engine import StorageError
from server.store import accounts
from server.store import audit as store
from server.store.repo import utc

log = logging.getLogger("onewindow")
CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


BATCH_S = 0.02  # entries gather this long, then go in one write transaction
RETRY_S = 1.0  # while the database is away, entries wait and are tried again this often …
MAX_PENDING = 10_000  # … up to this many (the oldest give way; the outage is in the log)


async def record(context: AppContext, *, actor: str, kind: str, action: str, role: str | None = None,
                 hall: str | None = None, method: str | None = None, path: str | None = None,
                 target: str | None = None, status: int | None = None, detail: dict[str, Any] | None = None) -> None:
    """Appends one entry, written with the others of the next few milliseconds inside the hall's
    next commit (on SQLite a write transaction of its own per staff request halved the hall's rate,
    and one per batch still cost a second fsync). Never raises: the action stands whatever happens
    to its entry."""
    context.audit_pending.append({"at": context.clock.now(), "actor": actor, "kind": kind, "action": action,
                                  "role": role, "hall": hall, "method": method, "path": path, "target": target,
                                  "status": status, "detail": detail})
    _flush_in(context, BATCH_S)


def _flush_in(context: AppContext, seconds: float) -> None:
    if context.audit_flusher is None or context.audit_flusher.done():
        context.audit_flusher = asyncio.create_task(_flush_later(context, seconds), name="audit-batch")


async def _flush_later(context: AppContext, seconds: float) -> None:
    await asyncio.sleep(seconds)
    if await flush(context) is False:
        context.audit_flusher = None  # this task ends now: let the retry start one of its own
        _flush_in(context, RETRY_S)


async def flush(context: AppContext) -> bool:
    """Writes every pending entry now (before a search, and when the app stops). False while the
    database is away: the entries stay pending (the engine logs the outage once, not this).
    One flush at a time: a search must also wait for the entries a batch took a moment ago and is
    still writing, or the action just taken is missing from what the manager reads."""
    async with context.audit_writing:
        return await _write_pending(context)


async def _write_pending(context: AppContext) -> bool:
    entries = list(context.audit_pending)
    del context.audit_pending[: len(entries)]
    if not entries:
        return True
    try:  # in the commit of the hall the last entry concerns, if this process has it in hand
        await context.engine.write_along(lambda conn: store.add_entries(conn, entries), entries[-1]["hall"])
    except StorageError:
        context.audit_pending[:0] = entries
        del context.audit_pending[:-MAX_PENDING]
        return False
    except Exception:
        log.exception("%d audit entries not recorded (%s …)", len(entries), entries[0]["action"])
    return True


def _when(raw: str | None, name: str, end: bool) -> datetime | None:
    """An ISO date (the whole day, China time) or date-time."""
    if not raw:
        return None
    if len(raw) == 10:
        day = params.day(raw, name)
        return datetime.combine(day + timedelta(days=1) if end else day, time(), CHINA)
    at = params.instant(raw, name)
    return at if at.tzinfo is not None else at.replace(tzinfo=CHINA)


def _entry(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """An entry as the trail shows it: the time in China time, who by name, and its Chinese words."""
    return {**row, "at": utc(row["at"]).astimezone(CHINA).isoformat(timespec="seconds"),
            "actor_name": names.get(row["actor"]), "action_label": audit_text.action_text(row["action"]),
            "target_label": audit_text.target_text(row["target"]),
            "detail_label": audit_text.detail_text(row["detail"]),
            "sentence": audit_text.sentence(row, names.get(row["actor"]) if row["kind"] == "user" else None)}


async def search(context: AppContext, principal: Principal, *, hall: str | None = None, actor: str | None = None,
                 action: str | None = None, start: str | None = None, end: str | None = None,
                 q: str | None = None, limit: str | None = None) -> list[dict[str, Any]]:
    """The trail, newest first. Managers read their own hall (``hall`` None: theirs), admins any
    (None: all). ``action`` matches a name or its first part; ``start`` and ``end`` take a date
    (whole days, China time) or a date-time; ``q`` finds text in the actor, action, target or
    summary; ``limit`` (as sent) 1..1000, 100 if absent."""
    if not principal.is_manager:
        raise Forbidden("只有管理人员可以查看操作日志", "only managers and admins read the audit trail")
    hall = hall or None
    if principal.role != "admin":
        if hall is not None and hall != principal.hall:
            raise Forbidden("只能查看本大厅的操作日志", "managers read their own hall's trail")
        hall = principal.hall
    count = params.query_number(limit, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)
    since, until = _when(start, "from", False), _when(end, "to", True)
    text = (q or "").strip()[:100] or None
    await flush(context)  # this process's entries of the last milliseconds too
    rows = await context.engine.read(lambda conn: store.search(
        conn, hall=hall, actor=actor or None, action=action or None, start=since, end=until, q=text,
        limit=count))
    names = await context.engine.read(lambda conn: accounts.display_names(conn, {row["actor"] for row in rows}))
    return [_entry(row, names) for row in rows]
