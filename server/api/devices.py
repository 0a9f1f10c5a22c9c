"""A hall's devices, for its managers: the state of every device as the agents last reported it,
and the hall's device tokens (the 设备 tab of /admin/{hall}): issued (the secret shown once, with
the address the device opens once and its QR code), listed with when each was last seen, renamed
or rebound, revoked, and the counters each agent drives. Thin: the rules are
server/services/devices.py's and credentials.py's; each change tells the audit trail its before
and after (server/api/audit.py), never a token."""

from __future__ import annotations

from typing import Annotated

import qrcode
from pydantic import Field, StringConstraints
from qrcode.image.svg import SvgPathImage
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.params import MAX_COUNTER
from server.services import devices

from .declare import Param, endpoint
from .errors import JSONResponse
from .schemas import Body

TOKENS = "/halls/{hall}/tokens"
TOKEN_ID = {"token_id": Param("a device token's public id (12 hex digits, as the list shows it)",
                              {"type": "string"}, True)}
AGENT = {"name": Param("the agent's name, as its token was issued", {"type": "string"}, True)}
Counter = Annotated[int, Field(ge=1, le=MAX_COUNTER)]
Text = Annotated[str, StringConstraints(max_length=200)]  # the rules (1–40 characters …) are the service's


class IssueDevice(Body):
    kind: Text = Field(description="kiosk (自助取号机), display (大厅显示屏), counter (窗口评价器) or agent (设备代理)")
    name: Text = Field(description="unique among the hall's live tokens of that kind, e.g. 东门取号机; 1 to 40 "
                                   "characters, no / \\ ? # % \"")
    counter: Counter | None = Field(default=None, description="the counter a rating tablet is bound to (required "
                                                              "for counter); an agent given one drives it alone")


class ChangeDevice(Body):
    name: Text | None = Field(default=None, description="the device's new name")
    counter: Counter | None = Field(default=None, description="a rating tablet's new counter")


class AgentCounters(Body):
    counters: Annotated[list[Counter], Field(max_length=200)] = Field(
        description="the counters whose keypads and evaluators this agent drives; [] for none")


def _audited(request: Request, said: dict[str, str], **values: object) -> None:
    """Before and after, for this request's entry in the audit trail (server/api/audit.py). They say
    all that changed, so the names of the fields sent are not listed (a device's name is no 姓名)."""
    request.state.audit_detail = {"fields": [], **values, **said}


def _qr_svg(text: str) -> str:
    svg: str = qrcode.make(text, image_factory=SvgPathImage, border=2).to_string(encoding="unicode")
    return svg


@endpoint("GET", "/halls/{hall}/devices", "Every agent's devices and their last reported state (managers)",
          tag="devices", responses={200: "[{agent, device, state, detail, updated_at}]", 403: "not a manager"})
async def list_devices(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await devices.states(ctx(request), principal, request.path_params["hall"]))


@endpoint("GET", TOKENS, "The hall's live device tokens, without their secrets, with when each was last seen "
          "(managers)", tag="devices",
          responses={200: "{now, tokens: [{id, kind, name, counter, created_at, last_seen, counters (agents)}]}",
                     403: "not a manager"})
async def list_tokens(request: Request) -> Response:
    principal = await require_principal(request)
    context = ctx(request)
    tokens = await devices.device_tokens(context, principal, request.path_params["hall"])
    return JSONResponse({"now": context.wall().isoformat(), "tokens": tokens})


@endpoint("POST", TOKENS, "Issue a device token (managers); the token is in this answer only", body=IssueDevice,
          tag="devices",
          responses={201: "{id, kind, name, counter, created_at, last_seen, token, setup_url, qr_svg, config}",
                     403: "not a manager of this hall", 409: "a live token of that kind has that name",
                     422: "a bad kind, name or counter (named)"})
async def issue_token(request: Request, body: IssueDevice) -> Response:
    """``setup_url``: the page the device opens once (it keeps the token and drops it from the
    address), and ``qr_svg`` its QR code; an agent has neither: ``config`` holds the lines of its
    configuration file the token goes into."""
    principal = await require_principal(request)
    hall = request.path_params["hall"]
    issued = await devices.issue(ctx(request), principal, hall, body.kind, body.name, body.counter)
    server = str(request.base_url).rstrip("/")
    path = devices.setup_path(hall, issued.device, issued.token)
    setup = server + path if path else None
    answer = {**devices.shown(issued.device), "token": issued.token, "setup_url": setup,
              "qr_svg": _qr_svg(setup) if setup else None,
              "config": devices.agent_config(server, issued.token) if issued.device["kind"] == "agent" else None}
    _audited(request, {"before": "无", "after": devices.described(issued.device)},
             kind=devices.KINDS[issued.device["kind"]])
    return JSONResponse(answer, status_code=201, headers={"Cache-Control": "no-store"})


@endpoint("PATCH", TOKENS + "/{token_id}", "Rename a device, or rebind a rating tablet to another counter "
          "(managers)", body=ChangeDevice, tag="devices", path_params=TOKEN_ID,
          responses={200: "{id, kind, name, counter, created_at, last_seen}", 403: "not a manager of this hall",
                     404: "no such live device token in the hall", 409: "the name is taken",
                     422: "a bad name or counter (named)"})
async def change_token(request: Request, body: ChangeDevice) -> Response:
    principal = await require_principal(request)
    changed, change = await devices.change(ctx(request), principal, request.path_params["hall"],
                                           request.path_params["token_id"], body.model_dump(exclude_unset=True))
    _audited(request, change.said())
    return JSONResponse(changed)


@endpoint("DELETE", TOKENS + "/{token_id}", "Revoke a device token by its id (managers); "
          "it answers 401 from then on", tag="devices", path_params=TOKEN_ID,
          responses={204: "revoked", 403: "not a manager", 404: "no such live device token in the hall"})
async def revoke_token(request: Request) -> Response:
    principal = await require_principal(request)
    change = await devices.revoke(ctx(request), principal, request.path_params["hall"],
                                  request.path_params["token_id"])
    _audited(request, change.said())
    return Response(status_code=204)


@endpoint("PUT", "/halls/{hall}/agents/{name}/counters", "Set the counters an agent drives (managers)",
          body=AgentCounters, tag="devices", path_params=AGENT,
          responses={200: "{name, counters}", 403: "not a manager of this hall", 404: "no live agent of that name",
                     422: "an unknown counter (named)"})
async def put_agent_counters(request: Request, body: AgentCounters) -> Response:
    principal = await require_principal(request)
    name = request.path_params["name"]
    counters, change = await devices.set_agent_counters(ctx(request), principal, request.path_params["hall"],
                                                        name, body.counters)
    _audited(request, change.said())
    return JSONResponse({"name": name, "counters": counters})


ROUTES = [list_devices, list_tokens, issue_token, change_token, revoke_token, put_agent_counters]
