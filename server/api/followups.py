"""整改 routes: the hall's follow-ups for its managers (server/services/followups.py has the rules)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.domain import followups as domain
from server.params import INTEGER
from server.services import followups

from .declare import choice, endpoint, whole
from .errors import JSONResponse
from .schemas import Body

FOLLOWUP_ID = {"id": whole("a follow-up's number", 1, INTEGER)}

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Callback(Body):
    note: Note = Field(description="what the visitor said when called back")
    reached: bool = Field(description="whether the visitor was reached")


class Fix(Body):
    note: Note = Field(description="what was changed (整改措施)")


class FollowupChange(Body):
    assignee: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="a staff username of the hall; an empty string unassigns")
    callback: Callback | None = None
    fix: Fix | None = None
    close: bool | None = Field(default=None, description="true closes it (after a call-back and a fix)")


class FollowupSettings(Body):
    due_days: int = Field(ge=1, le=domain.MAX_DUE_DAYS, description="working days from the rating to the due date")


@endpoint("GET", "/halls/{hall}/followups", "The hall's follow-ups (整改): ?status=open|overdue|closed (managers)",
          tag="manage", responses={200: "{followups: [...], due_days}", 403: "not a manager of this hall"},
          query={"status": choice("which (all)", "open", "overdue", "closed")})
async def list_followups(request: Request) -> Response:
    """open: not closed yet (overdue ones included, soonest due first); overdue: past due and not
    closed; closed: newest closed first; no status: all."""
    principal = await require_principal(request)
    return JSONResponse(await followups.for_hall(ctx(request), principal, request.path_params["hall"],
                                                 request.query_params.get("status") or None))


@endpoint("GET", "/followups/{id}", "One follow-up (managers of its hall)", tag="manage", path_params=FOLLOWUP_ID,
          responses={200: "the follow-up", 404: "no such follow-up in the caller's halls"})
async def get_followup(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await followups.one(ctx(request), principal, request.path_params["id"]))


@endpoint("PATCH", "/followups/{id}", "Assign, record the call-back or the fix, close (managers)",
          body=FollowupChange, tag="manage", path_params=FOLLOWUP_ID,
          responses={200: "the follow-up as now", 404: "no such follow-up in the caller's halls",
                     409: "already closed, or closing before the call-back and the fix",
                     422: "an assignee who is not staff of the hall"})
async def change_followup(request: Request, body: FollowupChange) -> Response:
    principal = await require_principal(request)
    given = followups.Change(body.assignee, body.callback.note if body.callback else None,
                             body.callback.reached if body.callback else None,
                             body.fix.note if body.fix else None, bool(body.close))
    return JSONResponse(await followups.change(ctx(request), principal, request.path_params["id"], given))


@endpoint("GET", "/halls/{hall}/followups/settings", "The hall's follow-up due days (managers)", tag="manage")
async def get_settings(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse({"due_days": await followups.due_days(ctx(request), principal, request.path_params["hall"])})


@endpoint("PUT", "/halls/{hall}/followups/settings", "Set the working days a follow-up is due in (managers)",
          body=FollowupSettings, tag="manage", responses={200: "the setting", 403: "not a manager of this hall"})
async def put_settings(request: Request, body: FollowupSettings) -> Response:
    """Applies to follow-ups opened from now on; those open keep their due date."""
    principal = await require_principal(request)
    days = await followups.set_due_days(ctx(request), principal, request.path_params["hall"], body.due_days)
    return JSONResponse({"due_days": days})


ROUTES = [get_settings, put_settings, list_followups, get_followup, change_followup]
