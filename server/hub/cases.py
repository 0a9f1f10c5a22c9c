"""``/ws/cases/{status_token}``: one case's live status, for the /c page (public: the token is the
secret). First ``{"type": "snapshot", "case": …}``, then every ``{"type": "case.updated", "case": …}``
published on the bus channel ``case:{status_token}`` (server/api/cases.py). These are not hall
events: no ``seq``, nothing replayed; a client that sends ``{"type": "resync"}`` gets a fresh
snapshot. An unknown token is closed with 1008 after the handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from server.bus.base import Subscription
from server.channels import case_channel
from server.context import AppContext
from server.services.cases import case_by_token
from server.sockets import UNSUPPORTED, Refused, SocketEndpoint
from server.tasks import cancel_and_wait


class CaseFeedEndpoint(SocketEndpoint):
    async def open(self, conn: HTTPConnection, context: AppContext) -> str:
        token = str(conn.path_params["status_token"])
        if await case_by_token(context, token) is None:
            raise Refused("没有这个办件 (no such case)")
        return token

    async def serve(self, context: AppContext, opened: Any, scope: Scope, receive: Receive, send: Send) -> None:
        token: str = opened
        lock = asyncio.Lock()

        async def push(message: dict[str, Any]) -> None:
            async with lock:
                await send({"type": "websocket.send", "text": orjson.dumps(message).decode()})

        async with context.bus.subscribe(case_channel(token)) as messages:
            await self._snapshot(context, token, push)  # after subscribing: no change falls in between
            forward = asyncio.create_task(self._forward(messages, push))
            try:
                while True:
                    message = await receive()
                    if message["type"] == "websocket.disconnect":
                        return
                    if not self._is_resync(message):
                        async with lock:
                            await send({"type": "websocket.close", "code": UNSUPPORTED,
                                        "reason": "只接受 resync (only resync is accepted)"})
                        return
                    await self._snapshot(context, token, push)
            finally:
                await cancel_and_wait(forward)

    @staticmethod
    async def _snapshot(context: AppContext, token: str, push: Any) -> None:
        case = await case_by_token(context, token)
        if case is not None:
            await push({"type": "snapshot", "case": case})

    @staticmethod
    async def _forward(messages: Subscription, push: Any) -> None:
        async for message in messages:
            if message.get("type") == "case.updated":
                with contextlib.suppress(Exception):
                    await push(message)

    @staticmethod
    def _is_resync(message: Mapping[str, Any]) -> bool:
        try:
            data = orjson.loads(message.get("text") or "")
        except orjson.JSONDecodeError:
            return False
        return isinstance(data, dict) and data.get("type") == "resync"
