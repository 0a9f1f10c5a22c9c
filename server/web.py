"""What the fronts' pages share: the templates (each front's ``templates/`` and the shared ones in
``server/templates/``), ``/static`` (the shared ``static/`` and each front's ``static/``, one URL
space), the login and index pages, and the small helpers every front's routes use.

The fronts (``kiosk``, ``counters``, ``displays``, ``dashboard``, ``visitor``) import this module;
it never imports them."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from server.auth import Principal
from server.context import ctx
from server.domain.errors import UnknownHall
from server.domain.hall import Hall
from server.domain.model import Counter

FRONTS = ("kiosk", "counters", "displays", "dashboard", "visitor")
HERE = Path(__file__).resolve().parent
# The assets several fronts share (live.js, hall_model.js, base.css, the sounds, …). In the source
# tree server/static is a link to the top-level static/; the wheel carries the files themselves
# there (pyproject.toml), so both an editable and a plain install find them at this path.
SHARED_STATIC = HERE / "static"

TEMPLATES = Environment(
    loader=ChoiceLoader([FileSystemLoader(HERE / "templates"),
                         *(PackageLoader(front, "templates") for front in FRONTS)]),
    autoescape=select_autoescape(["html"]))


def render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status)


def static_files() -> StaticFiles:
    """``/static``: the shared ``static/`` first, then each front's ``static/``, all with the same
    ``js/``, ``css/`` layout, so ``/static/js/kiosk.js`` and ``/static/js/hall_model.js`` are
    neighbours for the browser (module imports such as ``./hall_model.js`` resolve)."""
    return StaticFiles(directory=SHARED_STATIC, packages=[(front, "static") for front in FRONTS])


def not_found(title: str, title_en: str) -> Response:
    return render("not_found.html", status=404, title=title, title_en=title_en,
                  message="请核对网址是否完整，或联系大厅管理人员。",
                  message_en="Please check the address, or ask the hall's staff.")


async def public_hall(request: Request) -> Hall | None:
    """The hall named by ``{hall}`` in the address, or None."""
    try:
        return await ctx(request).engine.hall(request.path_params["hall"])
    except UnknownHall:
        return None


async def hall_counter(request: Request) -> tuple[Hall, Counter] | None:
    """The hall and counter named by ``{hall}`` and ``{number}`` in the address, or None."""
    hall = await public_hall(request)
    raw = request.path_params["number"]
    counter = hall.counters.get(int(raw)) if hall is not None and raw.isdigit() else None
    return (hall, counter) if hall is not None and counter is not None else None


async def signed_in(request: Request) -> Principal | None:
    """The staff member signed in on this browser (the session cookie), or None."""
    user_id = request.session.get("uid")
    return await ctx(request).principal_for_user(int(user_id)) if user_id else None


def to_login(request: Request) -> Response:
    """Off to the login page, which comes back here once signed in."""
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


async def login_page(request: Request) -> Response:
    return render("login.html", next=request.query_params.get("next", "/"))


async def index(request: Request) -> Response:
    return render("index.html")


ROUTES = [
    Route("/", index),
    Route("/login", login_page),
]
