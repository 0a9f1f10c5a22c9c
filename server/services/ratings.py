"""好差评: one rating per finished service, from the tablet facing the visitor, the evaluator keypad,
the visitor's own phone page (/t/{token}) or the kiosk (by ticket number).

The tablet is a device of its counter: only a ``counter`` token bound to that counter may read
what it just finished or rate it (an anonymous caller could otherwise rate every clerk 非常不满意
and take the visitor's own rating away). The phone page needs no sign-in: the status token is the
visitor's proof. The rules decide what may be rated: at a counter, only its most recently
finished ticket of today; from the phone, a service finished in the last 24 hours; everywhere,
only once. The clerk credited is the one who held the counter when the service
ended (``Ticket.served_by``), even if they have signed out since. After each stored rating the
context's ``rating_hooks`` run (server/services/followups.py opens 整改 for an unhappy one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Conflict, Forbidden, UnknownTicket
from server.domain.hall import Hall
from server.domain.model import Ticket, TicketStatus
from server.store import ratings

from .tickets import locate_ticket

log = logging.getLogger("onewindow")
PHONE_WINDOW = timedelta(hours=24)  # the visitor's page may rate a service this long after it ended


@dataclass(frozen=True)
class StoredRating:
    """What a rating hook hears about: the rating just stored."""

    id: int
    hall: str
    counter: int
    ticket: Ticket
    level: int
    reasons: list[str]
    comment: str | None
    source: str
    at: datetime


class AlreadyRated(Conflict):
    code = "already_rated"


class NotRatable(Conflict):
    code = "not_ratable"


@dataclass(frozen=True)
class Given:
    """A rating as given: 5 非常满意 … 1 非常不满意, reasons for the unhappy two, a comment."""

    level: int
    reasons: list[str]
    comment: str | None


def last_finished(hall: Hall, number: int) -> Ticket | None:
    """The counter's most recently finished (办结) ticket of the hall's current day."""
    done = [t for t in hall.tickets.values()
            if t.counter == number and t.status == TicketStatus.DONE and t.day == hall.day and t.finished_at]
    return max(done, key=lambda t: (t.finished_at, t.id), default=None)


def phone_ratable(context: AppContext, ticket: Ticket) -> bool:
    """Finished (办结) at a counter within the last 24 hours: the visitor's page may rate it."""
    return (ticket.status == TicketStatus.DONE and ticket.finished_at is not None and ticket.counter is not None
            and context.clock.now() - ticket.finished_at <= PHONE_WINDOW)


async def store_rating(context: AppContext, hall: str, number: int, ticket: Ticket, given: Given, source: str) -> int:
    """One rating per service, wherever it was given (tablet, evaluator keypad…): AlreadyRated for
    a second. Then every rating hook runs; a failing hook is logged and never undoes the rating."""
    already = AlreadyRated(f"{ticket.number} 已经评价过了，谢谢", f"{ticket.number} is already rated")
    if await context.engine.read(lambda conn: ratings.is_rated(conn, ticket.id)):
        raise already
    at = context.clock.now()
    try:
        rating_id = await context.engine.write(lambda conn: ratings.add_rating(
            conn, hall=hall, ticket_id=ticket.id, counter=number, clerk=ticket.served_by, level=given.level,
            reasons=given.reasons, comment=given.comment, source=source, at=at))
    except IntegrityError:
        raise already from None
    stored = StoredRating(rating_id, hall, number, ticket, given.level, given.reasons, given.comment, source, at)
    for hook in context.rating_hooks:
        try:
            await hook(context, stored)
        except Exception:
            log.exception("rating hook %s failed for rating %s", getattr(hook, "__name__", hook), rating_id)
    return rating_id


def require_tablet(principal: Principal, hall_code: str, number: int) -> None:
    """The counter's own rating tablet: a ``counter`` device token of this hall bound to this counter."""
    if not (principal.kind == "device" and principal.role == "counter" and principal.hall == hall_code
            and principal.counter == number):
        raise Forbidden(f"只有 {number}号窗口的评价器可以查看和提交本窗口的评价",
                        f"only counter {number}'s rating tablet may read or rate its services")


