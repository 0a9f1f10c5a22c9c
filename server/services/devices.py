"""The state of every device in the hall, as the agents last reported it (server/agents), for its managers."""

from __future__ import annotations

from typing import Any

from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Forbidden
from server.domain.views import iso
from server.store import devices as store


async def states(context: AppContext, principal: Principal, code: str) -> list[dict[str, Any]]:
    """Every agent's devices and their last reported state, for the hall's managers."""
    hall = await context.engine.hall(code)  # UnknownHall first
    if not principal.manages(code):
        raise Forbidden("只有本大厅的管理人员可以查看设备状态", "only the hall's managers may see device states")
    rows = await context.engine.read(lambda conn: store.states(conn, code))
    return [{"agent": row["agent"], "device": row["device"], "state": row["state"], "detail": row["detail"],
             "updated_at": iso(row["updated_at"], hall)} for row in rows]
