"""The manager steering the hall from the dashboard (issue 9): move waiting tickets to another
queue, open a counter to more queues; and the test clock of demos and browser tests.

Pausing and closing a counter are the counter actions (server/api/counters.py), which managers
may take at any counter of their hall; the hall notice is ``PUT /halls/{hall}/notice``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.domain.views import public_ticket
from server.services import steering

from .counters import counter_number, counter_view
from .declare import endpoint
from .errors import JSONResponse
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
    principal = await require_principal(request)
    source = request.path_params["code"].upper()
    hall, moved = await steering.move_waiting(ctx(request), principal, request.path_params["hall"], source,
                                              body.to, body.count)
    return JSONResponse({"from": source, "to": body.to, "moved": [public_ticket(hall, t) for t in moved]})


@endpoint("PUT", "/halls/{hall}/counters/{number}/queues", "Set the queues a counter serves (managers)",
          body=CounterQueues, tag="dashboard",
          responses={200: "the counter", 403: "not a manager of this hall", 404: "unknown hall, counter or queue",
                     422: "an empty or repeated queue list"})
async def set_counter_queues(request: Request, body: CounterQueues) -> Response:
    """Opens a counter to a second queue (``["A", "B"]``) or changes its list: a ``counter.changed``
    event; its next calls follow the new list, first queue first. The list stays until changed again."""
    principal = await require_principal(request)
    number = counter_number(request)
    hall = await steering.set_counter_queues(ctx(request), principal, request.path_params["hall"], number,
                                             list(body.queues))
    return JSONResponse(counter_view(hall, hall.counter(number)))


@endpoint("POST", "/system/clock", "Move the server's clock ahead (demo and test servers only; admins)",
          body=ClockAdvance, tag="system",
          responses={200: "{now}", 403: "not an admin", 404: "the server does not run with ONEWINDOW_CLOCK_AT"})
async def advance_clock(request: Request, body: ClockAdvance) -> Response:
    """Only on a server started with ``ONEWINDOW_CLOCK_AT`` (a shifted clock): a browser test jumps
    21 minutes ahead to see a wait pass its target. Everywhere else this path does not exist (404)."""
    context = ctx(request)
    steering.adjustable_clock(context)  # before asking who calls: elsewhere the path does not exist
    principal = await require_principal(request)
    return JSONResponse(await steering.advance_clock(context, principal, body.advance_s))


ROUTES: list[BaseRoute] = [move_waiting, set_counter_queues, advance_clock]
