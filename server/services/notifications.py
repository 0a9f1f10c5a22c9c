"""The hall's outgoing notifications (SMS), newest first, for its managers (the messages themselves
are sent by server/jobs). Phone numbers are stored and shown masked (138****1234)."""

from __future__ import annotations

from typing import Any

from server import params
from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Forbidden
from server.domain.views import iso
from server.store import notifications as store

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _limit(raw: str | None) -> int:
    return params.query_number(raw, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)


async def for_hall(context: AppContext, principal: Principal, code: str, limit: str | None = None
                   ) -> list[dict[str, Any]]:
    """The hall's notifications, newest first, for its managers: ``limit`` (as sent) 1–500, 50 if absent."""
    hall = await context.engine.hall(code)  # UnknownHall first
    if not principal.manages(code):
        raise Forbidden("只有本大厅的管理人员可以查看短信通知", "only the hall's managers may see notifications")
    count = _limit(limit)
    rows = await context.engine.read(lambda conn: store.recent(conn, code, count))
    return [{"id": row["id"], "kind": row["kind"], "to_phone": row["to_phone"], "text": row["text"],
             "key": row["key"], "status": row["status"], "attempts": row["attempts"],
             "created_at": iso(row["created_at"], hall), "sent_at": iso(row["sent_at"], hall),
             "error": row["error"]} for row in rows]
