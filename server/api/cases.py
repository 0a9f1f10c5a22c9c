"""Cases (办件): received at a counter, reported on by the department, looked up by the applicant,
collected at the pickup window (queue L) or mailed. Statuses and transitions: server/domain/cases.py.

Personal data: the applicant's ID number is kept only as a keyed hash (to check whoever collects)
and its last four characters (the lookup check); the phone for notifications and its last four;
the name is shown masked (张*三) everywhere a case object goes. A case object never carries the ID
number or the phone.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.domain.cases import CaseStatus
from server.domain.identity import validate_id_number
from server.services import case_decisions, cases

from .declare import Param, endpoint
from .errors import JSONResponse
from .schemas import Body

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=15, max_length=18)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


# ---------------------------------------------------------------- request bodies
class Applicant(Body):
    name: Name
    id_number: IdNumber | None = Field(default=None, description="checked by its GB 11643 check digit; "
                                                                 "only a keyed hash and the last four are kept")
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 -]{4,19}$")] | None = None

    @field_validator("id_number")
    @classmethod
    def _check_digit(cls, value: str | None) -> str | None:
        return validate_id_number(value) if value else None


class CreateCase(Body):
    item: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=32)] = Field(
        description="an item code of the hall's catalog (GET /halls/{hall}/items)")
    applicant: Applicant
    ticket_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    materials_missing: Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                                       max_length=200)]],
                                 Field(max_length=50)] = Field(
        default_factory=list, description="materials of the item still missing: the case is then incomplete")
    counter: Annotated[int, Field(ge=1, le=9999)] | None = Field(
        default=None, description="where it is received (a clerk: the counter they hold)")
    # KPIs (docs/kpis.md); all optional
    channel: Literal["counter", "online"] | None = Field(
        default=None, description="counter (default) or online: an application from the online hall (网上办理率)")
    departments: Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                                 max_length=100)]],
                           Field(max_length=20)] = Field(
        default_factory=list, description="further departments involved besides the item's own (联合办理率)")
    paperless: bool | None = Field(default=None, description="received without paper materials (无纸化率)")


class Collector(Body):
    name: Name
    id_number: IdNumber

    @field_validator("id_number")
    @classmethod
    def _check_digit(cls, value: str) -> str:
        return validate_id_number(value)


class CaseEvent(Body):
    status: CaseStatus
    note: Note | None = None
    tracking_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=64)] | None = None
    collector: Collector | None = Field(
        default=None, description="for collected: the person at the counter. Their ID must be the applicant's, "
                                  "or the note must say 代领 and give their name (authorised collector)")
    missing: Annotated[list[Note], Field(max_length=30)] = Field(
        default_factory=list, description="for supplement (补正): exactly what the applicant must bring")
    department: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = Field(
        default=None, description="hall staff deciding one department's part of a joint case (联审联办); "
                                  "a department account always decides its own")


class Check(Body):
    check: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)]


class PrintCase(Body):
    what: Literal["receipt", "notice"]
    counter: Annotated[int, Field(ge=1, le=9999)]


# ---------------------------------------------------------------- routes (server/services/cases.py has the rules)
def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@endpoint("POST", "/halls/{hall}/cases", "Receive a case (办件) at a counter", body=CreateCase, tag="cases",
          responses={201: "the case, with the one-time notice when materials are missing",
                     404: "unknown hall, item or ticket"})
async def create_case(request: Request, body: CreateCase) -> Response:
    """A clerk signed in at a counter of the hall, or a manager. With ``materials_missing`` the case
    is ``incomplete`` (no due date yet) and carries the one-time notice listing every missing
    material; else ``accepted``, due after the item's time limit in Chinese working days."""
    principal = await require_principal(request)
    applicant = cases.Applicant(body.applicant.name, body.applicant.id_number, body.applicant.phone)
    given = cases.Reception(body.item, applicant, body.ticket_id, list(body.materials_missing), body.counter,
                            body.channel, list(body.departments), body.paperless)
    out = await cases.receive(ctx(request), principal, request.path_params["hall"], given)
    return JSONResponse(out, status_code=201)


