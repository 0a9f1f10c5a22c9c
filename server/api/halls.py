"""Public hall information, ticket issuance and a visitor's own ticket."""

from __future__ import annotations

import re
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from server.auth import TICKET_ISSUERS, Principal
from server.context import AppContext, ctx, forbid, require_principal
from server.domain.errors import AlreadyWaiting, UnknownTicket
from server.domain.hall import Hall
from server.domain.model import Channel, Event, Ticket
from server.domain.views import hall_info, public_ticket, snapshot
from server.services.cards import InvalidCardToken, read_card_token
from server.services.tickets import locate_ticket, print_for_kiosk
from server.store import repo

from . import appointments
from .declare import endpoint
from .errors import ApiError, JSONResponse
from .schemas import IssueTicket, Notice, Phone


@endpoint("GET", "/halls/{hall}", "The hall: queues and counters", auth=False, tag="public")
async def get_hall(request: Request) -> Response:
    hall = await ctx(request).engine.hall(request.path_params["hall"])
    return JSONResponse(hall_info(hall))


@endpoint("GET", "/halls/{hall}/items", "The service-item catalog", auth=False, tag="public")
async def get_items(request: Request) -> Response:
    code = request.path_params["hall"]
    await ctx(request).engine.hall(code)  # 404 for an unknown hall
    items = await ctx(request).engine.read(lambda conn: repo.items_of(conn, code))
    return JSONResponse(items)


@endpoint("GET", "/halls/{hall}/snapshot", "Live queues, counters and recent calls (no personal data)",
          auth=False, tag="public")
async def get_snapshot(request: Request) -> Response:
    context = ctx(request)
    hall = await context.engine.hall(request.path_params["hall"])
    return JSONResponse(snapshot(hall, context.clock.now()))


@endpoint("POST", "/halls/{hall}/tickets", "Issue a ticket", body=IssueTicket,
          responses={201: "the ticket, with its status_token", 404: "unknown hall or queue"})
