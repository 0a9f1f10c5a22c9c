"""Server-rendered pages. The fronts (kiosk, counter, displays, dashboard) replace these
placeholders as their issues land; the login page is shared by every staff page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import qrcode
from jinja2 import Environment, FileSystemLoader, select_autoescape
from qrcode.image.svg import SvgPathImage
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from server.api.cases import case_by_token, has_receipt, notice_document, receipt_document
from server.api.context import ctx
from server.api.halls import locate_ticket
from server.api.ratings import phone_ratable
from server.domain.cases import label
from server.domain.errors import UnknownHall
from server.domain.hall import Hall
from server.domain.model import Counter, Ticket, TicketStatus
from server.domain.ratings import LEVELS, REASONS, UNHAPPY
from server.domain.views import hall_info, public_counter, public_ticket
from server.store import cases as case_store
from server.store import ratings as ratings_store
from server.store import repo

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))


def render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status)


async def login_page(request: Request) -> Response:
    return render("login.html", next=request.query_params.get("next", "/"))


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
        "rating": await _rating_for_page(request, ticket),
    }
    return render("ticket.html", page=page, ticket=public, hall=hall.config, queue=hall.config.queue(ticket.queue))


async def _rating_for_page(request: Request, ticket: Ticket) -> dict[str, object]:
    """What the ticket page needs to ask for a 好差评 once the service is done (and not yet rated);
    ``expired``: done more than 24 hours ago, too late to rate."""
    context = ctx(request)
    rated = await context.engine.read(lambda conn: ratings_store.is_rated(conn, ticket.id))
    expired = ticket.status == TicketStatus.DONE and not phone_ratable(context, ticket)
    return {"rated": rated, "expired": expired, "levels": [{"level": level, "label": label} for level, label in LEVELS.items()],
            "reasons": list(REASONS), "unhappy": UNHAPPY}


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


async def dashboard_page(request: Request) -> Response:
    """The manager's dashboard (督查看板): managers and admins only, live over the dashboard feed."""
    context = ctx(request)
    user_id = request.session.get("uid")
    principal = await context.principal_for_user(int(user_id)) if user_id else None
    if principal is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    hall = await _public_hall(request)
    if hall is None:
        return _not_found("没有找到这个大厅", "Hall not found")
    if not principal.is_manager or not principal.in_hall(hall.config.code):
        return render("dashboard.html", status=403, forbidden=True, hall=hall.config,
                      user={"name": principal.display_name or principal.name})
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name}
    page = {"hall": hall_info(hall), "user": user, "today": hall.local_day(context.clock.now()).isoformat()}
    return render("dashboard.html", hall=hall.config, user=user, page=page)


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


# ---------------------------------------------------------------- cases (办件), for the applicant
CASE_EXPLANATIONS = {
    "incomplete": "材料尚未齐全。请按一次性告知书补齐全部材料后，带上受理编号回到窗口继续办理。",
    "accepted": "您的申请已受理，正在等待承办部门审查，请耐心等候。",
    "in_review": "承办部门正在审查您的申请。有结果时本页会自动更新，无需刷新。",
    "approved": "您的申请已获批准，正在准备办理结果，可以领取时本页会提示您。",
    "rejected": "您的申请未获批准，原因请见下方办理记录，或到窗口咨询。",
    "ready": "办理结果已可领取：请携带身份证到查询发证窗口（L）取号领取。",
    "collected": "办理结果已领取，本件已办结。感谢您的耐心等候。",
    "mailed": "办理结果已邮寄，请留意查收。",
    "closed": "本件已结束办理。如有疑问，请到窗口咨询。",
}
NOTICE_LAW = ("根据《优化营商环境条例》及政务服务“一次性告知”制度，现将您申请事项所缺的全部材料一次性告知如下；"
              "补齐以下材料后即可继续办理，窗口不会再要求补充本告知书以外的材料。")


