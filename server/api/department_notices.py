"""Messages to departments: where each department's go (its webhook, set by the hall's managers) and
what a department was told (its own accounts and the managers). Thin: the rules are
server/services/department_notices.py's; sending is server/jobs/department_notify.py's."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.services import department_notices as notices

from .declare import Param, endpoint, whole
from .errors import JSONResponse
from .schemas import Body

DEPARTMENT = {"code": Param("the department's code, e.g. SCJG", required=True)}


class PutWebhook(Body):
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="where the department's system receives its messages: http(s), no credentials")
    secret: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, description="the HMAC-SHA256 key of X-OneWindow-Signature, 16–200 characters; left out: "
                                  "the one set before is kept, or the server chooses one and answers it once")


def _said(request: Request, change: notices.WebhookChange) -> None:
    request.state.audit_detail = change.said  # the address's host only: a path may carry a token


@endpoint("PUT", "/halls/{hall}/departments/{code}/webhook", "Set where a department's messages go (managers)",
          body=PutWebhook, tag="departments", path_params=DEPARTMENT,
          responses={201: "set: {department, department_name, url, has_secret, updated_at, updated_by, secret?}",
                     200: "changed", 403: "not a manager of this hall", 404: "unknown hall or department",
                     422: "a bad url or secret"})
async def put_webhook(request: Request, body: PutWebhook) -> Response:
    """``secret`` is in the answer only when the server chose it: this once, never again."""
    principal = await require_principal(request)
    change = await notices.set_webhook(ctx(request), principal, request.path_params["hall"],
                                       request.path_params["code"], body.url, body.secret)
    _said(request, change)
    return JSONResponse(change.view, status_code=201 if change.created else 200)


@endpoint("GET", "/halls/{hall}/departments/{code}/webhook", "A department's webhook, without its secret (managers)",
          tag="departments", path_params=DEPARTMENT,
          responses={200: "{department, department_name, url, has_secret, updated_at, updated_by}",
                     403: "not a manager of this hall", 404: "unknown hall or department, or no webhook"})
async def get_webhook(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await notices.webhook_of(ctx(request), principal, request.path_params["hall"],
                                                 request.path_params["code"]))


@endpoint("DELETE", "/halls/{hall}/departments/{code}/webhook", "Stop sending a department's messages out "
          "(its workbench still lists them)", tag="departments", path_params=DEPARTMENT,
          responses={204: "removed", 403: "not a manager of this hall",
                     404: "unknown hall or department, or no webhook"})
async def delete_webhook(request: Request) -> Response:
    principal = await require_principal(request)
    change = await notices.drop_webhook(ctx(request), principal, request.path_params["hall"],
                                        request.path_params["code"])
    _said(request, change)
    request.state.audit_action = "department.webhook.delete"
    return Response(status_code=204)


@endpoint("GET", "/halls/{hall}/departments/{code}/notifications", "What a department was told, newest first "
          "(the department's accounts, the hall's managers)", tag="departments", path_params=DEPARTMENT,
          query={"limit": whole("how many, newest first (50)", 1, 500)},
          responses={200: "{notifications: [{id, kind, department, text, receipt_no, ref, payload, status, attempts, "
                          "created_at, sent_at, error}]}",
                     403: "another department's, or not staff of this hall", 404: "unknown hall or department"})
async def list_notices(request: Request) -> Response:
    """``kind``: new_case, due_tomorrow, prereview, prereview_due; ``status``: pending, sent (to its
    webhook), kept (no webhook: listed here only), failed."""
    principal = await require_principal(request)
    found = await notices.for_department(ctx(request), principal, request.path_params["hall"],
                                         request.path_params["code"], request.query_params.get("limit"))
    return JSONResponse({"notifications": found})


ROUTES = [put_webhook, get_webhook, delete_webhook, list_notices]
