"""Counter actions: one route per action, each a thin call into the hall engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.auth import Principal
from server.context import ctx, forbid, require_principal
from server.domain.errors import UnknownCounter
from server.domain.hall import Hall
from server.domain.model import Counter, Event
from server.domain.views import public_ticket
from server.hub.feeds import staff_ticket
from server.params import MAX_COUNTER, whole_number
from server.services.appointments import appointment_for_ticket
from server.services.cases import case_summary

from .declare import endpoint
from .errors import JSONResponse
from .schemas import CallNumber, Empty, Pause, Reinstate, Transfer

PATH = "/halls/{hall}/counters/{number}"


def counter_number(request: Request) -> int:
    raw = request.path_params["number"]
    number = whole_number(raw, 1, MAX_COUNTER)
    if number is None:
        raise UnknownCounter(f"没有 {raw[:12]}号窗口", f"no counter {raw[:12]!r}")
    return number


def counter_view(hall: Hall, counter: Counter) -> dict[str, Any]:
    ticket = hall.current_ticket(counter)
    return {"number": counter.number, "name": counter.name, "queues": list(counter.queues),
            "status": hall.public_status(counter), "clerk": counter.clerk, "pause_reason": counter.pause_reason,
            "ticket": public_ticket(hall, ticket) if ticket else None}


def _authorise(principal: Principal, hall: Hall, number: int, opening: bool) -> None:
    """A manager acts anywhere in their hall; a clerk only at the counter they hold."""
    code = hall.config.code
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin"):
        raise forbid("只有窗口工作人员或管理人员可以操作窗口", "only clerks and managers act at counters")
    if not principal.in_hall(code):
        raise forbid("不是本大厅的账号", "this account belongs to another hall")
    if principal.is_manager:
        return
    if opening:
        if principal.counter is not None and principal.counter != number:
            raise forbid(f"您的账号只能在 {principal.counter}号窗口签到",
                         f"this clerk may only open counter {principal.counter}")
        return
    hall.require_holder(number, principal.name)


Action = Callable[[Hall, int, datetime, Any, Principal], list[Event]]


def counter_action(action: str, summary: str, run: Action, body: type[BaseModel] = Empty,
                   gives: str = "ticket", responses: dict[int, str] | None = None) -> Route:
    async def handler(request: Request, payload: BaseModel) -> Response:
        context = ctx(request)
        code, number = request.path_params["hall"], counter_number(request)
        principal = await require_principal(request)
        hall = await context.engine.hall(code)
        hall.counter(number)  # 404 before 403 for a counter that does not exist
        _authorise(principal, hall, number, opening=(action == "open"))

        def command(hall: Hall, now: datetime) -> list[Event]:
            if action != "open" and not principal.is_manager:
                hall.require_holder(number, principal.name)  # again inside the lock: it may have changed
            return run(hall, number, now, payload, principal)

        events = await context.engine.run(code, command)
        hall = await context.engine.hall(code)
        if gives == "ticket":
            moved = next((e.ticket for e in reversed(events) if e.ticket is not None), None)
            if moved is None:
                return Response(status_code=204)
            return JSONResponse(public_ticket(hall, hall.tickets.get(moved.id, moved)))
        return JSONResponse(counter_view(hall, hall.counter(number)))

    handler.__name__ = action.replace("-", "_")
    handler.__doc__ = summary
    all_responses = {200: "the " + gives, 404: "unknown hall, counter or ticket",
                     409: "the counter's or ticket's state forbids it", **(responses or {})}
    return endpoint("POST", f"{PATH}/{action}", summary, body=body, responses=all_responses, tag="counter")(handler)


def _open(h: Hall, n: int, now: datetime, body: Any, who: Principal) -> list[Event]:
    return h.open_counter(n, who.name, now, who.display_name, who.staff_no)


ACTIONS = [
    counter_action("open", "Open the counter (签到): the signed-in clerk holds it", _open, gives="counter"),
    counter_action("close", "Close the counter (签退)", lambda h, n, now, b, w: h.close_counter(n, now),
                   gives="counter"),
    counter_action("pause", "Pause with a reason (暂停)", lambda h, n, now, b, w: h.pause(n, b.reason, now),
                   body=Pause, gives="counter"),
    counter_action("resume", "Resume after a pause (恢复)", lambda h, n, now, b, w: h.resume(n, now),
                   gives="counter"),
    counter_action("call-next", "Call the next ticket by the hall's policy (呼叫下一位)",
                   lambda h, n, now, b, w: h.call_next(n, now), responses={204: "nobody is waiting"}),
    counter_action("call", "Call a named waiting ticket out of turn (特呼)",
                   lambda h, n, now, b, w: h.call_number(n, b.number, now), body=CallNumber),
    counter_action("recall", "Call the current ticket again (重呼)", lambda h, n, now, b, w: h.recall(n, now)),
    counter_action("start", "Start serving the called ticket (开始办理)", lambda h, n, now, b, w: h.start(n, now)),
    counter_action("no-show", "The visitor did not come (过号)", lambda h, n, now, b, w: h.no_show(n, now)),
    counter_action("finish", "Service finished (办结)", lambda h, n, now, b, w: h.finish(n, now)),
    counter_action("transfer", "Send the current ticket to another queue or a named counter (转移)",
                   lambda h, n, now, b, w: h.transfer(n, now, b.queue, b.counter, b.reason), body=Transfer),
    counter_action("reinstate", "A no-show came back: re-queue near the front (回呼)",
                   lambda h, n, now, b, w: _reinstate(h, n, now, b), body=Reinstate),
]


def _reinstate(hall: Hall, number: int, now: datetime, body: Any) -> list[Event]:
    hall.active_counter(number)  # a closed counter refuses every action but open
    return hall.reinstate(body.number, now)


@endpoint("GET", PATH, "A counter's state (principals of the hall)", tag="counter",
          responses={403: "a credential of another hall", 404: "unknown hall or counter"})
async def get_counter(request: Request) -> Response:
    """Who holds the counter and what it serves: the hall's own business, not another hall's."""
    context = ctx(request)
    principal = await require_principal(request)
    hall = await context.engine.hall(request.path_params["hall"])
    counter = hall.counter(counter_number(request))
    if not principal.in_hall(hall.config.code):
        raise forbid("不是本大厅的账号或设备，不能查看本大厅的窗口", "this credential belongs to another hall")
    return JSONResponse(counter_view(hall, counter))


@endpoint("GET", f"{PATH}/current", "The counter's current ticket with its booking or linked case (clerk's screen)",
          tag="counter", responses={200: "{ticket, visitor, appointment, case}; ticket null when none",
                                    403: "not the clerk holding the counter, nor a manager of the hall",
                                    404: "unknown hall or counter"})
async def get_current(request: Request) -> Response:
    """For the clerk's own screen: the current ticket (with the card holder's masked name), the
    booking behind an appointment ticket (full name, last four of the ID number, slot, the booked
    item ``{code, name}`` or null) and the case
    an L (查询发证) ticket was taken for."""
    context = ctx(request)
    code, number = request.path_params["hall"], counter_number(request)
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    counter = hall.counter(number)
    _authorise(principal, hall, number, opening=False)
    ticket = hall.current_ticket(counter)
    if ticket is None:
        return JSONResponse({"ticket": None, "visitor": None, "appointment": None, "case": None})
    appointment: dict[str, Any] | None = None
    if ticket.case_receipt is None:  # a booking's ticket, in its window or checked in late as a walk-in
        booking = await appointment_for_ticket(context, ticket.id)
        if booking is not None:
            queue = hall.config.queue(booking["queue"])
            appointment = {"name": booking["name"], "id_last4": booking["id_last4"], "slot": booking["slot"],
                           "code": booking["code"], "queue_name": queue.name if queue else booking["queue"],
                           "item": booking["item"]}
    case = await case_summary(context, ticket.case_receipt) if ticket.case_receipt else None
    return JSONResponse({"ticket": staff_ticket(hall, ticket), "visitor": ticket.visitor,
                         "appointment": appointment, "case": case})


ROUTES = [get_counter, get_current, *ACTIONS]
