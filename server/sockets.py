"""How every WebSocket endpoint opens: accept, find out who is calling and what they follow, and
either refuse (a close frame 1008 with a reason a person can read) or serve.

Plain ASGI callables rather than Starlette's WebSocket class: the hub sends through the raw ASGI
``send`` (server/hub/client.py). Every refusal happens after the handshake and before any data,
so that a browser can show why. The display, ticket, counter, kiosk and dashboard feeds
(server/hub/routes.py), the case feed (server/hub/cases.py) and the device agent's socket
(server/agents/endpoint.py) all open this way.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from server.context import AppContext, ctx

POLICY = 1008  # wrong or missing token, unknown hall, ticket or case, bad parameter
UNSUPPORTED = 1003  # a message the socket does not take
BAD_PAYLOAD = 1007  # a message that is not JSON


class Refused(Exception):
    """Close the socket with 1008 and this reason."""


class SocketEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        conn = HTTPConnection(scope)
        context = ctx(conn)
        try:
            opened = await self.open(conn, context)
        except Refused as refusal:
            await send({"type": "websocket.close", "code": POLICY, "reason": str(refusal)})
            return
        await self.serve(context, opened, scope, receive, send)

    async def open(self, conn: HTTPConnection, context: AppContext) -> Any:
        """Who is calling and what they follow; raises Refused. Nothing is sent before it returns."""
        raise NotImplementedError

    async def serve(self, context: AppContext, opened: Any, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
