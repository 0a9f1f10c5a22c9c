"""咨询登记 (CONTRACT v2 "Registers"): the hall's staff record the questions visitors ask on site or
by phone, and list them. The rules are server/services/consultations.py."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.params import INTEGER, query_number
from server.services import consultations

from .declare import Param, choice, day, endpoint, whole
from .errors import JSONResponse
from .schemas import Body

Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Answer = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=32)]
CONSULTATION_ID = {"id": whole("a consultation's number", 1, INTEGER)}


class NewConsultation(Body):
    channel: Literal["onsite", "phone"] = Field(description="onsite (现场) or phone (电话)")
    topic: Topic = Field(description="what the visitor asked (咨询事项); no name or ID number")
    item: Code | None = Field(default=None, description="the item of the hall's catalog it is about")
    answer: Answer | None = Field(default=None, description="the answer given (答复)")
    escalated: bool = Field(default=False, description="the desk could not answer: sent to a department")
    department: Code | None = Field(default=None, description="escalated: the department's code (the item's own "
                                                               "by default)")
    due_days: Annotated[int, Field(ge=1, le=consultations.MAX_DUE_DAYS)] | None = Field(
        default=None, description="escalated: working days the department has to answer (2)")


class ConsultationChange(Body):
    answer: Answer | None = Field(default=None, description="the answer (the first responder or a manager)")
    escalation_answer: Answer | None = Field(default=None, description="the department's answer (that department "
                                                                       "or a manager)")
    closed: bool | None = Field(default=None, description="true closes it (a manager or the first responder)")
    escalated: bool | None = Field(default=None, description="true: send it to a department now (a manager or the "
                                                             "first responder; not once escalated)")
    department: Code | None = Field(default=None, description="escalated: the department's code (the item's own "
                                                               "by default)")
    due_days: Annotated[int, Field(ge=1, le=consultations.MAX_DUE_DAYS)] | None = Field(
        default=None, description="escalated: working days from today the department has to answer (2)")


@endpoint("POST", "/halls/{hall}/consultations", "Record a consultation (咨询登记; clerks, guides, managers)",
          body=NewConsultation, tag="registers",
          responses={201: "{id, at, first_responder, …}: the consultation", 403: "not staff of this hall",
                     422: "a bad field, an unknown item or department"})
async def create_consultation(request: Request, body: NewConsultation) -> Response:
    """Whoever records it is its first responder (首问负责). When escalated it is due ``due_days``
    working days later on the hall's working calendar."""
    principal = await require_principal(request)
    given = consultations.New(body.channel, body.topic, body.item, body.answer, body.escalated, body.department,
                              body.due_days)
    made = await consultations.record(ctx(request), principal, request.path_params["hall"], given)
    return JSONResponse(made, status_code=201)


@endpoint("GET", "/halls/{hall}/consultations", "The hall's consultations, newest first (staff)", tag="registers",
          query={"from": day("the first hall-local day"), "to": day("the last hall-local day"),
                 "channel": choice("onsite or phone", "onsite", "phone"),
                 "escalated": choice("sent to a department, or not", "true", "false"),
                 "q": Param("part of the topic or an answer", {"type": "string", "maxLength": consultations.MAX_TEXT}),
                 "status": choice("open (not closed), waiting (for the department's answer), overdue (waiting past "
                                  "its due date), closed", *consultations.STATUSES),
                 "limit": whole("per page (50)", 1, consultations.MAX_LIMIT),
                 "offset": whole("to skip (0)", 0, consultations.MAX_OFFSET)},
          responses={200: "{total, consultations: [...]}", 403: "not staff of this hall"})
async def list_consultations(request: Request) -> Response:
    """A department account sees those escalated to its department."""
    given = request.query_params
    principal = await require_principal(request)
    query = consultations.criteria(request.path_params["hall"], first=given.get("from"), last=given.get("to"),
                                   channel=given.get("channel"), escalated=given.get("escalated"), q=given.get("q"),
                                   status=given.get("status"))
    limit = query_number(given.get("limit"), "limit", 1, consultations.MAX_LIMIT, consultations.DEFAULT_LIMIT)
    offset = query_number(given.get("offset"), "offset", 0, consultations.MAX_OFFSET, 0)
    return JSONResponse(await consultations.search(ctx(request), principal, query, limit, offset))


@endpoint("GET", "/halls/{hall}/consultations/summary", "The 咨询登记 counts: a day's, and those waiting now (staff)",
          tag="registers", query={"day": day("the hall-local day (today)")},
          responses={200: "{day, onsite, phone, escalated, waiting, overdue}", 403: "not staff of this hall"})
async def consultation_summary(request: Request) -> Response:
    """``onsite``, ``phone``, ``escalated``: asked that day; ``waiting``: sent to a department and
    not yet answered by it, ``overdue`` of them past their due date, whenever asked. A department
    account counts those sent to its department."""
    principal = await require_principal(request)
    return JSONResponse(await consultations.summary(ctx(request), principal, request.path_params["hall"],
                                                    request.query_params.get("day")))


@endpoint("PATCH", "/halls/{hall}/consultations/{id}", "Answer, escalate, give the department's answer, close (staff)",
          body=ConsultationChange, tag="registers", path_params=CONSULTATION_ID,
          responses={200: "the consultation as now", 403: "not the first responder, its department or a manager",
                     404: "no such consultation in this hall", 409: "already closed, or already escalated",
                     422: "a bad field, an unknown department"})
async def change_consultation(request: Request, body: ConsultationChange) -> Response:
    """A department account may answer only those sent to its department (403 for any other)."""
    principal = await require_principal(request)
    given = consultations.Change(body.answer, body.escalation_answer, body.closed, body.escalated, body.department,
                                 body.due_days)
    return JSONResponse(await consultations.change(ctx(request), principal, request.path_params["hall"],
                                                   request.path_params["id"], given))


ROUTES = [create_consultation, list_consultations, consultation_summary, change_consultation]
