"""The visitor's 意见建议/投诉 pages, public: giving one from a phone (or the link on the ticket page,
or the kiosk's QR code), /feedback/{hall}, and following it, /feedback/{hall}/s/{status_token}
(the token is the secret; the page shows the status and the hall's reply, never the contact)."""

from __future__ import annotations

import re

import qrcode
from qrcode.image.svg import SvgPathImage
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.feedback import DUE_DAYS
from server.services.feedback import by_token
from server.web import not_found, public_hall, render

TICKET = re.compile(r"^[A-Z]{1,4}\d{1,5}$")


async def feedback_page(request: Request) -> Response:
    """The form: 投诉 or 意见建议, what happened, a phone number if they want an answer by phone."""
    hall = await public_hall(request)
    if hall is None:
        return not_found("没有找到这个大厅", "Hall not found")
    ticket = request.query_params.get("ticket", "").strip().upper()[:16]
    kind = request.query_params.get("kind", "")
    page = {"hall": hall.config.code, "ticket": ticket if TICKET.match(ticket) else "",
            "kind": kind if kind in DUE_DAYS else "complaint", "due_days": DUE_DAYS}
    return render("feedback.html", hall=hall.config, page=page)


async def feedback_status_page(request: Request) -> Response:
    found = await by_token(ctx(request), request.path_params["status_token"])
    if found is None or found["hall"]["code"] != request.path_params["hall"]:
        return render("not_found.html", status=404, title="没有找到这条意见建议或投诉", title_en="Not found",
                      message="请核对链接是否完整，或到大厅咨询台咨询。",
                      message_en="Please check that the address is complete, or ask at the front desk.")
    return render("feedback_status.html", item=found)


def _qr_svg(request: Request, path: str) -> Response:
    """The QR code of a page of this site, ``{base}{path}``, as SVG (the kiosk shows them)."""
    url = str(request.base_url).rstrip("/") + path
    svg = qrcode.make(url, image_factory=SvgPathImage, border=2).to_string(encoding="unicode")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


async def feedback_qr(request: Request) -> Response:
    """The form's QR code, to continue on the phone."""
    hall = await public_hall(request)
    if hall is None:
        return Response("no such hall", status_code=404, media_type="text/plain")
    return _qr_svg(request, f"/feedback/{hall.config.code}")


async def feedback_status_qr(request: Request) -> Response:
    """The QR code of a visitor's own status link (public: whoever holds the token may see it)."""
    token = request.path_params["status_token"]
    found = await by_token(ctx(request), token)
    if found is None or found["hall"]["code"] != request.path_params["hall"]:
        return Response("no such feedback", status_code=404, media_type="text/plain")
    return _qr_svg(request, f"/feedback/{found['hall']['code']}/s/{token}")


ROUTES = [
    Route("/feedback/{hall}", feedback_page),
    Route("/feedback/{hall}/qr.svg", feedback_qr),
    Route("/feedback/{hall}/s/{status_token}", feedback_status_page),
    Route("/feedback/{hall}/s/{status_token}/qr.svg", feedback_status_qr),
]
