"""In-process bus for embedded mode (no REDIS_URL): one process is the whole hall."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .base import LocalSubscribers, Message, QueueSubscription


class MemoryBus:
    def __init__(self) -> None:
        self._local = LocalSubscribers()

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._local.clear()

    async def publish(self, channel: str, message: Message) -> None:
        self._local.deliver(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[QueueSubscription]:
        sub, _ = self._local.add(channel)
        try:
            yield sub
        finally:
            self._local.remove(channel, sub)

    def subscriber_count(self, channel: str) -> int:
        return self._local.count(channel)

    async def healthy(self) -> bool:
        return True
