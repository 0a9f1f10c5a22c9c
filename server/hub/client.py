"""One connected screen or phone, and the lean send path every broadcast goes through.

A broadcast serialises each event once, and frames it once: a server's WebSocket frames are not
masked, so the same bytes go to every client. Under uvicorn (its websockets-sansio protocol) a
client writes them straight to its socket's transport: one ``write`` per client per batch of
events, no coroutine, no task, no re-framing. Elsewhere (another ASGI server, the test client)
the client calls the ASGI ``send`` coroutine *inline*; while the socket is writable that
completes without suspending, so one task still reaches every client in one pass.

Only a client whose socket is backed up takes the slow road: its send is finished by a task of
its own, later messages wait in a bounded backlog, and a client that overflows it is dropped to
a fresh snapshot (``on_overflow``). Direct writes never jump that queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

log = logging.getLogger("onewindow.hub")

Message = MutableMapping[str, Any]  # an ASGI "websocket.send" message
Send = Callable[[Message], Awaitable[None]]
BACKLOG_LIMIT = 256


@dataclass(frozen=True, slots=True)
class Out:
    """One outgoing message, built once for every client: as ASGI message and as wire frame."""

    seq: int
    message: Message
    wire: bytes
    ticket_id: str | None = None
    foldable: bool = False  # a ticket.issued: a display that asked for counts gets it folded into one


class Sends:
    """How this process's clients sent: ``direct`` writes to uvicorn's transport (one or more
    frames each) and ``asgi`` sends through the ASGI coroutine. Under uvicorn a healthy hub sends
    almost everything directly; /healthz shows both, and tests/live/test_fast_path.py fails when
    ``direct`` stays at zero (a uvicorn upgrade would otherwise turn the fast path off unnoticed)."""

    __slots__ = ("direct", "asgi")

    def __init__(self) -> None:
        self.direct = 0
        self.asgi = 0

    def as_dict(self) -> dict[str, int]:
        return {"direct": self.direct, "asgi": self.asgi}


def text_frame(text: str) -> bytes:
    payload = text.encode()
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


def outgoing(text: str, seq: int = 0, ticket_id: str | None = None, foldable: bool = False) -> Out:
    return Out(seq, {"type": "websocket.send", "text": text}, text_frame(text), ticket_id, foldable)


def dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def hall_event(message: dict[str, Any]) -> Out:
    """A hall event as every feed sends it, serialised once for all of them."""
    ticket = message.get("ticket")
    return outgoing(dumps(message), message["seq"], ticket.get("id") if isinstance(ticket, dict) else None,
                    message.get("type") == "ticket.issued")


class DirectWriter:
    """Writes whole frames to uvicorn's transport while the connection is open and writable.
    Anything else (closing, paused by flow control) makes ``write`` refuse, and the caller takes
    the ASGI path, which handles those states itself."""

    __slots__ = ("proto", "conn", "open_state")

    def __init__(self, proto: Any, open_state: Any) -> None:
        self.proto = proto
        self.conn = proto.conn
        self.open_state = open_state

    @classmethod
    def for_send(cls, send: Send) -> DirectWriter | None:
        proto = getattr(send, "__self__", None)
        conn = getattr(proto, "conn", None)
        if type(proto).__name__ != "WebSocketsSansIOProtocol" or conn is None:
            return None
        if conn.extensions:  # negotiated once, at the handshake: compressed frames are not ours to write
            return None
        from websockets.protocol import State

        return cls(proto, State.OPEN)

    def write(self, data: bytes) -> bool:
        proto = self.proto
        if (proto.close_sent or self.conn.state is not self.open_state or not proto.writable.is_set()
                or proto.transport.is_closing()):
            return False
        proto.transport.write(data)
        return True


async def _finish(coro: Coroutine[Any, Any, Any], suspended_on: Any) -> None:
    """Drive to its end a coroutine whose first step ran inline and suspended on ``suspended_on``
    (what an asyncio Task would do had it started it; Python 3.12's eager tasks do the same)."""
    try:
        while True:
            if suspended_on is None:  # a bare yield, as in asyncio.sleep(0)
                await asyncio.sleep(0)
            else:
                suspended_on._asyncio_future_blocking = False
                await asyncio.wait([suspended_on])
            try:
                suspended_on = coro.send(None)
            except StopIteration:
                return
    finally:
        coro.close()


class Client:
    """``seq`` is the last hall event this client has been given; it never receives one twice.
    While ``pending`` is a list the client is catching up (snapshot or replay under way) and
    live events wait there instead of being sent."""

    __slots__ = ("send", "direct", "seq", "pending", "backlog", "limit", "busy", "closed", "overflowed",
                 "on_overflow", "feed", "params", "sends")

    def __init__(self, send: Send, feed: Any, params: dict[str, Any] | None = None,
                 limit: int = BACKLOG_LIMIT) -> None:
        self.send = send
        self.direct = DirectWriter.for_send(send)
        self.feed = feed
        self.params = params or {}
        self.seq = 0
        self.pending: list[Out] | None = []
        self.backlog: deque[Message] = deque()
        self.limit = limit
        self.busy: asyncio.Task[None] | None = None
        self.closed = False
        self.overflowed = False
        self.on_overflow: Callable[[Client], None] | None = None
        self.sends = Sends()  # the hub's own, once the client joins

    def offer(self, out: Out) -> None:
        """A hall event in seq order: sent now, parked while catching up, or skipped if already had."""
        if out.seq <= self.seq:
            return
        if self.pending is not None:
            self.pending.append(out)
            return
        self.seq = out.seq
        self.push(out)

    def offer_run(self, run: Sequence[Out], wire: bytes) -> None:
        """Consecutive events and their frames joined once for everyone: one write for the lot."""
        if run[-1].seq <= self.seq:
            return
        if self.pending is None and run[0].seq > self.seq and self.busy is None and not self.closed \
                and self.direct is not None and self.direct.write(wire):
            self.seq = run[-1].seq
            self.sends.direct += 1
            return
        for out in run:
            self.offer(out)

    def go_live(self, seq: int) -> None:
        """The snapshot or replay up to ``seq`` has been pushed: send what arrived meanwhile."""
        self.seq = max(self.seq, seq)
        parked, self.pending = self.pending or [], None
        for out in parked:
            self.offer(out)

    def push(self, out: Out) -> None:
        """Send without waiting; never raises. Order is kept."""
        if self.closed:
            return
        if self.busy is not None:
            if self.overflowed:
                return  # dropped: a fresh snapshot follows once the socket drains
            if len(self.backlog) >= self.limit:
                self.backlog.clear()
                self.overflowed = True
                log.info("a slow client fell %d messages behind; it gets a fresh snapshot", self.limit)
            else:
                self.backlog.append(out.message)
            return
        if self.direct is not None and self.direct.write(out.wire):
            self.sends.direct += 1
            return
        self.sends.asgi += 1
        coro = self.send(out.message)
        try:
            suspended_on = coro.send(None)  # type: ignore[attr-defined]
        except StopIteration:
            return
        except Exception:
            self.closed = True  # the peer went away; its receive loop detaches it
            return
        self.busy = asyncio.ensure_future(self._drain(coro, suspended_on))

    async def _drain(self, coro: Any, suspended_on: Any) -> None:
        try:
            await _finish(coro, suspended_on)
            while self.backlog or self.overflowed:
                if self.overflowed:
                    self.overflowed = False
                    if self.on_overflow is not None:
                        self.on_overflow(self)  # back to catching up; the snapshot comes through push()
                    continue
                self.sends.asgi += 1
                await self.send(self.backlog.popleft())
        except Exception:
            self.closed = True
        finally:
            self.busy = None

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self.busy is not None:
            self.busy.cancel()
        with contextlib.suppress(Exception):
            await self.send({"type": "websocket.close", "code": code, "reason": reason})