async def issue_ticket(request: Request, body: IssueTicket) -> Response:
    """Kiosks, device agents, guides, clerks and managers of the hall may issue."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    if (principal.kind, principal.role) not in TICKET_ISSUERS:
        raise forbid("此账号不能取号", f"a {principal.role} may not issue tickets")
    await context.engine.hall(code)
    if not principal.in_hall(code):
        raise forbid("不是本大厅的账号", "this credential belongs to another hall")
    if body.channel == Channel.APPOINTMENT and not body.appointment_code:
        raise ApiError(422, "invalid_field", "预约取号须提供预约号 (appointment tickets need appointment_code)",
                       "appointment_code")
    issue_key = _issue_key(request, principal)
    if issue_key is not None:  # a retry of a press whose answer was lost: the same ticket, not a second
        replayed = (await context.engine.hall(code)).ticket_by_issue_key(issue_key, context.clock.now())
        if replayed is not None:
            return await _issued(request, context, principal, replayed, None, status=200)
    if principal.kind == "device" and principal.role == "kiosk":
        _kiosk_may_issue(context, code, principal.name)
    holder = _card_holder(context, body.card_token)
    token = context.new_token(16)
    claim: appointments.CheckIn | None = None
    if body.appointment_code:  # the booked queue; its own channel inside the window, a walk-in when late
        try:
            claim = await appointments.claim_check_in(context, await context.engine.hall(code), body.appointment_code)
        except appointments.CheckInRefused as refused:
            return refused.response
    queue, channel = (claim.queue, claim.channel) if claim else (body.queue, body.channel)

    def command(hall: Hall, now: datetime) -> list[Event]:
        return hall.issue(queue, now, token, body.priority, channel, claim.ticket_code if claim else None,
                          id_hash=holder["id_hash"] if holder else None,
                          visitor=holder["masked_name"] if holder else None, issue_key=issue_key)

    try:
        events = await context.engine.run(code, command)
    except BaseException as failed:
        if claim:
            await appointments.release_check_in(context, claim)
        if isinstance(failed, AlreadyWaiting):
            return _already_waiting(await context.engine.hall(code), failed)
        raise
    hall = await context.engine.hall(code)
    issued = next((e.ticket for e in events if e.type == "ticket.issued"), None)
    if issued is None:  # the same key issued it meanwhile (a retry racing its original)
        if claim:
            await appointments.release_check_in(context, claim)
        assert issue_key is not None
        replayed = hall.ticket_by_issue_key(issue_key, context.clock.now())
        assert replayed is not None
        return await _issued(request, context, principal, replayed, None, status=200)
    return await _issued(request, context, principal, hall.tickets[issued.id], claim, status=201)


async def _issued(request: Request, context: AppContext, principal: Principal, ticket: Ticket,
                  claim: appointments.CheckIn | None, status: int) -> Response:
    """The answer to an issue: 201 for a new ticket, 200 for the one an Idempotency-Key already
    issued (printed again on a kiosk: the first answer, and maybe its slip, was lost)."""
    hall = await context.engine.hall(request.path_params["hall"])
    body_out = public_ticket(hall, ticket, with_token=True)
    if claim:
        await appointments.finish_check_in(context, claim, ticket.id)
        body_out["appointment"] = {**claim.view, "ticket_id": ticket.id}
        if claim.notice:
            body_out["notice"] = claim.notice
    if principal.kind == "device" and principal.role == "kiosk":
        body_out["print"] = await print_for_kiosk(context, hall, principal.name, ticket, str(request.base_url))
    return JSONResponse(body_out, status_code=status)


ISSUE_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


def _issue_key(request: Request, principal: Principal) -> str | None:
    """The ``Idempotency-Key`` header (docs/idempotency.md), scoped by the issuer so that two
    kiosks that happen to pick the same key never share a ticket."""
    raw = request.headers.get("idempotency-key")
    if raw is None:
        return None
    if not ISSUE_KEY.match(raw):
        raise ApiError(422, "invalid_field", "Idempotency-Key 应为1至128个可见ASCII字符 "
                       "(Idempotency-Key must be 1 to 128 visible ASCII characters)", "Idempotency-Key")
    return f"{principal.kind}:{principal.name}:{raw}"


def _kiosk_may_issue(context: AppContext, hall: str, kiosk: str) -> None:
    """A stuck touch screen must not drain a queue's numbers: a kiosk issues at most
    ``settings.kiosk_issue_limit`` tickets a minute (per server process)."""
    if context.settings.kiosk_issue_limit <= 0:
        return
    key = f"{hall}:{kiosk}"
    context.kiosk_limiter.check(key, zh="取号过于频繁，请稍候再试；如屏幕异常请联系导办台",
                                en="this kiosk is issuing too fast; wait a moment")
    context.kiosk_limiter.hit(key)


def _card_holder(context: AppContext, card_token: str | None) -> dict[str, str] | None:
    if not card_token:
        return None
    try:
        return read_card_token(context.settings.secret_key, card_token)
    except InvalidCardToken as error:
        raise ApiError(422, "invalid_field", str(error), "card_token") from None


def _already_waiting(hall: Hall, held: AlreadyWaiting) -> Response:
    """409 with the ticket the card already holds, so the kiosk can show it again."""
    ticket = hall.tickets[held.ticket_id]
    return JSONResponse({"error": {"code": held.code, "message": held.message},
                         "ticket": public_ticket(hall, ticket, with_token=True)}, status_code=409)



@endpoint("PUT", "/halls/{hall}/notice", "Set the scrolling notice on the hall's screens (managers)", body=Notice,
          responses={200: "the notice as the screens now show it", 403: "not a manager of this hall"})
async def set_notice(request: Request, body: Notice) -> Response:
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    await context.engine.hall(code)
    if not principal.is_manager or not principal.in_hall(code):
        raise forbid("只有本大厅的管理人员可以设置公告", "only the hall's managers may set the notice")
    await context.engine.run(code, lambda hall, now: hall.set_notice(body.notice, now))
    return JSONResponse({"notice": (await context.engine.hall(code)).notice})


@endpoint("PUT", "/halls/{hall}/phone", "Set the hall's consultation telephone (managers)", body=Phone,
          responses={200: "the telephone as notices, receipts and kiosks now show it",
                     403: "not a manager of this hall"})
async def set_phone(request: Request, body: Phone) -> Response:
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    await context.engine.hall(code)
    if not principal.is_manager or not principal.in_hall(code):
        raise forbid("只有本大厅的管理人员可以设置咨询电话", "only the hall's managers may set the telephone")
    await context.engine.run(code, lambda hall, now: hall.set_phone(body.phone, now))
    return JSONResponse({"phone": (await context.engine.hall(code)).config.phone})



async def _find_by_token(request: Request) -> tuple[Hall, dict[str, object]]:
    located = await locate_ticket(ctx(request), request.path_params["status_token"])
    if located is None:
        raise ApiError(404, "unknown_ticket", "没有这张票 (no such ticket)")
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
