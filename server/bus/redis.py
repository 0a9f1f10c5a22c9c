"""Redis pub/sub bus: several server processes act as one hall.

One Redis connection per process listens; messages fan out to this process's subscribers
through the same local queues as the memory bus, so Redis sees one subscription per channel per
process however many screens are connected.

Redis keeps nothing for a subscriber that was away, so whenever the listening connection is
re-established (by us after an error, or silently by redis-py) every local subscriber gets
``RESET`` and resynchronises from the event log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from types import MethodType
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from server import metrics
from server.outage import Outage, describe
from server.tasks import cancel_and_wait

from .base import RESET, BusUnavailable, LocalSubscribers, Message, QueueSubscription

log = logging.getLogger("onewindow.bus")
BACKOFF_S = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
CONNECT_WAIT_S = 2.0


class RedisBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._local = LocalSubscribers()
        self._wanted = asyncio.Event()  # set while some channel has a local subscriber
        self._listening = asyncio.Event()  # set while the listening connection is subscribed
        self._confirmations: dict[str, asyncio.Event] = {}  # channels whose SUBSCRIBE Redis has not yet confirmed
        # Publishers and the listener report to one outage: one warning when Redis goes, one when
        # it is back, however many events fail in between.
        self.outage = Outage("event bus (Redis)", log)

    async def connect(self) -> None:
        # No silent retries: a publish fails fast while Redis is away (the log covers it) and the
        # listener notices a dropped connection itself, so that it can tell subscribers.
        self._redis = aioredis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5, socket_keepalive=True,
                                        retry=Retry(NoBackoff(), 1))  # one retry: a pooled connection may be stale
        self._reader = asyncio.create_task(self._listen(), name="redis-bus")
        # Subscribing before the listener is up would register locally only: wait for it (a while).
        with suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), CONNECT_WAIT_S)

    async def disconnect(self) -> None:
        await cancel_and_wait(self._reader)
        await self._close_pubsub()
        if self._redis is not None:
            await self._redis.aclose()
        self._local.clear()

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with suppress(Exception):
                await pubsub.aclose()

    async def _open_pubsub(self) -> None:
        pubsub = self._redis.pubsub()
        original = pubsub.on_connect

        async def on_reconnect(_pubsub: Any, connection: Any) -> None:
            # redis-py calls this only when it re-establishes a dropped connection by itself.
            await original(connection)
            log.warning("redis bus: connection re-established; subscribers resynchronise")
            self._local.deliver_everywhere(RESET)

        pubsub.on_connect = MethodType(on_reconnect, pubsub)  # redis-py keeps a WeakMethod of it
        await pubsub.ping()  # fail here, not on the first subscribe, while Redis is away
        done: set[str] = set()
        while missing := set(self._local.channels()) - done:  # channels may be added while we await
            await pubsub.subscribe(*missing)
            done |= missing
        self._pubsub = pubsub
        self._listening.set()

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                await self._open_pubsub()
                if failures:
                    metrics.BUS_RECONNECTS.inc()
                    self.outage.ok()
                    log.info("redis bus: reconnected after %d attempts; subscribers resynchronise", failures)
                    self._local.deliver_everywhere(RESET)
                failures = 0
                while True:
                    if not self._local.channels():
                        self._wanted.clear()
                        await self._wanted.wait()
                    message = await self._pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message.get("type") == "message":
                        self._deliver(message)
                    elif message.get("type") == "subscribe":
                        confirmed = self._confirmations.pop(message["channel"].decode(), None)
                        if confirmed is not None:
                            confirmed.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                self.outage.failed(exc)
                self._listening.clear()
                await self._close_pubsub()
                await asyncio.sleep(delay)

    def _deliver(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        try:
            data = orjson.loads(message["data"])
        except orjson.JSONDecodeError:
            log.warning("redis bus: dropped a message that is not JSON on %s", channel)
            return
        if isinstance(data, dict):
            metrics.bus_lag(data, datetime.now(UTC))  # a hall event: how long after it happened
            self._local.deliver(channel, data)

    async def publish(self, channel: str, message: Message) -> None:
        try:
            await self._redis.publish(channel, orjson.dumps(message))
        except (RedisError, OSError) as exc:
            self.outage.failed(exc)
            raise BusUnavailable(describe(exc)) from None
        if self.outage.failing and self._listening.is_set():
            self.outage.ok()

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[QueueSubscription]:
        sub, first = self._local.add(channel)
        self._wanted.set()
        try:
            if first and self._pubsub is not None:
                # Return once Redis has the subscription: a message published after that is ours.
                confirmed = self._confirmations.setdefault(channel, asyncio.Event())
                try:
                    await self._pubsub.subscribe(channel)
                    await asyncio.wait_for(confirmed.wait(), CONNECT_WAIT_S)
                except Exception as exc:  # the listener resubscribes every channel when Redis is back
                    self.outage.failed(exc)
            yield sub
        finally:
            if self._local.remove(channel, sub) and self._pubsub is not None:
                with suppress(Exception):
                    await self._pubsub.unsubscribe(channel)

    def subscriber_count(self, channel: str) -> int:
        return self._local.count(channel)

    async def healthy(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False
