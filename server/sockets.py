"""How every WebSocket endpoint opens: accept, find out who is calling and what they follow, and
either refuse (a close frame 1008 with a reason a person can read) or serve.

Plain ASGI callables rather than Starlette's WebSocket class: the hub sends through the raw ASGI
``send`` (server/hub/client.py). Every refusal happens after the handshake and before any data,
so that a browser can show why. The display, ticket, counter, kiosk and dashboard feeds
(server/hub/routes.py), the case feed (server/hub/cases.py) and the device agent's socket
(server/agents/endpoint.py) all open this way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from server import metrics
from server.context import AppContext, caller_token, ctx
from server.engine import StorageError

POLICY = 1008  # wrong or missing token, unknown hall, ticket or case, bad parameter
RECHECK_S = 5.0  # how soon a socket opened with a credential notices that it ended (sign-out, revoked)
UNSUPPORTED = 1003  # a message the socket does not take
BAD_PAYLOAD = 1007  # a message that is not JSON


class Refused(Exception):
    """Close the socket with 1008 and this reason."""


class SocketEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        clients = metrics.websocket_clients(scope["path"])
        clients.inc()
        try:
            await self._accepted(scope, receive, send)
        finally:
            clients.dec()

    async def _accepted(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = HTTPConnection(scope)
        context = ctx(conn)
        try:
            opened = await self.open(conn, context)
        except Refused as refusal:
            await send({"type": "websocket.close", "code": POLICY, "reason": str(refusal)})
            return
        credential = conn.query_params.get("token") or caller_token(conn)
        if credential is None or await context.principal_for_token(credential) is None:
            await self.serve(context, opened, scope, receive, send)  # public: nothing can end
            return
        await _while_valid(self.serve(context, opened, scope, receive, send), context, credential, send)

    async def open(self, conn: HTTPConnection, context: AppContext) -> Any:
        """Who is calling and what they follow; raises Refused. Nothing is sent before it returns."""
        raise NotImplementedError

    async def serve(self, context: AppContext, opened: Any, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


async def _while_valid(serving: Awaitable[None], context: AppContext, credential: str, send: Send) -> None:
    """Serves until the credential the socket opened with ends: a clerk who signs out, a user who is
    disabled, a device whose token is revoked loses the open feed too, not only the next request."""
    served = asyncio.ensure_future(serving)
    watch = asyncio.ensure_future(_until_ended(context, credential))
    try:
        await asyncio.wait({served, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (served, watch):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await served  # its own clean-up (unsubscribing) is done before the close frame goes
    if watch.done() and not watch.cancelled():
        with contextlib.suppress(RuntimeError, OSError):  # the peer may be gone already
            await send({"type": "websocket.close", "code": POLICY,
                        "reason": "凭证已失效，请重新登录或配置 (signed out, expired or revoked)"})


async def _until_ended(context: AppContext, credential: str) -> None:
    while True:
        await asyncio.sleep(RECHECK_S)
        with contextlib.suppress(StorageError):  # an outage ends nobody's sign-in; the feed reports it
            if await context.principal_for_token(credential) is None:
                return
