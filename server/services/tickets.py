"""Tickets: issuing one (who may, at what rate, for which booking or ID card, once per
Idempotency-Key), finding one by its status token, printing it on the kiosk's printer."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from server.auth import TICKET_ISSUERS, Principal
from server.context import AppContext
from server.domain.errors import Forbidden, InvalidInput
from server.domain.hall import Hall
from server.domain.model import Channel, Event, Priority, Ticket
from server.domain.views import ticket_from_state
from server.store import devices as store_devices
from server.store import repo

from . import appointments
from .cards import InvalidCardToken, read_card_token
from .hours import kiosk_may_issue
from .printing import send_ticket_to_printer


async def locate_ticket(context: AppContext, token: str) -> tuple[Hall, Ticket] | None:
    """The ticket behind a status token: live in a loaded hall, else from the store (an earlier day's)."""
    for hall in await context.engine.loaded_halls():
        live = hall.ticket_by_token(token)
        if live is not None:
            return hall, live
    found = await context.engine.read(lambda conn: repo.ticket_data_by_token(conn, token))
    if found is None:
        return None
    hall = await context.engine.hall(found[0])
    return hall, hall.ticket_by_token(token) or ticket_from_state(found[1])


DEVICE_STATES_S = 2.0  # a heartbeat received by another process is seen within this time


async def kiosk_devices(context: AppContext, hall_code: str, kiosk: str) -> dict[str, str]:
    """The kiosk's devices as its agent last reported them (device → state), kept a moment in the
    context: issuing must not read the database for every ticket (that read cost two thirds of the
    issuing rate); this process's own heartbeats replace it at once (``forget_kiosk_devices``)."""
    key = f"devices:{hall_code}:{kiosk}"
    hit = context.caches.get(key)
    if hit is not None and hit[0] > time.monotonic():
        known: dict[str, str] = hit[1]
        return known
    rows = await context.engine.read(lambda conn: store_devices.states(conn, hall_code, kiosk))
    state = {str(row["device"]): str(row["state"]) for row in rows}
    context.caches[key] = (time.monotonic() + DEVICE_STATES_S, state)
    return state


def forget_kiosk_devices(context: AppContext, hall_code: str, kiosk: str) -> None:
    context.caches.pop(f"devices:{hall_code}:{kiosk}", None)


async def print_for_kiosk(context: AppContext, hall: Hall, kiosk: str, ticket: Ticket, base_url: str) -> str:
    """Sends the ticket to the kiosk's printer when its agent has one that can print; says which:
    ``sent``, ``no_printer``, or the printer's state (``paper_out``…) so the kiosk can tell the visitor."""
    state = await kiosk_devices(context, hall.config.code, kiosk)
    if state.get("agent") != "ok" or "printer" not in state:
        return "no_printer"
    if state["printer"] not in ("ok", "paper_low"):
        return str(state["printer"])
    await send_ticket_to_printer(context.bus, hall, kiosk, ticket, base_url)
    return "sent"


# ---------------------------------------------------------------- issuing
ISSUE_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True)
class TicketRequest:
    """What the kiosk, the guide or the clerk asks for."""

    queue: str
    priority: Priority = Priority.NONE
    channel: Channel = Channel.KIOSK
    appointment_code: str | None = None
    card_token: str | None = None  # the kiosk's card read: one waiting ticket per ID card per queue
    idempotency_key: str | None = None  # the Idempotency-Key header, as sent (docs/idempotency.md)


@dataclass(frozen=True)
class Issued:
    hall: Hall
    ticket: Ticket
    replayed: bool  # the ticket an earlier try with the same key issued
    check_in: appointments.CheckIn | None = None
    print: str | None = None  # kiosks: sent, no_printer, or the printer's state


def _issue_key(principal: Principal, raw: str | None) -> str | None:
    """Scoped by the issuer, so that two kiosks that happen to pick the same key never share a ticket."""
    if raw is None:
        return None
    if not ISSUE_KEY.match(raw):
        raise InvalidInput("Idempotency-Key 应为1至128个可见ASCII字符",
                           "Idempotency-Key must be 1 to 128 visible ASCII characters", "Idempotency-Key")
    return f"{principal.kind}:{principal.name}:{raw}"


