"""代办 routes (assisted service, seed art. 13): open a matter, record its steps, close it with its
result, list the hall's matters. The rules are server/services/assisted.py."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.domain import assisted as domain
from server.params import INTEGER
from server.services import assisted

from .declare import choice, day, endpoint, whole
from .errors import JSONResponse
from .schemas import Body

MATTER_ID = {"id": whole("a 代办 matter's number", 1, INTEGER)}
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=domain.MAX_NOTE)]


class OpenAssisted(Body):
    visitor_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                   max_length=domain.MAX_NAME)] = Field(
        description="the visitor helped (masked wherever matters are listed)")
    contact: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^1\d{10}$")] | None = Field(
        default=None, description="the visitor's mobile number (11 digits), shown masked")
    item: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = Field(
        default=None, description="an item code of the hall's catalog")
    ticket_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = Field(
        default=None, description="the visitor's ticket today (its id)")
    note: Note | None = None


class AssistedStep(Body):
    step: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=domain.MAX_STEP)] = Field(
        description="接待, 代为取号, 陪同办理, 代为递交材料, 代领结果 … (any short step)")
    note: Note | None = None


class CloseAssisted(Body):
    result: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=domain.MAX_NOTE)] = Field(
        description="what came of it (办理结果)")
    close: Literal[True] = Field(description="true: close the matter with its result")


@endpoint("POST", "/halls/{hall}/assisted", "Open a 代办 matter for a visitor (guides, clerks, managers)",
          body=OpenAssisted, tag="assisted",
          responses={201: "the matter, its first step 接待 recorded", 403: "not staff of this hall who assist",
                     422: "a field not acceptable (an unknown item or ticket)"})
async def open_matter(request: Request, body: OpenAssisted) -> Response:
    principal = await require_principal(request)
    given = assisted.Opening(body.visitor_name, body.contact, body.item, body.ticket_id, body.note or None)
    return JSONResponse(await assisted.open_matter(ctx(request), principal, request.path_params["hall"], given),
                        status_code=201)


@endpoint("POST", "/halls/{hall}/assisted/{id}/steps", "Record a step of a 代办 matter", body=AssistedStep,
          tag="assisted", path_params=MATTER_ID,
          responses={200: "the matter as now", 404: "no such matter in this hall", 409: "the matter is closed"})
async def add_step(request: Request, body: AssistedStep) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await assisted.add_step(ctx(request), principal, request.path_params["hall"],
                                                request.path_params["id"], body.step, body.note or None))


@endpoint("PATCH", "/halls/{hall}/assisted/{id}", "Close a 代办 matter with its result", body=CloseAssisted,
          tag="assisted", path_params=MATTER_ID,
          responses={200: "the matter, closed", 404: "no such matter in this hall", 409: "already closed"})
async def close_matter(request: Request, body: CloseAssisted) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await assisted.close(ctx(request), principal, request.path_params["hall"],
                                             request.path_params["id"], body.result))


@endpoint("GET", "/halls/{hall}/assisted", "The hall's 代办 matters: ?status=open|closed&from=&to=", tag="assisted",
          query={"status": choice("which (all)", "open", "closed"),
                 "from": day("opened on or after this hall-local day"), "to": day("opened on or before this day")},
          responses={200: "{assisted: [matter, the visitor masked]}", 403: "not staff of this hall who assist",
                     422: "a bad status or day"})
async def list_matters(request: Request) -> Response:
    principal = await require_principal(request)
    given = request.query_params
    return JSONResponse(await assisted.for_hall(ctx(request), principal, request.path_params["hall"],
                                                given.get("status") or None, given.get("from") or None,
                                                given.get("to") or None))


ROUTES: list[BaseRoute] = [list_matters, open_matter, add_step, close_matter]
