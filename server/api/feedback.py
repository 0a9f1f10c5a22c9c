"""意见建议/投诉 and 窗口无否决权 routes (server/services/feedback.py has the rules)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, current_principal, require_principal
from server.domain.errors import CsrfRejected
from server.params import MAX_COUNTER
from server.services import feedback

from .declare import choice, endpoint
from .errors import JSONResponse
from .schemas import Body

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Contact = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class GiveFeedback(Body):
    kind: Literal["suggestion", "complaint"] = Field(description="suggestion (意见建议) or complaint (投诉)")
    text: Text = Field(description="what the visitor says")
    contact: Contact | None = Field(default=None, description="a phone number or other way to reach them")
    ticket: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = Field(
        default=None, description="the ticket number they came with")


class Category(Body):
    line: Short | None = Field(default=None, description="条线: a queue or department")
    level: Short | None = Field(default=None, description="层次: 窗口, 科室 or 中心")
    person: Short | None = Field(default=None, description="人员: a counter and/or a clerk")


class FeedbackChange(Body):
    category: Category | None = None
    counter: int | None = Field(default=None, ge=1, le=MAX_COUNTER, description="the counter it is about")
    clerk: Short | None = Field(default=None, description="the clerk's username it is about ('' clears)")
    reply: Text | None = Field(default=None, description="the answer the visitor reads")
    close: bool | None = Field(default=None, description="true closes it (needs a reply)")


class Escalate(Body):
    what: Text = Field(description="what the visitor asked for")
    why: Text = Field(description="why it cannot be settled at the window")
    contact: Contact | None = None
    counter: int | None = Field(default=None, ge=1, le=MAX_COUNTER, description="the window (the clerk's own)")


class Resolve(Body):
    resolution: Text | None = Field(default=None, description="how the managers settled it")
    close: bool | None = None


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@endpoint("POST", "/halls/{hall}/feedback", "Give a suggestion or complaint (no auth, rate limited; or staff)",
          body=GiveFeedback, auth=False, tag="registers",
          responses={201: "{id, status, due_at, status_token}", 404: "unknown hall", 429: "too many from here"})
async def give(request: Request, body: GiveFeedback) -> Response:
    """Due in 5 working days (complaint) or 10 (suggestion); the hall's managers get it live on the
    dashboard feed (``feedback.new``). The visitor follows it at /feedback/{hall}/s/{status_token}."""
    try:
        principal = await current_principal(request)
    except CsrfRejected:  # a session cookie sent from elsewhere: anyone may give it, as a visitor
        principal = None
    given = feedback.Given(body.kind, body.text, body.contact, body.ticket)
    made = await feedback.give(ctx(request), principal, request.path_params["hall"], given, _address(request))
    return JSONResponse(made, status_code=201)


@endpoint("GET", "/halls/{hall}/feedback", "The hall's suggestions and complaints (managers)", tag="registers",
          query={"status": choice("which (all)", "open", "overdue", "closed")},
          responses={200: "{feedback: [...], repeats: {counters, clerks}}", 403: "not a manager of this hall"})
async def list_feedback(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await feedback.for_hall(ctx(request), principal, request.path_params["hall"],
                                                request.query_params.get("status") or None))


@endpoint("PATCH", "/halls/{hall}/feedback/{id}", "Categorise, reply, close (managers)", body=FeedbackChange,
          tag="registers", responses={200: "as now", 404: "no such item in this hall",
                                      409: "closed, or closing without a reply", 422: "unknown counter or clerk"})
async def change_feedback(request: Request, body: FeedbackChange) -> Response:
    principal = await require_principal(request)
    category = body.category
    given = feedback.Change(category.line if category else None, category.level if category else None,
                            category.person if category else None, category is not None, body.counter, body.clerk,
                            body.reply, bool(body.close))
    return JSONResponse(await feedback.change(ctx(request), principal, request.path_params["hall"],
                                              request.path_params["id"], given))


@endpoint("GET", "/feedback/{status_token}", "A visitor's own suggestion or complaint: status and reply",
          auth=False, tag="registers", responses={200: "status and reply (no contact)", 404: "unknown link"})
async def status_of(request: Request) -> Response:
    found = await feedback.by_token(ctx(request), request.path_params["status_token"])
    if found is None:
        return JSONResponse({"error": {"code": "unknown_feedback", "message": "没有找到 (not found)"}},
                            status_code=404)
    return JSONResponse(found)


@endpoint("POST", "/halls/{hall}/escalations", "Record what the window cannot settle (staff; 窗口无否决权)",
          body=Escalate, tag="registers", responses={201: "the escalation", 403: "not staff of this hall"})
async def escalate(request: Request, body: Escalate) -> Response:
    principal = await require_principal(request)
    given = feedback.Escalation(body.what, body.why, body.contact, body.counter)
    return JSONResponse(await feedback.escalate(ctx(request), principal, request.path_params["hall"], given),
                        status_code=201)


@endpoint("GET", "/halls/{hall}/escalations", "Escalations, or their counts ?by=counter|clerk (managers)",
          tag="registers", query={"status": choice("which (all)", "open", "closed"),
                                  "by": choice("counts per counter or clerk", "counter", "clerk")},
          responses={200: "{escalations: [...]} or {by, counts: [{counter|clerk, count, open}]}"})
async def list_escalations(request: Request) -> Response:
    principal = await require_principal(request)
    query = request.query_params
    return JSONResponse(await feedback.escalations(ctx(request), principal, request.path_params["hall"],
                                                   query.get("status") or None, query.get("by") or None))


@endpoint("PATCH", "/halls/{hall}/escalations/{id}", "Resolve an escalation (managers)", body=Resolve,
          tag="registers", responses={200: "as now", 409: "already closed", 422: "no resolution"})
async def resolve(request: Request, body: Resolve) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await feedback.resolve(ctx(request), principal, request.path_params["hall"],
                                               request.path_params["id"], body.resolution, bool(body.close)))


ROUTES = [give, list_feedback, change_feedback, status_of, escalate, list_escalations, resolve]
