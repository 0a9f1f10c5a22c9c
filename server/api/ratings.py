"""好差评: the tablet facing the visitor rates the service this counter just finished; the
visitor's own phone page (/t/{token}) and the kiosk (by ticket number) rate a finished service too.

No sign-in (the tablet is public), so the server decides what may be rated: only the counter's
most recently finished ticket of today, and only once. The clerk credited is the one who held the
counter when the service ended (``Ticket.served_by``), even if they have signed out since.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from server.domain.errors import Conflict, UnknownTicket
from server.domain.hall import Hall
from server.domain.model import Ticket, TicketStatus
from server.domain.ratings import REASONS, Reason
from server.store import ratings

from .context import AppContext, ctx, forbid, require_principal
from .counters import PATH, counter_number
from .declare import endpoint
from .errors import ApiError, JSONResponse
from .halls import locate_ticket
from .schemas import Body, Rate, TicketNumber

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


RatingHook = Callable[[AppContext, StoredRating], Awaitable[None]]
# Called after every stored rating, whatever its source (server/api/followups.py opens 整改 here).
RATING_HOOKS: list[RatingHook] = []


class AlreadyRated(Conflict):
    code = "already_rated"


class NotRatable(Conflict):
    code = "not_ratable"


def last_finished(hall: Hall, number: int) -> Ticket | None:
    """The counter's most recently finished (办结) ticket of the hall's current day."""
    done = [t for t in hall.tickets.values()
            if t.counter == number and t.status == TicketStatus.DONE and t.day == hall.day and t.finished_at]
    return max(done, key=lambda t: (t.finished_at, t.id), default=None)


def _ratable(hall: Hall, number: int, ticket_id: str) -> Ticket:
    ticket = hall.tickets.get(ticket_id)
    if ticket is None:
        raise UnknownTicket("没有这张票", f"no ticket {ticket_id!r}")
    latest = last_finished(hall, number)
    if latest is None or latest.id != ticket.id:
        raise NotRatable(f"{ticket.number} 不是 {number}号窗口刚办结的业务，不能评价",
                         f"{ticket.number} is not the service counter {number} just finished")
    return ticket


@endpoint("POST", f"{PATH}/rating", "Rate the service just finished (好差评)", body=Rate, auth=False,
          tag="public", responses={201: "stored", 404: "unknown hall, counter or ticket",
                                   409: "not this counter's just-finished service, or already rated"})
async def rate(request: Request, body: Rate) -> Response:
    context = ctx(request)
    code, number = request.path_params["hall"], counter_number(request)
    hall = await context.engine.hall(code)
    hall.counter(number)  # 404 for an unknown counter
    ticket = _ratable(hall, number, body.ticket_id)
    rating_id = await store_rating(context, code, number, ticket, body.level, list(body.reasons), body.comment,
                                   "tablet")
    return JSONResponse({"id": rating_id, "ticket": ticket.number, "level": body.level}, status_code=201)


@endpoint("GET", f"{PATH}/rating", "The service this counter finished last, and whether it is rated yet",
          auth=False, tag="public", responses={200: "{ticket: {id, number, finished_ago_s} | null, rated}"})
async def last_service(request: Request) -> Response:
    """For the rating tablet when it (re)loads: a service finished a moment ago is still waiting
    for its rating. The ticket number is all it tells, as on the tablet."""
    context = ctx(request)
    hall = await context.engine.hall(request.path_params["hall"])
    number = counter_number(request)
    hall.counter(number)
    ticket = last_finished(hall, number)
    if ticket is None or ticket.finished_at is None:
        return JSONResponse({"ticket": None, "rated": False})
    rated = await context.engine.read(lambda conn: ratings.is_rated(conn, ticket.id))
    ago = (context.clock.now() - ticket.finished_at).total_seconds()
    return JSONResponse({"ticket": {"id": ticket.id, "number": ticket.number, "finished_ago_s": round(ago)},
                         "rated": rated})


async def store_rating(context: AppContext, hall: str, number: int, ticket: Ticket, level: int, reasons: list[str],
                       comment: str | None, source: str) -> int:
    """One rating per service, wherever it was given (tablet, evaluator keypad…): 409 for a second."""
    already = AlreadyRated(f"{ticket.number} 已经评价过了，谢谢", f"{ticket.number} is already rated")
    if await context.engine.read(lambda conn: ratings.is_rated(conn, ticket.id)):
        raise already
    at = context.clock.now()
    try:
        rating_id = await context.engine.write(lambda conn: ratings.add_rating(
            conn, hall=hall, ticket_id=ticket.id, counter=number, clerk=ticket.served_by, level=level,
            reasons=reasons, comment=comment, source=source, at=at))
    except IntegrityError:
        raise already from None
    stored = StoredRating(rating_id, hall, number, ticket, level, reasons, comment, source, at)
    for hook in RATING_HOOKS:
        try:
            await hook(context, stored)
        except Exception:  # the rating is stored; a failing hook must not undo the visitor's answer
            log.exception("rating hook %s failed for rating %s", getattr(hook, "__name__", hook), rating_id)
    return rating_id

# ------------------------------------------------------- the phone page and the kiosk
class RateService(Body):
    """好差评 from the visitor's own page or the kiosk: the level, and reasons for the unhappy two."""

    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意; the Chinese label is accepted too")
    reasons: Annotated[list[Reason], Field(max_length=len(REASONS))] = Field(
        default_factory=list, description="for 不满意 and 非常不满意 only: " + "、".join(REASONS))
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    _label = field_validator("level", mode="before")(Rate._label.__func__)  # type: ignore[attr-defined]
    _only_when_unhappy = field_validator("reasons")(Rate._only_when_unhappy.__func__)  # type: ignore[attr-defined]


