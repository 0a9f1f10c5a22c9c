"""The outermost middleware: what a request may make the process hold, checked before anything
else reads it (security issue, points 5 and 7).

- A body longer than the limit (``ONEWINDOW_MAX_BODY_BYTES``, 1 MiB; a route may declare more,
  server/api/declare.py) is a 413 in the CONTRACT shape: at once when its Content-Length says so,
  or as soon as a chunked body's chunks add up to more. uvicorn keeps at most 64 KiB of a body
  that the app has not asked for, so nothing bigger is ever held.
- An address with a NUL character (``/tickets/a%00b``, ``?q=%00``) is a 400: PostgreSQL refuses
  NUL in text, so it would otherwise be a 5xx wherever the value reaches a query.

A request with a Content-Length within the limit passes untouched: HTTP/1.1 framing already stops
its body there, so the ticket path pays one look at the headers and nothing per message.
The connections themselves (the time a head may take, its size, how many at once) are guarded in
server/serving.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = 1008  # the close code of every refused socket (server/sockets.py)
RouteLimit = tuple[str, re.Pattern[str], int]  # method, path pattern, largest body in bytes


class BodyTooLarge(Exception):
    """A chunked body grew past its limit; server/api/errors.py answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


def too_large_message(limit: int) -> str:
    return f"请求体不能超过 {limit:,} 字节 (the request body may be at most {limit:,} bytes)"


NUL_MESSAGE = "地址中不能有空字符 (the address must not contain a NUL character)"


class RequestLimits:
    def __init__(self, app: ASGIApp, max_body: int, routes: Sequence[RouteLimit] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
                await _answer(send, 400, "invalid_address", NUL_MESSAGE)
                return
            limit = self.limit_for(scope["method"], scope["path"])
            length, counted = _framing(scope["headers"])
            if length is not None and length > limit:
                await _answer(send, 413, "body_too_large", too_large_message(limit))
                return
            if counted:
                receive = _counted(receive, limit)
        elif scope["type"] == "websocket" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            await _refuse_socket(receive, send)
            return
        await self.app(scope, receive, send)

    def limit_for(self, method: str, path: str) -> int:
        for route_method, pattern, limit in self.routes:
            if method == route_method and pattern.match(path):
                return limit
        return self.max_body


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The Content-Length if it is plain digits, and whether the body must be counted as it arrives
    (chunked, or a Content-Length that is not plain digits), in one look at the headers."""
    length: int | None = None
    counted = False
    for name, value in headers:
        if name == b"content-length":
            if value.isdigit() and len(value) <= 18:
                length = int(value)
            else:
                counted = True
        elif name == b"transfer-encoding":
            counted = True
    return length, counted


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive``, raising BodyTooLarge once the body's chunks add up to more than ``limit``."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    """The CONTRACT error shape, and the connection closed: the rest of the request is not read."""
    body = orjson.dumps({"error": {"code": code, "message": message}})
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def _refuse_socket(receive: Receive, send: Send) -> None:
    """As every feed refuses (server/sockets.py): after the handshake, a close frame with a reason."""
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": POLICY, "reason": NUL_MESSAGE})
