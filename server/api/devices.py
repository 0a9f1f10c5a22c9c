"""The state of every device in the hall, as the agents last reported it (for managers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, forbid, require_principal
from server.domain.views import iso
from server.store import devices

from .declare import endpoint
from .errors import JSONResponse


@endpoint("GET", "/halls/{hall}/devices", "Every agent's devices and their last reported state (managers)",
          tag="devices", responses={200: "[{agent, device, state, detail, updated_at}]", 403: "not a manager"})
async def list_devices(request: Request) -> Response:
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    if not principal.is_manager or not principal.in_hall(code):
        raise forbid("只有本大厅的管理人员可以查看设备状态", "only the hall's managers may see device states")
    rows = await context.engine.read(lambda conn: devices.states(conn, code))
    return JSONResponse([{"agent": row["agent"], "device": row["device"], "state": row["state"],
                          "detail": row["detail"], "updated_at": iso(row["updated_at"], hall)} for row in rows])


ROUTES = [list_devices]