def _device_may_issue(context: AppContext, hall: str, device: Principal) -> None:
    """A stuck touch screen must not drain a queue's numbers: a kiosk issues at most
    ``settings.kiosk_issue_limit`` tickets a minute (per server process), and so does a device
    agent (the kiosk PC's, on a public machine), each with its own allowance."""
    if context.settings.kiosk_issue_limit <= 0:
        return
    key = f"{hall}:{device.name}" if device.role == "kiosk" else f"{hall}:{device.role}:{device.name}"
    context.kiosk_limiter.check(key, zh="取号过于频繁，请稍候再试；如屏幕异常请联系导办台",
                                en="this kiosk is issuing too fast; wait a moment")
    context.kiosk_limiter.hit(key)


def _card_holder(context: AppContext, card_token: str | None) -> dict[str, str] | None:
    if not card_token:
        return None
    try:
        return read_card_token(context.settings.secret_key, card_token)
    except InvalidCardToken as error:
        raise InvalidInput.coded("invalid_field", str(error), "card_token") from None


async def issue(context: AppContext, principal: Principal, hall_code: str, asked: TicketRequest,
                base_url: str) -> Issued:
    """Kiosks, device agents, guides, clerks and managers of the hall may issue. An appointment
    code checks its booking in (its own channel inside the window, a walk-in when late). A retry
    with the same Idempotency-Key gets the ticket the first try issued. Raises AlreadyWaiting (the
    card's ticket still waits) and AlreadyCheckedIn (the booking's), which carry that ticket."""
    if (principal.kind, principal.role) not in TICKET_ISSUERS:
        raise Forbidden("此账号不能取号", f"a {principal.role} may not issue tickets")
    hall = await context.engine.hall(hall_code)  # UnknownHall first
    if not principal.in_hall(hall_code):
        raise Forbidden("不是本大厅的账号", "this credential belongs to another hall")
    if asked.channel == Channel.APPOINTMENT and not asked.appointment_code:
        raise InvalidInput("预约取号须提供预约号", "appointment tickets need appointment_code", "appointment_code")
    key = _issue_key(principal, asked.idempotency_key)
    if key is not None:  # a retry of a press whose answer was lost: the same ticket, not a second
        replayed = hall.ticket_by_issue_key(key, context.clock.now())
        if replayed is not None:
            return await _issued(context, principal, hall, replayed, None, base_url, replayed=True)
    if principal.kind == "device" and principal.role in ("kiosk", "agent"):
        _device_may_issue(context, hall_code, principal)
        if not asked.appointment_code:  # a booking checks in up to its own window (server/services/hours.py)
            await kiosk_may_issue(context, hall)  # self-service keeps the opening hours
    holder = _card_holder(context, asked.card_token)
    token = context.new_token(16)
    claim = None
    if asked.appointment_code:  # the booked queue: its own channel inside the window, a walk-in when late
        claim = await appointments.claim_check_in(context, hall, asked.appointment_code)
    queue, channel = (claim.queue, claim.channel) if claim else (asked.queue, asked.channel)

    def command(hall: Hall, now: datetime) -> list[Event]:
        return hall.issue(queue, now, token, asked.priority, channel, claim.ticket_code if claim else None,
                          id_hash=holder["id_hash"] if holder else None,
                          visitor=holder["masked_name"] if holder else None, issue_key=key)

    try:
        events = await context.engine.run(hall_code, command)
    except BaseException:
        if claim:
            await appointments.release_check_in(context, claim)
        raise
    hall = await context.engine.hall(hall_code)  # as committed, with the new ticket
    issued = next((e.ticket for e in events if e.type == "ticket.issued"), None)
    if issued is None:  # the same key issued it meanwhile (a retry racing its original)
        if claim:
            await appointments.release_check_in(context, claim)
        assert key is not None
        replayed = hall.ticket_by_issue_key(key, context.clock.now())
        assert replayed is not None
        return await _issued(context, principal, hall, replayed, None, base_url, replayed=True)
    return await _issued(context, principal, hall, hall.tickets[issued.id], claim, base_url, replayed=False)


async def _issued(context: AppContext, principal: Principal, hall: Hall, ticket: Ticket,
                  claim: appointments.CheckIn | None, base_url: str, *, replayed: bool) -> Issued:
    """The booking is marked with its ticket; a kiosk's ticket goes to its printer (again, for a
    replay: the first answer, and maybe its slip, was lost)."""
    if claim:
        await appointments.finish_check_in(context, claim, ticket.id)
    printed = None
    if principal.kind == "device" and principal.role == "kiosk":
        printed = await print_for_kiosk(context, hall, principal.name, ticket, base_url)
    return Issued(hall, ticket, replayed, claim, printed)
