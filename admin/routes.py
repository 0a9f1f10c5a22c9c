"""The administrator's pages: /admin (the halls one may set up), /admin/{hall} (one hall's set-up,
a tab per part: queues and counters, departments, the catalog, staff, devices, settings)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.context import ctx
from server.domain.views import hall_info
from server.services import district, layout
from server.web import render, signed_in, staff_and_hall, to_login

TABS = (("layout", "队列与窗口"), ("departments", "部门"), ("catalog", "事项目录"), ("staff", "人员"),
        ("devices", "设备"), ("settings", "大厅设置"))


async def halls_page(request: Request) -> Response:
    """An admin sees every hall and may create one; a manager goes straight to their own hall."""
    principal = await signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role == "manager" and principal.hall:
        return RedirectResponse(f"/admin/{principal.hall}", status_code=303)
    if principal.role != "admin":
        return render("admin_forbidden.html", status=403, user={"name": principal.display_name or principal.name})
    halls = await layout.hall_list(ctx(request), principal)
    return render("admin_halls.html", halls=halls, user={"username": principal.name, "role": principal.role,
                                                         "name": principal.display_name})


async def hall_page(request: Request) -> Response:
    """One hall's set-up: its admin anywhere, its own managers."""
    context = ctx(request)
    found = await staff_and_hall(request)
    if isinstance(found, Response):
        return found
    principal, hall = found
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name}
    if not principal.manages(hall.config.code):
        return render("admin_forbidden.html", status=403, user={"name": principal.display_name or principal.name})
    page = {"hall": hall_info(hall), "user": user, "today": hall.local_day(context.clock.now()).isoformat()}
    return render("admin.html", hall=hall.config, user=user, page=page, tabs=TABS)


async def district_page(request: Request) -> Response:
    """全区概览: each hall one manages (an admin: every hall), live (admin/static/js/district.js)."""
    principal = await signed_in(request)
    if principal is None:
        return to_login(request)
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name or principal.name}
    if not principal.is_manager:
        return render("district.html", status=403, forbidden=True, user=user)
    halls = await district.overview(ctx(request), principal)
    page = {"hall": {"code": "", "queues": [], "counters": []}, "halls": halls, "user": user}
    return render("district.html", halls=halls, user=user, page=page)


ROUTES = [
    Route("/admin", halls_page),
    Route("/admin/{hall}", hall_page),
    Route("/district", district_page),
]
