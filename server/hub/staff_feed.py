"""How a staff page's own feed is served: a socket that follows one bus channel for one reader (a
department's workbench, a guide's card reader), not a hall's event stream: no ``seq``, nothing
replayed. First a fresh state, then what the channel brings, as the endpoint makes it; the client
may only send ``{"type": "resync"}`` for a fresh state again. Also what such endpoints share: who
is calling (``Who``) and a close reason that fits its frame (``reason``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.types import Receive, Send

from server.auth import Principal
from server.bus.base import Subscription
from server.context import AppContext
from server.sockets import UNSUPPORTED
from server.tasks import cancel_and_wait

Push = Callable[[dict[str, Any]], Awaitable[None]]
Who = Callable[[HTTPConnection, AppContext], Awaitable[Principal | None]]
CLOSE_REASON_BYTES = 123  # what a close frame can carry


def reason(text: str) -> str:
    """A close reason within the frame's 123 bytes, cut at a character."""
    while len(text.encode()) > CLOSE_REASON_BYTES:
        text = text[:-1]
    return text


async def follow(context: AppContext, channel: str, receive: Receive, send: Send,
                 fresh: Callable[[], Awaitable[dict[str, Any]]],
                 forward: Callable[[Subscription, Push], Coroutine[Any, Any, None]],
                 *more: Callable[[Push], Coroutine[Any, Any, None]]) -> None:
    """Serves the socket until the client goes: subscribes to ``channel``, pushes ``fresh()`` (after
    subscribing, so that nothing falls between), runs ``forward`` over the channel's messages and
    each of ``more`` (a periodic refresh …) while it reads the client: ``resync`` pushes ``fresh()``
    again, anything else closes the socket (1003). One push at a time: frames never interleave."""
    lock = asyncio.Lock()

    async def push(message: dict[str, Any]) -> None:
        async with lock:
            await send({"type": "websocket.send", "text": orjson.dumps(message).decode()})

    async with context.bus.subscribe(channel) as messages:
        await push(await fresh())
        tasks = [asyncio.create_task(forward(messages, push)), *(asyncio.create_task(task(push)) for task in more)]
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
                if not _is_resync(message):
                    async with lock:
                        await send({"type": "websocket.close", "code": UNSUPPORTED,
                                    "reason": "只接受 resync (only resync is accepted)"})
                    return
                await push(await fresh())
        finally:
            for task in tasks:
                await cancel_and_wait(task)


def _is_resync(message: Any) -> bool:
    try:
        data = orjson.loads(message.get("text") or "")
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("type") == "resync"
