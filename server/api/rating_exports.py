"""好差评 to the province: the day's file for the hall's managers (docs/kpis.md). The rules are
server/services/rating_exports.py; the daily delivery is server/jobs/rating_export.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.services import rating_exports

from .declare import choice, day, endpoint


@endpoint("GET", "/halls/{hall}/ratings/export", "The day's 好差评 in the national layout: "
          "?date=YYYY-MM-DD&format=csv|jsonl (managers)", tag="reports",
          query={"date": day("the hall-local day (today)"), "format": choice("csv (UTF-8 with BOM, Chinese "
                                                                             "headers) or jsonl", "csv", "jsonl")},
          responses={200: "the file, one line per rating", 403: "not a manager of the hall",
                     422: "a bad date or format"},
          produces=("text/csv", "application/x-ndjson"))
async def ratings_export(request: Request) -> Response:
    principal = await require_principal(request)
    q = request.query_params
    file = await rating_exports.day_file(ctx(request), principal, request.path_params["hall"], q.get("date"),
                                         q.get("format"))
    return Response(file.content, media_type=file.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{file.filename}"'})


ROUTES: list[BaseRoute] = [ratings_export]