async def rate_at_counter(context: AppContext, principal: Principal, hall_code: str, number: int, ticket_id: str,
                          given: Given) -> tuple[int, Ticket]:
    """The counter's tablet rates the service this counter just finished."""
    hall = await context.engine.hall(hall_code)
    hall.counter(number)  # UnknownCounter
    require_tablet(principal, hall_code, number)
    ticket = hall.tickets.get(ticket_id)
    if ticket is None:
        raise UnknownTicket("没有这张票", f"no ticket {ticket_id!r}")
    latest = last_finished(hall, number)
    if latest is None or latest.id != ticket.id:
        raise NotRatable(f"{ticket.number} 不是 {number}号窗口刚办结的业务，不能评价",
                         f"{ticket.number} is not the service counter {number} just finished")
    return await store_rating(context, hall_code, number, ticket, given, "tablet"), ticket


async def last_service(context: AppContext, principal: Principal, hall_code: str, number: int) -> dict[str, Any]:
    """For the counter's rating tablet when it (re)loads: the service finished last and whether it
    is rated; the ticket number is all it tells, as on the tablet."""
    hall = await context.engine.hall(hall_code)
    hall.counter(number)
    require_tablet(principal, hall_code, number)
    ticket = last_finished(hall, number)
    if ticket is None or ticket.finished_at is None:
        return {"ticket": None, "rated": False}
    rated = await context.engine.read(lambda conn: ratings.is_rated(conn, ticket.id))
    ago = (context.clock.now() - ticket.finished_at).total_seconds()
    return {"ticket": {"id": ticket.id, "number": ticket.number, "finished_ago_s": round(ago)}, "rated": rated}


async def _by_token(context: AppContext, token: str) -> tuple[Hall, Ticket]:
    located = await locate_ticket(context, token)
    if located is None:
        raise UnknownTicket("没有这张票", "no such ticket")
    return located


async def phone_state(context: AppContext, token: str) -> dict[str, bool]:
    """Whether the visitor's own service can be rated, or is rated."""
    _, ticket = await _by_token(context, token)
    rated = await context.engine.read(lambda conn: ratings.is_rated(conn, ticket.id))
    return {"ratable": phone_ratable(context, ticket) and not rated, "rated": rated}


async def rate_from_phone(context: AppContext, token: str, given: Given) -> tuple[int, Ticket]:
    """The status token is the visitor's proof. One rating per service, shared with the tablet,
    the evaluator keypad and the kiosk."""
    hall, ticket = await _by_token(context, token)
    if not phone_ratable(context, ticket) or ticket.counter is None:
        raise NotRatable(f"{ticket.number} 还没有办结或已超过 24 小时，不能评价",
                         f"{ticket.number} is not a service finished in the last 24 hours")
    return await store_rating(context, hall.config.code, ticket.counter, ticket, given, "phone"), ticket


async def rate_at_kiosk(context: AppContext, principal: Principal, hall_code: str, ticket_number: str,
                        given: Given) -> tuple[int, Ticket]:
    """The kiosk's 服务评价: today's finished service, by the number on the visitor's ticket."""
    hall = await context.engine.hall(hall_code)
    if not (principal.kind == "device" and principal.role == "kiosk" and principal.in_hall(hall_code)):
        raise Forbidden("只有本大厅的取号机可以提交评价", "only the hall's kiosks may post ratings")
    today = [t for t in hall.tickets.values() if t.number == ticket_number and t.day == hall.day]
    if not today:
        raise UnknownTicket(f"今天没有 {ticket_number} 号", f"no ticket {ticket_number} today")
    done = [t for t in today if t.status == TicketStatus.DONE and t.finished_at and t.counter is not None]
    if not done:
        raise NotRatable(f"{ticket_number} 还没有办结，办结后再来评价", f"{ticket_number} is not finished yet")
    ticket = max(done, key=lambda t: (t.finished_at or t.issued_at, t.id))
    assert ticket.counter is not None
    return await store_rating(context, hall_code, ticket.counter, ticket, given, "kiosk"), ticket
