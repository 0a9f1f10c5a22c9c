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
from server.domain.errors import UnknownHall
from server.domain.hall import Hall
from server.domain.model import Counter
from server.domain.ratings import LEVELS, REASONS, UNHAPPY
from server.domain.views import hall_info, public_counter, public_ticket

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


def _not_found(title: str, title_en: str) -> Response:
    return render("not_found.html", status=404, title=title, title_en=title_en,
                  message="请核对网址是否完整，或联系大厅管理人员。",
                  message_en="Please check the address, or ask the hall's staff.")


async def _public_hall(request: Request) -> Hall | None:
    try:
        return await ctx(request).engine.hall(request.path_params["hall"])
    except UnknownHall:
        return None


async def display_page(request: Request) -> Response:
    """The hall's wall screen: the hall's layout embedded, everything live over the public
    display feed. Options in the address: ?queues=A,B ?repeat=N ?rate=R ?token=DISPLAY_TOKEN."""
    hall = await _public_hall(request)
    if hall is None:
        return _not_found("没有找到这个大厅", "Hall not found")
    return render("display.html", hall=hall.config, page={"hall": hall_info(hall)})


async def _hall_counter(request: Request) -> tuple[Hall, Counter] | None:
    hall = await _public_hall(request)
    raw = request.path_params["number"]
    counter = hall.counters.get(int(raw)) if hall is not None and raw.isdigit() else None
    return (hall, counter) if hall is not None and counter is not None else None


async def counter_screen_page(request: Request) -> Response:
    """The small screen above one window, following the same public feed."""
    found = await _hall_counter(request)
    if found is None:
        return _not_found("没有找到这个窗口", "Counter not found")
    hall, counter = found
    return render("counter_screen.html", hall=hall.config, counter=counter,
                  page={"hall": hall_info(hall), "counter": counter.number})


async def counter_page(request: Request) -> Response:
    """The clerk's counter app: signed in with the clerk's account, live over the counter's feed."""
    user_id = request.session.get("uid")
    principal = await ctx(request).principal_for_user(int(user_id)) if user_id else None
    if principal is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    found = await _hall_counter(request)
    if found is None:
        return _not_found("没有找到这个窗口", "Counter not found")
    hall, counter = found
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name,
            "manager": principal.is_manager}
    others = [{"number": c.number, "name": c.name} for c in hall.config.counters if c.number != counter.number]
    return render("counter.html", hall=hall.config, counter=counter, user=user,
                  page={"hall": hall_info(hall), "counter": counter.number, "user": user, "others": others})


async def rate_page(request: Request) -> Response:
    """好差评 on the tablet facing the visitor: public, lights up when this counter finishes."""
    found = await _hall_counter(request)
    if found is None:
        return _not_found("没有找到这个窗口", "Counter not found")
    hall, counter = found
    levels = [{"level": level, "label": label} for level, label in LEVELS.items()]
    return render("rate.html", hall=hall.config, counter=counter, levels=levels, reasons=REASONS,
                  page={"hall": hall_info(hall), "counter": counter.number, "unhappy": UNHAPPY})


PAGE_ROUTES = [
    Route("/", index),
    Route("/login", login_page),
    Route("/t/{status_token}", ticket_page),
    Route("/kiosk/{hall}", _public_page("取号机")),  # type: ignore[arg-type]
    Route("/display/{hall}", display_page),
    Route("/display/{hall}/counter/{number}", counter_screen_page),
    Route("/counter/{hall}/{number}", counter_page),
    Route("/counter/{hall}/{number}/rate", rate_page),
    Route("/dashboard/{hall}", _staff_page("督查看板")),  # type: ignore[arg-type]
]
