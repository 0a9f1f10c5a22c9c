"""Server-rendered pages. The fronts (kiosk, counter, displays, dashboard) replace these
placeholders as their issues land; the login page is shared by every staff page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import qrcode
from jinja2 import Environment, FileSystemLoader, select_autoescape
from qrcode.image.svg import SvgPathImage
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
from server.store import repo

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


async def ticket_qr(request: Request) -> Response:
    """The QR code of a ticket's own page, ``{base}/t/{status_token}``, as SVG (public: whoever
    holds the token may see the ticket anyway)."""
    token = request.path_params["status_token"]
    if await locate_ticket(ctx(request), token) is None:
        return Response("no such ticket", status_code=404, media_type="text/plain")
    url = str(request.base_url).rstrip("/") + f"/t/{token}"
    svg = qrcode.make(url, image_factory=SvgPathImage, border=2).to_string(encoding="unicode")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


KIOSK_COOKIE = "onewindow_kiosk"
IDLE_S = 30


def _kiosk_unconfigured(hall: Hall, reason: str, reason_en: str) -> Response:
    return render("kiosk_unconfigured.html", status=403, hall=hall.config, reason=reason, reason_en=reason_en)


async def kiosk_page(request: Request) -> Response:
    """The self-service ticket machine. It is set up once with ``?token=KIOSK_TOKEN``: the token
    goes into an HttpOnly cookie (path /kiosk/) and the page reloads without it in the address; from
    then on the server reads the cookie and renders the token into the page, whose script needs it
    to issue tickets and to open the kiosk feed. ``?idle=S`` shortens the 30 s return home (tests)."""
    hall = await _public_hall(request)
    if hall is None:
        return _not_found("没有找到这个大厅", "Hall not found")
    code = hall.config.code
    given = request.query_params.get("token")
    token = given or request.cookies.get(KIOSK_COOKIE)
    if not token:
        return _kiosk_unconfigured(hall, "本机尚未配置取号令牌。", "This kiosk has no token yet.")
    principal = await ctx(request).principal_for_token(token)
    if principal is None or principal.kind != "device" or principal.role != "kiosk" or not principal.in_hall(code):
        return _kiosk_unconfigured(hall, "取号令牌无效或不属于本大厅。",
                                   "The kiosk token is not valid for this hall.")
    if given:
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(KIOSK_COOKIE, token, max_age=10 * 365 * 24 * 3600, path="/kiosk/", httponly=True,
                            samesite="strict")
        return response
    raw_idle = request.query_params.get("idle", "")
    idle = int(raw_idle) if raw_idle.isdigit() and int(raw_idle) > 0 else IDLE_S
    items = await ctx(request).engine.read(lambda conn: repo.items_of(conn, code))
    page = {"hall": hall_info(hall), "kiosk": principal.name, "token": token, "idle_s": idle,
            "items": [{"code": i["code"], "name": i["name"], "queue": i["queue"], "pinyin": i["pinyin"]}
                      for i in items]}
    return render("kiosk.html", hall=hall.config, page=page)


async def book_page(request: Request) -> Response:
    """预约 on the visitor's phone (public): queue, day, slot, then name, ID number and phone."""
    from server.api.appointments import booking_page_data

    hall = await _public_hall(request)
    if hall is None:
        return _not_found("没有找到这个大厅", "Hall not found")
    return render("book.html", hall=hall.config, page=await booking_page_data(ctx(request), hall))


PAGE_ROUTES = [
    Route("/", index),
    Route("/login", login_page),
    Route("/t/{status_token}", ticket_page),
    Route("/t/{status_token}/qr.svg", ticket_qr),
    Route("/kiosk/{hall}", kiosk_page),
    Route("/display/{hall}", display_page),
    Route("/display/{hall}/counter/{number}", counter_screen_page),
    Route("/counter/{hall}/{number}", counter_page),
    Route("/counter/{hall}/{number}/rate", rate_page),
    Route("/dashboard/{hall}", _staff_page("督查看板")),  # type: ignore[arg-type]
    Route("/book/{hall}", book_page),
]
