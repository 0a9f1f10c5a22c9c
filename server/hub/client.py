"""One connected screen or phone, and the lean send path every broadcast goes through.

A broadcast serialises its event once and hands the same ASGI message to every client. The
client calls the server's ``send`` coroutine *inline*: while the socket is writable, uvicorn's
send completes without ever suspending, so one event reaches thousands of sockets in one pass
of one task, with no task, queue or wake-up per client. Only a client whose socket is backed
up suspends; its send is finished by a task of its own, later messages wait in a bounded
backlog, and a client that overflows it is dropped to a fresh snapshot (``on_overflow``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

log = logging.getLogger("onewindow.hub")

Frame = MutableMapping[str, Any]  # an ASGI "websocket.send" message, shared by every client
Send = Callable[[Frame], Awaitable[None]]
BACKLOG_LIMIT = 256


def frame(text: str) -> Frame:
    return {"type": "websocket.send", "text": text}


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

    __slots__ = ("send", "seq", "pending", "backlog", "limit", "busy", "closed", "overflowed", "on_overflow",
                 "feed", "params")

    def __init__(self, send: Send, feed: Any, params: dict[str, Any] | None = None,
                 limit: int = BACKLOG_LIMIT) -> None:
        self.send = send
        self.feed = feed
        self.params = params or {}
        self.seq = 0
        self.pending: list[tuple[int, Frame]] | None = []
        self.backlog: deque[Frame] = deque()
        self.limit = limit
        self.busy: asyncio.Task[None] | None = None
        self.closed = False
        self.overflowed = False
        self.on_overflow: Callable[[Client], None] | None = None

    def offer(self, seq: int, message: Frame) -> None:
        """A hall event in seq order: sent now, parked while catching up, or skipped if already had."""
        if seq <= self.seq:
            return
        if self.pending is not None:
            self.pending.append((seq, message))
            return
        self.seq = seq
        self.push(message)

    def go_live(self, seq: int) -> None:
        """The snapshot or replay up to ``seq`` has been pushed: send what arrived meanwhile."""
        self.seq = max(self.seq, seq)
        parked, self.pending = self.pending or [], None
        for event_seq, message in parked:
            self.offer(event_seq, message)

    def push(self, message: Frame) -> None:
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
                self.backlog.append(message)
            return
        coro = self.send(message)
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