def _case_not_found() -> Response:
    return render("not_found.html", status=404, title="没有找到这个办件", title_en="Case not found",
                  message="请核对二维码或网址是否完整，或凭受理编号到窗口咨询。",
                  message_en="Please check that the QR code or the address is complete, or ask at a counter.")


async def _case_row(request: Request) -> tuple[Hall, dict[str, Any]] | None:
    context = ctx(request)
    token = request.path_params["status_token"]
    row = await context.engine.read(lambda conn: case_store.by_token(conn, token))
    if row is None:
        return None
    return await context.engine.hall(row["hall"]), row


async def case_page(request: Request) -> Response:
    """The applicant's own case (the QR code on the 接件回执): its state and timeline embedded in the
    page, then live over /ws/cases/{status_token}. Public: the token is the secret; the case object
    never carries the ID number or the phone."""
    context = ctx(request)
    case = await case_by_token(context, request.path_params["status_token"])
    if case is None:
        return _case_not_found()
    hall = await context.engine.hall(case["hall"]["code"])
    page = {"case": case, "explanations": CASE_EXPLANATIONS,
            "hall": {"code": hall.config.code, "name": hall.config.name, "timezone": hall.config.timezone}}
    return render("case.html", case=case, hall=hall.config, page=page,
                  explanation=CASE_EXPLANATIONS.get(case["status"], ""))


async def case_receipt_page(request: Request) -> Response:
    """接件回执, printable (A4/A5): the same fields as the counter's printed receipt."""
    found = await _case_row(request)
    if found is None:
        return _case_not_found()
    hall, row = found
    if not has_receipt(row):
        return render("not_found.html", status=404, title="尚未受理，没有接件回执", title_en="No receipt yet",
                      message="材料尚不齐全，该申请尚未正式受理：只出具一次性告知书，材料补齐受理后再出具接件回执。",
                      message_en="Not accepted yet: an incomplete application gets the one-time notice only.")
    code = row["item_code"]
    item = await ctx(request).engine.read(lambda conn: case_store.item(conn, hall.config.code, code))
    document = receipt_document(hall, row, list(item["materials"]) if item else [], str(request.base_url))
    return render("case_receipt.html", doc=document, token=row["status_token"],
                  missing=list(row["materials_missing"]), status_label=label(row["status"]))


async def case_notice_page(request: Request) -> Response:
    """一次性告知书, printable: every missing material numbered, dated the day the case was received.
    A case with nothing missing (any more) has none: 404."""
    found = await _case_row(request)
    if found is None:
        return _case_not_found()
    hall, row = found
    if not row["materials_missing"]:
        return render("not_found.html", status=404, title="该办件没有一次性告知书", title_en="No notice",
                      message="该办件材料齐全，无需补正材料。",
                      message_en="Nothing is missing from this case.")
    counter = int(row["counter"]) if row["counter"] is not None else 0
    document = notice_document(hall, row, counter, row["received_at"])
    if row["counter"] is None:
        document["counter"] = "受理窗口"
    return render("case_notice.html", doc=document, law=NOTICE_LAW, receipt_no=row["receipt_no"],
                  token=row["status_token"], department=row["department"])


async def case_qr(request: Request) -> Response:
    """The QR code of a case's own page, ``{base}/c/{status_token}``, as SVG."""
    found = await _case_row(request)
    if found is None:
        return Response("no such case", status_code=404, media_type="text/plain")
    url = str(request.base_url).rstrip("/") + f"/c/{found[1]['status_token']}"
    svg = qrcode.make(url, image_factory=SvgPathImage, border=2).to_string(encoding="unicode")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


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
    Route("/dashboard/{hall}", dashboard_page),
    Route("/book/{hall}", book_page),
    Route("/c/{status_token}", case_page),
    Route("/c/{status_token}/receipt", case_receipt_page),
    Route("/c/{status_token}/notice", case_notice_page),
    Route("/c/{status_token}/qr.svg", case_qr),
]
