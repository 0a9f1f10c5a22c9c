"""The state of every device in the hall, as the agents last reported it (for managers; the rules:
server/services/devices.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.services import devices

from .declare import endpoint
from .errors import JSONResponse


@endpoint("GET", "/halls/{hall}/devices", "Every agent's devices and their last reported state (managers)",
          tag="devices", responses={200: "[{agent, device, state, detail, updated_at}]", 403: "not a manager"})
async def list_devices(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await devices.states(ctx(request), principal, request.path_params["hall"]))


ROUTES = [list_devices]
