"""Server-rendered pages. The fronts (kiosk, counter, displays, dashboard) replace these
placeholders as their issues land; the login page is shared by every staff page."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))


def render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status)


async def login_page(request: Request) -> Response:
    return render("login.html", next=request.query_params.get("next", "/"))


def _staff_page(title: str) -> object:
    async def page(request: Request) -> Response:
        if not request.session.get("uid"):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render("placeholder.html", title=title, path=request.url.path)

    return page


def _public_page(title: str) -> object:
    async def page(request: Request) -> Response:
        return render("placeholder.html", title=title, path=request.url.path)

    return page


async def index(request: Request) -> Response:
    return render("index.html")


PAGE_ROUTES = [
    Route("/", index),
    Route("/login", login_page),
    Route("/kiosk/{hall}", _public_page("取号机")),  # type: ignore[arg-type]
    Route("/display/{hall}", _public_page("叫号大屏")),  # type: ignore[arg-type]
    Route("/counter/{hall}/{number}", _staff_page("窗口叫号")),  # type: ignore[arg-type]
    Route("/dashboard/{hall}", _staff_page("督查看板")),  # type: ignore[arg-type]
]
