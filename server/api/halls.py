"""Public hall information, ticket issuance and a visitor's own ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.domain.appointments import AlreadyCheckedIn
from server.domain.errors import AlreadyWaiting, UnknownTicket
from server.domain.hall import Hall
from server.domain.model import Event
from server.domain.views import hall_info, public_ticket, snapshot
from server.services import catalog, halls, hours, tickets
from server.services.tickets import locate_ticket

from .declare import endpoint
from .errors import JSONResponse
from .schemas import IssueTicket, Notice, Phone


@endpoint("GET", "/halls/{hall}", "The hall: queues and counters", auth=False, tag="public")
async def get_hall(request: Request) -> Response:
    """Also its opening hours and whether the kiosks issue now (``open_now``, then ``open_until`` or
    ``next_open``: server/services/hours.py), for the kiosk and the visitors' pages."""
    context = ctx(request)
    hall = await context.engine.hall(request.path_params["hall"])
    return JSONResponse({**hall_info(hall), **await hours.issuing_now(context, hall)})


@endpoint("GET", "/halls/{hall}/items", "The service-item catalog", auth=False, tag="public")
async def get_items(request: Request) -> Response:
    return JSONResponse(await catalog.items(ctx(request), request.path_params["hall"]))


@endpoint("GET", "/halls/{hall}/snapshot", "Live queues, counters and recent calls (no personal data)",
          auth=False, tag="public")
async def get_snapshot(request: Request) -> Response:
    context = ctx(request)
    hall = await context.engine.hall(request.path_params["hall"])
    return JSONResponse(snapshot(hall, context.clock.now()))


@endpoint("POST", "/halls/{hall}/tickets", "Issue a ticket", body=IssueTicket,
          responses={201: "the ticket, with its status_token", 404: "unknown hall or queue"})
async def issue_ticket(request: Request, body: IssueTicket) -> Response:
    """Kiosks, device agents, guides, clerks and managers of the hall may issue; 200 with the same
    ticket for a retry under the same Idempotency-Key (docs/idempotency.md)."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    asked = tickets.TicketRequest(body.queue, body.priority, body.channel, body.appointment_code, body.card_token,
                                  request.headers.get("idempotency-key"))
    try:
        issued = await tickets.issue(context, principal, code, asked, str(request.base_url))
    except (AlreadyWaiting, AlreadyCheckedIn) as held:  # 409 with the ticket held, for the kiosk to show again
        return _held(await context.engine.hall(code), held)
    out = public_ticket(issued.hall, issued.ticket, with_token=True)
    if issued.check_in:
        out["appointment"] = {**issued.check_in.view, "ticket_id": issued.ticket.id}
        if issued.check_in.notice:
            out["notice"] = issued.check_in.notice
    if issued.print is not None:
        out["print"] = issued.print
    return JSONResponse(out, status_code=200 if issued.replayed else 201)


def _held(hall: Hall, held: AlreadyWaiting | AlreadyCheckedIn) -> Response:
    """The ID card's ticket still waits, or the booking already checked in: the refusal, with that
    ticket when there is one."""
    ticket = hall.tickets.get(held.ticket_id) if held.ticket_id else None
    error: dict[str, Any] = {"code": held.code, "message": held.message}
    if held.field is not None:  # the booking's: appointment_code
        error["field"] = held.field
    body: dict[str, Any] = {"error": error}
    if ticket is not None:
        body["ticket"] = public_ticket(hall, ticket, with_token=True)
    return JSONResponse(body, status_code=409)


@endpoint("PUT", "/halls/{hall}/notice", "Set the scrolling notice on the hall's screens (managers)", body=Notice,
          responses={200: "the notice as the screens now show it", 403: "not a manager of this hall"})
async def set_notice(request: Request, body: Notice) -> Response:
    principal = await require_principal(request)
    notice = await halls.set_notice(ctx(request), principal, request.path_params["hall"], body.notice)
    return JSONResponse({"notice": notice})


@endpoint("PUT", "/halls/{hall}/phone", "Set the hall's consultation telephone (managers)", body=Phone,
          responses={200: "the telephone as notices, receipts and kiosks now show it",
                     403: "not a manager of this hall"})
async def set_phone(request: Request, body: Phone) -> Response:
    principal = await require_principal(request)
    phone = await halls.set_phone(ctx(request), principal, request.path_params["hall"], body.phone)
    return JSONResponse({"phone": phone})


async def _find_by_token(request: Request) -> tuple[Hall, dict[str, object]]:
    located = await locate_ticket(ctx(request), request.path_params["status_token"])
    if located is None:
        raise UnknownTicket("没有这张票", "no such ticket")
    hall, ticket = located
    return hall, public_ticket(hall, ticket, with_token=True)


@endpoint("GET", "/tickets/{status_token}", "A visitor's own ticket, with live ahead and eta_s", auth=False,
          tag="public")
async def get_ticket(request: Request) -> Response:
    _, body = await _find_by_token(request)
    return JSONResponse(body)


@endpoint("POST", "/tickets/{status_token}/cancel", "The visitor gives up a waiting ticket", auth=False,
          tag="public", responses={200: "the cancelled ticket", 409: "not waiting any more"})
async def cancel_ticket(request: Request) -> Response:
    hall, body = await _find_by_token(request)
    context = ctx(request)
    token = request.path_params["status_token"]

    def command(hall: Hall, now: datetime) -> list[Event]:
        ticket = hall.ticket_by_token(token)
        if ticket is None:
            raise UnknownTicket("没有这张票", "no such ticket")
        return hall.cancel(ticket, now)

    await context.engine.run(hall.config.code, command)
    _, body = await _find_by_token(request)
    return JSONResponse(body)


ROUTES = [get_hall, get_items, get_snapshot, issue_ticket, get_ticket, cancel_ticket, set_notice, set_phone]
