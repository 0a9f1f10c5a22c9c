"""The manager steering the hall from the dashboard (issue 9): move waiting tickets to another
queue, open a counter to more queues; and the test clock of demos and browser tests.

Pausing and closing a counter are the counter actions (server/api/counters.py), which managers
may take at any counter of their hall; the hall notice is ``PUT /halls/{hall}/notice``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, forbid, require_principal
from server.domain.clock import ShiftedClock
from server.domain.errors import UnknownQueue
from server.domain.hall import Hall
from server.domain.model import Event
from server.domain.views import iso, public_ticket
from server.services.alerts import wake_dashboards

from .alerts import require_manager
from .counters import counter_number, counter_view
from .declare import endpoint
from .errors import ApiError, JSONResponse
from .schemas import Body

QueueCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)]


class MoveWaiting(Body):
    to: QueueCode = Field(description="the queue the tickets go to")
    count: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        default=None, description="move only this many, the longest waiting; all when left out")


class CounterQueues(Body):
    queues: list[QueueCode] = Field(description="the queues the counter serves, in calling order, e.g. [\"A\", \"B\"]")


class ClockAdvance(Body):
    advance_s: Annotated[float, Field(gt=0, le=31 * 24 * 3600)] = Field(description="seconds to jump ahead")


@endpoint("POST", "/halls/{hall}/queues/{code}/move", "Move waiting tickets to another queue (managers)",
          body=MoveWaiting, tag="dashboard",
          responses={200: "{from, to, moved: [ticket…]} in their new order", 403: "not a manager of this hall",
                     404: "unknown hall or queue", 422: "to is the same queue, or a bad count"})
async def move_waiting(request: Request, body: MoveWaiting) -> Response:
    """All the queue's waiting tickets, or the ``count`` longest waiting, go to ``to``: one
    ``ticket.transferred`` event each (``reason: "manager_move"``). They keep their arrival time, so
    their order among themselves, and their place by arrival among those already waiting there."""
    context = ctx(request)
    hall_code, source = request.path_params["hall"], request.path_params["code"].upper()
    principal = await require_principal(request)
    hall = await context.engine.hall(hall_code)
    require_manager(principal, hall_code, "调整队列")
    if hall.config.queue(source) is None:
        raise UnknownQueue(f"没有 {source} 类队列", f"no queue {source!r} in this hall")
    if hall.config.queue(body.to) is None:
        raise ApiError(404, "unknown_queue", f"字段 to 无效：没有 {body.to} 类队列 (no queue {body.to!r})", "to")
    if body.to == source:
        raise ApiError(422, "invalid_field", "字段 to 无效：不能转到原队列 (to must be another queue)", "to")

    def command(hall: Hall, now: datetime) -> list[Event]:
        return hall.move_waiting(source, body.to, now, body.count, by=principal.name)

    events = await context.engine.run(hall_code, command)
    hall = await context.engine.hall(hall_code)
    moved = [public_ticket(hall, hall.tickets.get(e.ticket.id, e.ticket)) for e in events
             if e.type == "ticket.transferred" and e.ticket is not None]
    if moved:
        await wake_dashboards(context, hall_code)
    return JSONResponse({"from": source, "to": body.to, "moved": moved})


@endpoint("PUT", "/halls/{hall}/counters/{number}/queues", "Set the queues a counter serves (managers)",
          body=CounterQueues, tag="dashboard",
          responses={200: "the counter", 403: "not a manager of this hall", 404: "unknown hall, counter or queue",
                     422: "an empty or repeated queue list"})
async def set_counter_queues(request: Request, body: CounterQueues) -> Response:
    """Opens a counter to a second queue (``["A", "B"]``) or changes its list: a ``counter.changed``
    event; its next calls follow the new list, first queue first. The list stays until changed again."""
    context = ctx(request)
    code, number = request.path_params["hall"], counter_number(request)
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    hall.counter(number)
    require_manager(principal, code, "调整窗口业务")
    if not body.queues:
        raise ApiError(422, "invalid_field", "字段 queues 无效：至少要有一类业务 (queues must not be empty)", "queues")
    for queue in body.queues:
        if hall.config.queue(queue) is None:
            raise ApiError(404, "unknown_queue", f"字段 queues 无效：没有 {queue} 类队列 (no queue {queue!r})",
                           "queues")
    if len(set(body.queues)) != len(body.queues):
        raise ApiError(422, "invalid_field", "字段 queues 无效：队列重复 (queues lists a queue twice)", "queues")
    await context.engine.run(code, lambda h, now: h.set_counter_queues(number, body.queues, now, by=principal.name))
    await wake_dashboards(context, code)
    hall = await context.engine.hall(code)
    return JSONResponse(counter_view(hall, hall.counter(number)))


@endpoint("POST", "/system/clock", "Move the server's clock ahead (demo and test servers only; admins)",
          body=ClockAdvance, tag="system",
          responses={200: "{now}", 403: "not an admin", 404: "the server does not run with ONEWINDOW_CLOCK_AT"})
async def advance_clock(request: Request, body: ClockAdvance) -> Response:
    """Only on a server started with ``ONEWINDOW_CLOCK_AT`` (a shifted clock): a browser test jumps
    21 minutes ahead to see a wait pass its target. Everywhere else this path does not exist (404)."""
    context = ctx(request)
    clock = context.clock
    if context.settings.clock_at is None or not isinstance(clock, ShiftedClock):
        raise ApiError(404, "not_found", "没有这个地址 (not found)")
    principal = await require_principal(request)
    if not (principal.kind == "user" and principal.role == "admin"):
        raise forbid("只有系统管理员可以调整时钟", "only admins may move the clock")
    now = clock.advance(body.advance_s)
    out: dict[str, Any] = {"now": now.isoformat(timespec="seconds")}
    for hall in await context.engine.loaded_halls():
        out.setdefault("halls", {})[hall.config.code] = iso(now, hall)
        await wake_dashboards(context, hall.config.code)
    return JSONResponse(out)


ROUTES: list[BaseRoute] = [move_waiting, set_counter_queues, advance_clock]
