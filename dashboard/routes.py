"""The dashboard's page: /dashboard/{hall}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.views import hall_info
from server.web import render, staff_and_hall


async def dashboard_page(request: Request) -> Response:
    """The manager's dashboard (督查看板): managers and admins only, live over the dashboard feed."""
    context = ctx(request)
    found = await staff_and_hall(request)
    if isinstance(found, Response):
        return found
    principal, hall = found
    if not principal.manages(hall.config.code):
        return render("dashboard.html", status=403, forbidden=True, hall=hall.config,
                      user={"name": principal.display_name or principal.name})
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name}
    page = {"hall": hall_info(hall), "user": user, "today": hall.local_day(context.clock.now()).isoformat()}
    return render("dashboard.html", hall=hall.config, user=user, page=page)


ROUTES = [
    Route("/dashboard/{hall}", dashboard_page),
]
