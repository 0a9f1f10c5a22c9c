"""Server-rendered pages. The fronts (kiosk, counter, displays, dashboard) replace these
placeholders as their issues land; the login page is shared by every staff page."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from server.api.context import ctx
from server.api.halls import locate_ticket
from server.domain.views import public_counter, public_ticket

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


async def ticket_page(request: Request) -> Response:
    """A visitor's own ticket (the QR code on the paper ticket): its state now, embedded in the
    page, then live over /ws/tickets/{status_token}."""
    located = await locate_ticket(ctx(request), request.path_params["status_token"])
    if located is None:
        return render("not_found.html", status=404, title="没有找到这张票", title_en="Ticket not found",
                      message="请核对二维码或网址是否完整，或向导办台咨询。",
                      message_en="Please check that the QR code or the address is complete, or ask at the guide desk.")
    hall, ticket = located
    counter = hall.counters.get(ticket.counter) if ticket.counter is not None else None
    public = public_ticket(hall, ticket, with_token=True)
    page = {
        "ticket": public,
        "counter": public_counter(counter) if counter else None,
        "hall": {"code": hall.config.code, "name": hall.config.name, "timezone": hall.config.timezone},
        "queues": {q.code: q.name for q in hall.config.queues},
    }
    return render("ticket.html", page=page, ticket=public, hall=hall.config, queue=hall.config.queue(ticket.queue))


PAGE_ROUTES = [
    Route("/", index),
    Route("/login", login_page),
    Route("/t/{status_token}", ticket_page),
    Route("/kiosk/{hall}", _public_page("取号机")),  # type: ignore[arg-type]
    Route("/display/{hall}", _public_page("叫号大屏")),  # type: ignore[arg-type]
    Route("/counter/{hall}/{number}", _staff_page("窗口叫号")),  # type: ignore[arg-type]
    Route("/dashboard/{hall}", _staff_page("督查看板")),  # type: ignore[arg-type]
]
