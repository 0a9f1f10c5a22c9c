"""The HTTP protocol `onewindow serve` runs uvicorn with: uvicorn's own (httptools), plus the guards
it lacks (security issue, point 5).

uvicorn closes a keep-alive connection idle between requests (``timeout_keep_alive``, set from
``ONEWINDOW_KEEP_ALIVE_S``), but has no limit on the time a request's head may take, none on its
size with httptools (``h11_max_incomplete_event_size`` is h11's alone; httptools keeps a 10 MB
header), and ``limit_concurrency`` only answers once a head has arrived. So a client that opens
connections and sends half a request each held them for ever. This protocol:

- closes a connection whose request head (request line and headers) is not whole within
  ``ONEWINDOW_HEADER_TIMEOUT_S`` (10 s) of the connection, or of the first byte of a keep-alive
  connection's next request;
- answers 408 and closes when a body is not whole within ``ONEWINDOW_BODY_TIMEOUT_S`` (60 s) of its
  head (unless the app has not asked for it: flow control paused the reading);
- answers 431 and closes once a head outgrows ``ONEWINDOW_MAX_HEADER_BYTES`` (64 KiB);
- answers 503 and closes a new connection while ``ONEWINDOW_MAX_CONNECTIONS`` (4,096) are open in
  this process, WebSockets included.

Bodies are the app's business (server/limits.py). The hooks are the parser's callbacks
(``on_message_begin``, ``on_headers_complete``) and the asyncio protocol's; uvicorn's ``auto``
HTTP protocol is this same httptools one when httptools is installed, as uvicorn[standard] has it.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from server.settings import Limits, load_limits

RETRY_AFTER_S = 5


@functools.cache
def process_limits() -> Limits:
    """Read once per process: each worker reads the environment `onewindow serve` was given."""
    return load_limits()


def refusal(status: int, reason: str, code: str, message: str, retry_after: int | None = None) -> bytes:
    """A whole HTTP/1.1 response in the CONTRACT error shape that closes the connection."""
    body = orjson.dumps({"error": {"code": code, "message": message}})
    head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(body)}",
            "connection: close"]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = process_limits()
        self.timer: asyncio.TimerHandle | None = None  # the head's, then the body's
        self.head_pending = False  # from a request's first byte (or the connection) to its last header
        self.body_pending = False  # from its last header to the end of its body
        self.head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(refusal(503, "Service Unavailable", "too_many_connections",
                                 "服务器连接已满，请稍后重试 (too many connections; retry)", RETRY_AFTER_S))
            return
        self._await_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self.head_pending:  # a keep-alive connection's next request: its head has the same time
            self._await_head()

    def on_headers_complete(self) -> None:
        self.head_pending = False
        self._stop_timer()
        super().on_headers_complete()
        self.body_pending = True

    def on_message_complete(self) -> None:
        self.body_pending = False
        self._stop_timer()
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return  # refused, or now a WebSocket
        if self.head_pending:
            self.head_bytes += len(data)
            if self.head_bytes > self.limits.max_header_bytes:
                self._refuse(refusal(431, "Request Header Fields Too Large", "header_too_large",
                                     f"请求头不能超过 {self.limits.max_header_bytes:,} 字节 (the request's "
                                     f"head may be at most {self.limits.max_header_bytes:,} bytes)"))
        elif self.body_pending and self.timer is None:  # a body still on its way: the usual small one never is
            self.timer = self.loop.call_later(self.limits.body_timeout_s, self._body_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self.head_pending, self.head_bytes = True, 0
        self._stop_timer()
        self.timer = self.loop.call_later(self.limits.header_timeout_s, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self.timer = None
        if self.head_pending and not self.transport.is_closing():
            self.transport.close()  # as a keep-alive timeout does: nothing was asked, nothing is answered

    def _body_timed_out(self) -> None:
        self.timer = None
        if not self.body_pending or self.transport.is_closing():
            return
        if self.flow.read_paused:  # the app has not asked for more yet: its pace, not the client's
            self.timer = self.loop.call_later(self.limits.body_timeout_s, self._body_timed_out)
            return
        seconds = f"{self.limits.body_timeout_s:g}"
        self._refuse(refusal(408, "Request Timeout", "request_timeout", f"请求体未在 {seconds} 秒内发送完 "
                                                                       f"(the body did not arrive within {seconds} s)"))

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _refuse(self, response: bytes) -> None:
        self.head_pending = self.body_pending = False
        self._stop_timer()
        self.transport.write(response)
        self.transport.close()
