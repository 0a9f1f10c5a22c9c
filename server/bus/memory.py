"""In-process bus for embedded mode: one asyncio.Queue per subscriber."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .base import Message


class QueueSubscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue()

    async def get(self) -> Message:
        return await self.queue.get()

    async def __aiter__(self) -> AsyncIterator[Message]:
        while True:
            yield await self.queue.get()


class MemoryBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[QueueSubscription]] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, message: Message) -> None:
        for sub in self._subscribers.get(channel, ()):
            sub.queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[QueueSubscription]:
        sub = QueueSubscription()
        self._subscribers.setdefault(channel, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[channel]

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))

    async def healthy(self) -> bool:
        return True
