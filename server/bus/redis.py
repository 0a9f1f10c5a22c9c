"""Redis pub/sub bus: several server processes act as one hall.

One Redis connection per process listens; messages fan out to local subscribers through the
same per-subscriber queues as the memory bus, so Redis sees one subscription per channel per
process however many screens are connected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import redis.asyncio as aioredis

from .base import Message
from .memory import QueueSubscription

log = logging.getLogger("onewindow.bus")


class RedisBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribers: dict[str, set[QueueSubscription]] = {}

    async def connect(self) -> None:
        self._redis = aioredis.from_url(self.url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._reader = asyncio.create_task(self._read(), name="redis-bus")

    async def disconnect(self) -> None:
        if self._reader:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._redis is not None:
            await self._redis.aclose()

    async def _read(self) -> None:
        while True:
            if not self._subscribers:
                await asyncio.sleep(0.05)
                continue
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis bus: connection lost, resubscribing", exc_info=True)
                await asyncio.sleep(0.5)
                await self._resubscribe()
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()
            try:
                data = orjson.loads(message["data"])
            except orjson.JSONDecodeError:
                log.warning("redis bus: dropped a message that is not JSON on %s", channel)
                continue
            for sub in self._subscribers.get(channel, ()):
                sub.queue.put_nowait(data)

    async def _resubscribe(self) -> None:
        try:
            if self._subscribers:
                await self._pubsub.subscribe(*self._subscribers)
        except Exception:
            log.warning("redis bus: resubscribe failed; will retry", exc_info=True)

    async def publish(self, channel: str, message: Message) -> None:
        await self._redis.publish(channel, orjson.dumps(message))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[QueueSubscription]:
        sub = QueueSubscription()
        first = channel not in self._subscribers
        self._subscribers.setdefault(channel, set()).add(sub)
        try:
            if first:
                await self._pubsub.subscribe(channel)
            yield sub
        finally:
            subs = self._subscribers.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[channel]
                    try:
                        await self._pubsub.unsubscribe(channel)
                    except Exception:
                        log.warning("redis bus: unsubscribe from %s failed", channel, exc_info=True)

    async def healthy(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False
