"""The staff's online pre-review page: /prereview/{hall} (网上预审). The department's workbench
(/backoffice/{hall}) links here; ``#123`` opens application 123."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.errors import Forbidden
from server.services.applications import reviewer_scope
from server.web import render, staff_and_hall

ROLE_NAMES = {"department": "部门人员", "clerk": "窗口人员", "manager": "管理人员", "admin": "系统管理员"}


async def prereview_page(request: Request) -> Response:
    """A department account of this hall (its items' applications), or the hall's clerks, managers and
    admins (all of them); anyone else signed in: 403; nobody: the login page."""
    context = ctx(request)
    found = await staff_and_hall(request)
    if isinstance(found, Response):
        return found
    principal, hall = found
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name or principal.name,
            "role_name": ROLE_NAMES.get(principal.role, principal.role)}
    try:
        department = reviewer_scope(principal, hall.config.code)
    except Forbidden:
        return render("prereview.html", status=403, forbidden=True, hall=hall.config, user=user)
    page = {"hall": {"code": hall.config.code, "name": hall.config.name, "timezone": hall.config.timezone},
            "user": user, "department": department, "today": hall.local_day(context.clock.now()).isoformat()}
    return render("prereview.html", hall=hall.config, user=user, page=page)


ROUTES = [
    Route("/prereview/{hall}", prereview_page),
]
