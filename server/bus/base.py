"""The bus interface every backend implements, and the local fan-out they share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Message = dict[str, Any]

# Delivered to every subscription when the backend may have lost messages (the Redis connection
# dropped and came back): whoever keeps state from the channel must resynchronise from the log.
RESET: Message = {"type": "bus.reset"}


class BusUnavailable(Exception):
    """The bus could not take a message (Redis is away). The backend logs the outage once; the
    HTTP edge answers 503 with Retry-After; events are safe in the log either way."""


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def get(self) -> Message:
        """The next message on the channel, in publish order."""
        ...

    def drain(self) -> list[Message]:
        """Every message already waiting, without waiting for more."""
        ...


class Bus(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, message: Message) -> None:
        """Deliver ``message`` to every current subscriber of ``channel``, in any process."""
        ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Subscribe for the body of the ``async with``; unsubscribes on exit, even on error."""
        ...

    async def healthy(self) -> bool: ...


class QueueSubscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue()

    async def get(self) -> Message:
        return await self.queue.get()

    def drain(self) -> list[Message]:
        out = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out

    async def __aiter__(self) -> AsyncIterator[Message]:
        while True:
            yield await self.queue.get()


class LocalSubscribers:
    """This process's subscriptions by channel. Both backends deliver through it, so however many
    screens a process serves, the backend sees one subscriber per channel."""

    def __init__(self) -> None:
        self._by_channel: dict[str, set[QueueSubscription]] = {}

    def add(self, channel: str) -> tuple[QueueSubscription, bool]:
        """A new subscription, and whether it is the channel's first in this process."""
        sub = QueueSubscription()
        subs = self._by_channel.setdefault(channel, set())
        subs.add(sub)
        return sub, len(subs) == 1

    def remove(self, channel: str, sub: QueueSubscription) -> bool:
        """Drop ``sub``; True when it was the channel's last."""
        subs = self._by_channel.get(channel)
        if subs is None:
            return False
        subs.discard(sub)
        if subs:
            return False
        del self._by_channel[channel]
        return True

    def deliver(self, channel: str, message: Message) -> None:
        for sub in self._by_channel.get(channel, ()):
            sub.queue.put_nowait(message)

    def deliver_everywhere(self, message: Message) -> None:
        for subs in self._by_channel.values():
            for sub in subs:
                sub.queue.put_nowait(message)

    def channels(self) -> list[str]:
        return list(self._by_channel)

    def count(self, channel: str) -> int:
        return len(self._by_channel.get(channel, ()))

    def clear(self) -> None:
        self._by_channel.clear()
