"""The hall's outgoing notifications (SMS), newest first, for the managers' dashboard (the rules:
server/services/notifications.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.services import notifications

from .declare import endpoint, whole
from .errors import JSONResponse


@endpoint("GET", "/halls/{hall}/notifications", "The hall's notifications, newest first (managers)",
          tag="notifications", responses={
              200: "[{id, kind, to_phone (masked), text, key, status, attempts, created_at, sent_at, error}]",
              403: "not a manager of this hall", 404: "unknown hall"},
          query={"limit": whole("how many, newest first (50)", 1, 500)})
async def list_notifications(request: Request) -> Response:
    """``?limit=`` 1–500, default 50. Phone numbers are stored and shown masked (138****1234)."""
    principal = await require_principal(request)
    return JSONResponse(await notifications.for_hall(ctx(request), principal, request.path_params["hall"],
                                                     request.query_params.get("limit")))


ROUTES: list[BaseRoute] = [list_notifications]
