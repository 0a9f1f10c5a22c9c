"""The hall's outgoing notifications (SMS), newest first, for the managers' dashboard."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, forbid, require_principal
from server.domain.errors import InvalidInput
from server.domain.views import iso
from server.store import notifications

from .declare import endpoint
from .errors import JSONResponse

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit 须为 1 到 {MAX_LIMIT} 的整数", f"limit must be 1 to {MAX_LIMIT}", "limit")
    return limit


@endpoint("GET", "/halls/{hall}/notifications", "The hall's notifications, newest first (managers)",
          tag="notifications", responses={
              200: "[{id, kind, to_phone (masked), text, key, status, attempts, created_at, sent_at, error}]",
              403: "not a manager of this hall", 404: "unknown hall"})
async def list_notifications(request: Request) -> Response:
    """``?limit=`` 1–500, default 50. Phone numbers are stored and shown masked (138****1234)."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    if not principal.is_manager or not principal.in_hall(code):
        raise forbid("只有本大厅的管理人员可以查看短信通知", "only the hall's managers may see notifications")
    limit = _limit(request)
    rows = await context.engine.read(lambda conn: notifications.recent(conn, code, limit))
    return JSONResponse([{"id": row["id"], "kind": row["kind"], "to_phone": row["to_phone"], "text": row["text"],
                          "key": row["key"], "status": row["status"], "attempts": row["attempts"],
                          "created_at": iso(row["created_at"], hall), "sent_at": iso(row["sent_at"], hall),
                          "error": row["error"]} for row in rows])


ROUTES: list[BaseRoute] = [list_notifications]
