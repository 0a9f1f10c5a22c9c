"""The district's overview: every hall the caller manages, with its live figures and today's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.services import district

from .declare import endpoint
from .errors import JSONResponse


@endpoint("GET", "/district", "Each hall the caller manages: waiting, longest wait, open counters, served today "
          "and satisfaction (an admin: every hall; a manager: their own)", tag="dashboard",
          responses={200: "{halls: [{code, name, waiting, longest_wait_s, open_counters, counters, served_today, "
                          "ratings, satisfaction}]}", 403: "not a manager or an administrator"})
async def get_district(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse({"halls": await district.overview(ctx(request), principal)})


ROUTES = [get_district]
