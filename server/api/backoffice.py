"""The department's workbench (/backoffice/{hall}) as JSON: its lists of cases. The rules are
server/services/backoffice.py; its live feed is /ws/halls/{hall}/departments/{code}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.services import backoffice

from .declare import Param, endpoint
from .errors import JSONResponse


@endpoint("GET", "/halls/{hall}/backoffice", "A department's workbench: the cases it decides, by list",
          tag="cases", query={"department": Param("a department's code (managers; a department account: its own)",
                                                  {"type": "string", "maxLength": 32})},
          responses={200: "{department, today, counts, lists: {new, in_review, supplement, due_soon, overdue, "
                          "decided_recently}}: case objects with every part, the timeline, the materials checklist "
                          "and the applicant's name, phone and id_last4",
                     403: "not a department account or a manager of this hall", 404: "unknown hall or department",
                     422: "a manager without department"})
async def department_board(request: Request) -> Response:
    """A department account sees its own department's cases; the hall's managers name one."""
    context = ctx(request)
    principal = await require_principal(request)
    department = await backoffice.follower(context, principal, request.path_params["hall"],
                                           request.query_params.get("department") or None)
    return JSONResponse(await backoffice.board(context, department))


ROUTES: list[BaseRoute] = [department_board]
