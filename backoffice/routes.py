"""The department's workbench page: /backoffice/{hall}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.errors import DomainError
from server.domain.views import hall_info
from server.services import backoffice
from server.web import render, staff_and_hall


async def backoffice_page(request: Request) -> Response:
    """A department account of this hall: its department's cases, live over the department feed
    (backoffice/static/js/backoffice.js). Anyone else signed in: 403 (managers follow the hall's
    cases on the dashboard and in the register)."""
    context = ctx(request)
    found = await staff_and_hall(request)
    if isinstance(found, Response):
        return found
    principal, hall = found
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name or principal.name}
    code = hall.config.code
    refused = render("backoffice.html", status=403, forbidden=True, hall=hall.config, user=user)
    if principal.kind != "user" or principal.role != "department" or not principal.in_hall(code):
        return refused
    try:
        department = await backoffice.follower(context, principal, code, None)
    except DomainError:  # no department, or one the hall no longer has
        return refused
    page = {"hall": hall_info(hall), "user": user, "department": department.header(),
            "today": hall.local_day(context.clock.now()).isoformat()}
    return render("backoffice.html", hall=hall.config, user=user, page=page, department=department.header())


ROUTES = [
    Route("/backoffice/{hall}", backoffice_page),
]