@endpoint("POST", "/cases/{receipt_no}/events", "Report a case's progress (department or hall staff)",
          body=CaseEvent, tag="cases",
          responses={200: "the case", 404: "unknown receipt", 409: "the current status forbids it"})
async def post_event(request: Request, body: CaseEvent) -> Response:
    """A department that must decide the case: ``in_review``, ``approved``, ``rejected`` (with the
    reason in ``note``), ``supplement`` (with ``missing``) on its own part — the case follows its
    parts (联审联办) — then ``ready`` or ``mailed``. A clerk or manager of the case's hall: any allowed
    transition (``approved``/``rejected`` decide every open part, or ``department``'s); ``in_review``
    from ``supplement``: the material arrived; ``collected`` by a clerk only. ``accepted`` from
    ``incomplete``: the missing materials were supplied, the time limit starts."""
    principal = await require_principal(request)
    collector = cases.Collector(body.collector.name, body.collector.id_number) if body.collector else None
    step = cases.Progress(body.status, body.note, body.tracking_no, collector)
    return JSONResponse(await case_decisions.progress(ctx(request), principal, request.path_params["receipt_no"],
                                                      step, tuple(body.missing), body.department))


@endpoint("GET", "/cases/{receipt_no}", "A case and its timeline, by receipt and check (last 4 of ID or phone)",
          auth=False, tag="public", responses={200: "the case with its timeline",
                                               404: "unknown receipt, or a wrong or missing check",
                                               429: "too many wrong checks"},
          query={"check": Param("the last four characters of the applicant's ID number or phone")})
async def get_case(request: Request) -> Response:
    return JSONResponse(await cases.lookup(ctx(request), request.path_params["receipt_no"],
                                           request.query_params.get("check"), _address(request)))


@endpoint("GET", "/case-status/{status_token}", "A case and its timeline by its status token (the /c page)",
          auth=False, tag="public", responses={200: "the case with its timeline", 404: "unknown token"})
async def get_case_by_token(request: Request) -> Response:
    return JSONResponse(await cases.by_status_token(ctx(request), request.path_params["status_token"]))


@endpoint("POST", "/cases/{receipt_no}/pickup-ticket", "A 查询发证 (L) ticket to collect a ready case's result",
          body=Check, tag="cases",
          responses={201: "the L ticket, linked to the case (case_receipt)", 404: "unknown receipt or wrong check",
                     429: "too many wrong checks",
                     409: "not ready yet, or its L ticket still waits (with that ticket)"})
async def pickup_ticket(request: Request, body: Check) -> Response:
    principal = await require_principal(request)
    result = await cases.pickup_ticket(ctx(request), principal, request.path_params["receipt_no"], body.check,
                                       _address(request), str(request.base_url))
    if result.held is not None:  # its L ticket still waits: that one, with the refusal
        return JSONResponse({"error": {"code": result.held.code, "message": result.held.message},
                             "ticket": result.ticket}, status_code=409)
    return JSONResponse(result.ticket, status_code=201)


@endpoint("POST", "/cases/{receipt_no}/print", "Print the receipt (接件回执) or the one-time notice at a counter",
          body=PrintCase, tag="cases", responses={202: "sent to the counter's printer", 404: "unknown receipt",
                                                  409: "no notice (nothing is missing) or no receipt "
                                                       "(not yet accepted)"})
async def print_case(request: Request, body: PrintCase) -> Response:
    principal = await require_principal(request)
    out = await cases.print_paper(ctx(request), principal, request.path_params["receipt_no"], body.what,
                                  body.counter, str(request.base_url))
    return JSONResponse(out, status_code=202)


ROUTES: list[BaseRoute] = [create_case, post_event, get_case, get_case_by_token, pickup_ticket, print_case]
