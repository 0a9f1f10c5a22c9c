"""The visitor's pages, public (the token in the address is the secret): the ticket /t/{status_token},
the case /c/{status_token} with its receipt and notice, their QR codes, booking /book/{hall}, and
online pre-review /apply/{hall} with its status link (apply.py)."""

from __future__ import annotations

from typing import Any

import qrcode
from qrcode.image.svg import SvgPathImage
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.cases import label
from server.domain.hall import Hall
from server.domain.model import Ticket, TicketStatus
from server.domain.ratings import LEVELS, REASONS, UNHAPPY
from server.domain.views import public_counter, public_ticket
from server.services.appointments import booking_page_data
from server.services.cases import case_by_token, department_name, has_receipt, notice_document, receipt_document
from server.services.fees import fee_line
from server.services.ratings import phone_ratable
from server.services.tickets import locate_ticket
from server.store import cases as case_store
from server.store import ratings as ratings_store
from server.web import not_found, public_hall, render

from . import apply as apply_pages
from . import feedback as feedback_pages


def _qr_svg(url: str) -> Response:
    svg = qrcode.make(url, image_factory=SvgPathImage, border=2).to_string(encoding="unicode")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


# ---------------------------------------------------------------- the ticket
async def ticket_page(request: Request) -> Response:
    """A visitor's own ticket (the QR code on the paper ticket): its state now, embedded in the
    page, then live over /ws/tickets/{status_token}."""
    located = await locate_ticket(ctx(request), request.path_params["status_token"])
    if located is None:
        return render("not_found.html", status=404, title="没有找到这张票", title_en="Ticket not found",
                      message="请核对二维码或网址是否完整，或向导办台咨询。",
                      message_en="Please check that the QR code or the address is complete, "
                                 "or ask at the guide desk.")
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
    return render("ticket.html", page=page, ticket=public, hall=hall.config,
                  queue=hall.config.queue(ticket.queue))


async def _rating_for_page(request: Request, ticket: Ticket) -> dict[str, object]:
    """What the ticket page needs to ask for a 好差评 once the service is done (and not yet rated);
    ``expired``: done more than 24 hours ago, too late to rate."""
    context = ctx(request)
    rated = await context.engine.read(lambda conn: ratings_store.is_rated(conn, ticket.id))
    expired = ticket.status == TicketStatus.DONE and not phone_ratable(context, ticket)
    levels = [{"level": level, "label": text} for level, text in LEVELS.items()]
    return {"rated": rated, "expired": expired, "levels": levels, "reasons": list(REASONS),
            "unhappy": UNHAPPY}


async def ticket_qr(request: Request) -> Response:
    """The QR code of a ticket's own page, ``{base}/t/{status_token}``, as SVG (public: whoever
    holds the token may see the ticket anyway)."""
    token = request.path_params["status_token"]
    if await locate_ticket(ctx(request), token) is None:
        return Response("no such ticket", status_code=404, media_type="text/plain")
    return _qr_svg(str(request.base_url).rstrip("/") + f"/t/{token}")


# ---------------------------------------------------------------- booking (预约)
async def book_page(request: Request) -> Response:
    """预约 on the visitor's phone (public): queue, day, slot, then name, ID number and phone."""
    hall = await public_hall(request)
    if hall is None:
        return not_found("没有找到这个大厅", "Hall not found")
    return render("book.html", hall=hall.config, page=await booking_page_data(ctx(request), hall))


# ---------------------------------------------------------------- cases (办件), for the applicant
CASE_EXPLANATIONS = {
    "incomplete": "材料尚未齐全。请按一次性告知书补齐全部材料后，带上受理编号回到窗口继续办理。",
    "accepted": "您的申请已受理，正在等待承办部门审查，请耐心等候。",
    "in_review": "承办部门正在审查您的申请。有结果时本页会自动更新，无需刷新。",
    "supplement": "审批部门需要您补正材料：请按下列清单一次性补齐，带到大厅窗口提交；补正期间不计入办结时限。",
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
    document["fee"] = await fee_line(ctx(request), row)  # 收费: the standard and what was charged
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
                  token=row["status_token"], department=department_name(row))


async def case_qr(request: Request) -> Response:
    """The QR code of a case's own page, ``{base}/c/{status_token}``, as SVG."""
    found = await _case_row(request)
    if found is None:
        return Response("no such case", status_code=404, media_type="text/plain")
    return _qr_svg(str(request.base_url).rstrip("/") + f"/c/{found[1]['status_token']}")


ROUTES = [
    Route("/t/{status_token}", ticket_page),
    Route("/t/{status_token}/qr.svg", ticket_qr),
    Route("/book/{hall}", book_page),
    Route("/c/{status_token}", case_page),
    Route("/c/{status_token}/receipt", case_receipt_page),
    Route("/c/{status_token}/notice", case_notice_page),
    Route("/c/{status_token}/qr.svg", case_qr),
    *apply_pages.ROUTES,  # 网上预审: /apply/{hall}, /apply/{hall}/s/{status_token}
    *feedback_pages.ROUTES,  # 意见建议/投诉: /feedback/{hall}, /feedback/{hall}/s/{status_token}
]
