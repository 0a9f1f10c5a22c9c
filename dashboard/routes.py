"""The dashboard's page: /dashboard/{hall}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.views import hall_info
from server.web import not_found, public_hall, render, signed_in, to_login


async def dashboard_page(request: Request) -> Response:
    """The manager's dashboard (督查看板): managers and admins only, live over the dashboard feed."""
    context = ctx(request)
    principal = await signed_in(request)
    if principal is None:
        return to_login(request)
    hall = await public_hall(request)
    if hall is None:
        return not_found("没有找到这个大厅", "Hall not found")
    if not principal.manages(hall.config.code):
        return render("dashboard.html", status=403, forbidden=True, hall=hall.config,
                      user={"name": principal.display_name or principal.name})
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name}
    page = {"hall": hall_info(hall), "user": user, "today": hall.local_day(context.clock.now()).isoformat()}
    return render("dashboard.html", hall=hall.config, user=user, page=page)


ROUTES = [
    Route("/dashboard/{hall}", dashboard_page),
]