class KioskRate(RateService):
    ticket_number: TicketNumber = Field(description="the number on the visitor's ticket, e.g. A012 (today's)")


def phone_ratable(context: AppContext, ticket: Ticket) -> bool:
    """Finished (办结) at a counter within the last 24 hours: the visitor's page may rate it."""
    return (ticket.status == TicketStatus.DONE and ticket.finished_at is not None and ticket.counter is not None
            and context.clock.now() - ticket.finished_at <= PHONE_WINDOW)


async def _by_token(request: Request) -> tuple[Hall, Ticket]:
    located = await locate_ticket(ctx(request), request.path_params["status_token"])
    if located is None:
        raise ApiError(404, "unknown_ticket", "没有这张票 (no such ticket)")
    return located


@endpoint("GET", "/tickets/{status_token}/rating", "Whether the visitor's own service can be rated, or is rated",
          auth=False, tag="public", responses={200: "{ratable, rated}"})
async def phone_rating_state(request: Request) -> Response:
    context = ctx(request)
    _, ticket = await _by_token(request)
    rated = await context.engine.read(lambda conn: ratings.is_rated(conn, ticket.id))
    return JSONResponse({"ratable": phone_ratable(context, ticket) and not rated, "rated": rated})


@endpoint("POST", "/tickets/{status_token}/rating", "The visitor rates their own finished service (好差评)",
          body=RateService, auth=False, tag="public",
          responses={201: "stored", 404: "no such ticket",
                     409: "not finished, finished more than 24 hours ago, or already rated"})
async def rate_from_phone(request: Request, body: RateService) -> Response:
    """The status token is the visitor's proof. One rating per service, shared with the tablet,
    the evaluator keypad and the kiosk."""
    context = ctx(request)
    hall, ticket = await _by_token(request)
    if not phone_ratable(context, ticket) or ticket.counter is None:
        raise NotRatable(f"{ticket.number} 还没有办结或已超过 24 小时，不能评价",
                         f"{ticket.number} is not a service finished in the last 24 hours")
    rating_id = await store_rating(context, hall.config.code, ticket.counter, ticket, body.level,
                                   list(body.reasons), body.comment, "phone")
    return JSONResponse({"id": rating_id, "ticket": ticket.number, "level": body.level}, status_code=201)


@endpoint("POST", "/halls/{hall}/ratings", "The kiosk's 服务评价: rate today's finished service by its number",
          body=KioskRate, tag="kiosk",
          responses={201: "stored", 403: "not a kiosk of this hall", 404: "no such ticket today",
                     409: "not finished, or already rated"})
async def rate_at_kiosk(request: Request, body: KioskRate) -> Response:
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    if not (principal.kind == "device" and principal.role == "kiosk" and principal.in_hall(code)):
        raise forbid("只有本大厅的取号机可以提交评价", "only the hall's kiosks may post ratings")
    today = [t for t in hall.tickets.values() if t.number == body.ticket_number and t.day == hall.day]
    if not today:
        raise UnknownTicket(f"今天没有 {body.ticket_number} 号", f"no ticket {body.ticket_number} today")
    done = [t for t in today if t.status == TicketStatus.DONE and t.finished_at and t.counter is not None]
    if not done:
        raise NotRatable(f"{body.ticket_number} 还没有办结，办结后再来评价",
                         f"{body.ticket_number} is not finished yet")
    ticket = max(done, key=lambda t: (t.finished_at or t.issued_at, t.id))
    assert ticket.counter is not None
    rating_id = await store_rating(context, code, ticket.counter, ticket, body.level, list(body.reasons),
                                   body.comment, "kiosk")
    return JSONResponse({"id": rating_id, "ticket": ticket.number, "level": body.level}, status_code=201)


ROUTES = [last_service, rate, phone_rating_state, rate_from_phone, rate_at_kiosk]
