"""The guide's desk page: /guide/{hall} (导办台, seed art. 9, 16(二))."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain import assisted
from server.domain.views import hall_info
from server.web import render, staff_and_hall

ROLE_NAMES = {"guide": "导办员", "manager": "管理人员", "admin": "系统管理员"}


async def guide_page(request: Request) -> Response:
    """The hall's guides, and its managers and admins; anyone else signed in: 403; nobody: the login page."""
    found = await staff_and_hall(request)
    if isinstance(found, Response):
        return found
    principal, hall = found
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name or principal.name,
            "role_name": ROLE_NAMES.get(principal.role, principal.role)}
    code = hall.config.code
    if principal.kind != "user" or principal.role not in ROLE_NAMES or not principal.in_hall(code):
        return render("guide.html", status=403, forbidden=True, hall=hall.config, user=user)
    page = {"hall": hall_info(hall), "user": user, "steps": list(assisted.STEPS)}
    return render("guide.html", hall=hall.config, user=user, page=page)


ROUTES = [
    Route("/guide/{hall}", guide_page),
]
