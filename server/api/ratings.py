"""好差评: the tablet facing the visitor rates the service this counter just finished.

No sign-in (the tablet is public), so the server decides what may be rated: only the counter's
most recently finished ticket of today, and only once. The clerk credited is the one who held the
counter when the service ended (``Ticket.served_by``), even if they have signed out since.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from server.domain.errors import Conflict, UnknownTicket
from server.domain.hall import Hall
from server.domain.model import Ticket, TicketStatus
from server.store import ratings

from .context import AppContext, ctx
from .counters import PATH, counter_number
from .declare import endpoint
from .errors import JSONResponse
from .schemas import Rate


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
        raise NotRatable(f"{ticket.number} 不是 {number} 号窗口刚办结的业务，不能评价",
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
    try:
        return await context.engine.write(lambda conn: ratings.add_rating(
            conn, hall=hall, ticket_id=ticket.id, counter=number, clerk=ticket.served_by, level=level,
            reasons=reasons, comment=comment, source=source, at=context.clock.now()))
    except IntegrityError:
        raise already from None

ROUTES = [last_service, rate]
