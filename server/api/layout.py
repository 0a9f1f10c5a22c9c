"""Setting a hall up (CONTRACT v2): its queues and counters, created or changed with PUT, retired
with DELETE. Thin: the rules and the audit are server/services/layout.py's."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.services import layout

from .counters import counter_number
from .declare import Param, endpoint
from .errors import JSONResponse
from .schemas import Body

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
QueueRef = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)]
QUEUE_PATH = "/halls/{hall}/queues/{code}"
COUNTER_PATH = "/halls/{hall}/counters/{number}"
CODE = {"code": Param("the queue's code: 1 to 4 capital letters, e.g. A", {"type": "string"}, True)}


class PutHall(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="e.g. 晋安区行政服务中心")


class PutQueue(Body):
    name: Name = Field(description="the theme as visitors read it, e.g. 社会民生类")
    position: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="its place in the order screens and the kiosk show, 1 = first; kept when left out")


class PutCounter(Body):
    queues: Annotated[list[QueueRef], Field(min_length=1, max_length=20)] = Field(
        description="the queues it serves, its own first, e.g. [\"L\", \"Z\"]")
    name: Name | None = Field(default=None, description="e.g. 11号窗口 (the default)")


def changed(request: Request, change: layout.Change) -> Response:
    """The answer; and before and after for the audit trail's entry of this request (server/api/audit.py)."""
    request.state.audit_detail = change.said()
    if change.after is None:
        return Response(status_code=204)
    return JSONResponse(change.after, status_code=201 if change.created else 200)


@endpoint("PUT", "/halls/{hall}", "Create an empty hall (admins)", body=PutHall, tag="setup",
          responses={201: "created, empty: {code, name, queues: [], counters: []}", 200: "it exists already",
                     403: "not an admin", 422: "a bad code or name"})
async def put_hall(request: Request, body: PutHall) -> Response:
    """A new hall has no queues, counters, departments or items; its set-up page does the rest. An
    existing hall keeps its name here (the settings page renames it, live on every screen)."""
    principal = await require_principal(request)
    change = await layout.put_hall(ctx(request), principal, request.path_params["hall"], body.name)
    changed(request, change)
    return JSONResponse(change.after, status_code=201 if change.created else 200)


@endpoint("PUT", QUEUE_PATH, "Create a queue (theme) or rename it", body=PutQueue, tag="setup", path_params=CODE,
          responses={201: "created", 200: "renamed", 403: "not a manager of this hall", 404: "unknown hall",
                     422: "a bad code or name"})
async def put_queue(request: Request, body: PutQueue) -> Response:
    principal = await require_principal(request)
    return changed(request, await layout.put_queue(ctx(request), principal, request.path_params["hall"],
                                                    request.path_params["code"], body.name, body.position))


@endpoint("DELETE", QUEUE_PATH, "Retire a queue (its tickets stay in the reports)", tag="setup", path_params=CODE,
          responses={204: "retired", 403: "not a manager of this hall", 404: "unknown hall or queue",
                     409: "tickets wait in it, or a counter serves it"})
async def delete_queue(request: Request) -> Response:
    principal = await require_principal(request)
    return changed(request, await layout.retire_queue(ctx(request), principal, request.path_params["hall"],
                                                       request.path_params["code"]))


@endpoint("PUT", COUNTER_PATH, "Create a counter or change its queues and name", body=PutCounter, tag="setup",
          responses={201: "created (closed until a clerk opens it)", 200: "changed", 403: "not a manager of this hall",
                     404: "unknown hall", 422: "an unknown queue"})
async def put_counter(request: Request, body: PutCounter) -> Response:
    principal = await require_principal(request)
    return changed(request, await layout.put_counter(ctx(request), principal, request.path_params["hall"],
                                                      counter_number(request), tuple(body.queues), body.name))


@endpoint("DELETE", COUNTER_PATH, "Retire a counter", tag="setup",
          responses={204: "retired", 403: "not a manager of this hall", 404: "unknown hall or counter",
                     409: "the counter is open"})
async def delete_counter(request: Request) -> Response:
    principal = await require_principal(request)
    return changed(request, await layout.retire_counter(ctx(request), principal, request.path_params["hall"],
                                                         counter_number(request)))


ROUTES = [put_hall, put_queue, delete_queue, put_counter, delete_counter]
