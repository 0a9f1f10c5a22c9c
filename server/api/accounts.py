"""Staff accounts and a hall's device tokens: change a user (disable ends all their sessions), list
and revoke device tokens (the rules: server/services/accounts.py and credentials.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.services import accounts, credentials

from .declare import endpoint
from .errors import JSONResponse
from .schemas import UserChange


@endpoint("PATCH", "/users/{username}", "Change a user; active:false ends every token and session of theirs "
          "(admins; managers: their hall's staff)", body=UserChange, tag="manage",
          responses={200: "{username, role, hall, counter, department, active}", 403: "not allowed",
                     404: "unknown user", 422: "bad role, hall, counter or password"})
async def change_user(request: Request, body: UserChange) -> Response:
    principal = await require_principal(request)
    changed = await accounts.change_user(ctx(request), principal, request.path_params["username"],
                                         body.model_dump(exclude_unset=True))
    return JSONResponse(changed)


@endpoint("GET", "/halls/{hall}/tokens", "The hall's live device tokens, without their secrets (managers)",
          tag="devices", responses={200: "{tokens: [{id, kind, name, counter, created_at}]}", 403: "not a manager"})
async def list_tokens(request: Request) -> Response:
    principal = await require_principal(request)
    tokens = await credentials.device_tokens(ctx(request), principal, request.path_params["hall"])
    return JSONResponse({"tokens": [{**t, "created_at": t["created_at"].isoformat()} for t in tokens]})


@endpoint("DELETE", "/halls/{hall}/tokens/{token_id}", "Revoke a device token by its id (managers); "
          "it answers 401 from then on", tag="devices",
          responses={204: "revoked", 403: "not a manager", 404: "no such live device token in the hall"})
async def revoke_token(request: Request) -> Response:
    principal = await require_principal(request)
    await credentials.revoke_device_token(ctx(request), principal, request.path_params["hall"],
                                          request.path_params["token_id"])
    return Response(status_code=204)


ROUTES = [change_user, list_tokens, revoke_token]
