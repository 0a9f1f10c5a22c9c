"""One contract, every backend: what a subscriber of the event bus may rely on, run on the
MemoryBus (embedded mode) and on the RedisBus against a real Redis. Then what only Redis has:
two processes sharing it, and Redis going away and coming back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.bus import MemoryBus, Subscription, open_bus
from server.bus.base import RESET
from server.bus.redis import RedisBus
from tests.servers import RedisProcess

WAIT_S = 5.0
QUIET_S = 0.3
PROBE = {"type": "probe"}
LAST_PROBE = {"type": "probe", "last": True}


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[MemoryBus | RedisBus]:
    bus = open_bus(url)
    assert isinstance(bus, MemoryBus | RedisBus)
    await bus.connect()
    try:
        yield bus
    finally:
        await disconnect_promptly(bus)


async def disconnect_promptly(bus: MemoryBus | RedisBus) -> None:
    """A server shutting down waits for this: it must return, and soon."""
    try:
        await asyncio.wait_for(bus.disconnect(), WAIT_S)
    except TimeoutError:
        raise AssertionError(f"{type(bus).__name__}.disconnect() had not returned after {WAIT_S} s") from None


def run(body: Coroutine[Any, Any, None]) -> None:
    asyncio.run(body)


async def take(sub: Subscription, count: int, within: float = WAIT_S) -> list[dict[str, Any]]:
    """Up to ``count`` messages: fewer if the rest do not come ``within`` seconds (then the
    caller's comparison shows which are missing)."""
    got: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + within
    with suppress(TimeoutError):
        while len(got) < count:
            got.append(await asyncio.wait_for(sub.get(), deadline - asyncio.get_running_loop().time()))
    return got


async def settle(publisher: MemoryBus | RedisBus, channel: str, *subs: Subscription) -> None:
    """Publish probes until every subscription has had one, then drain them all: from here on the
    backend delivers the channel to them. (A subscription is not always live the moment
    ``subscribe`` returns: test_a_process_subscribing_as_it_starts_gets_what_another_publishes_next.)"""
    waiting = set(range(len(subs)))
    for _ in range(int(WAIT_S / 0.05)):
        await publisher.publish(channel, PROBE)
        for index in list(waiting):
            with suppress(TimeoutError):
                assert await asyncio.wait_for(subs[index].get(), 0.05) == PROBE
                waiting.discard(index)
        if not waiting:
            break
    assert not waiting, f"the subscriptions {sorted(waiting)} never started delivering"
    await publisher.publish(channel, LAST_PROBE)
    for sub in subs:
        while await asyncio.wait_for(sub.get(), WAIT_S) != LAST_PROBE:
            pass


async def assert_quiet(sub: Subscription) -> None:
    try:
        message = await asyncio.wait_for(sub.get(), QUIET_S)
    except TimeoutError:
        return
    raise AssertionError(f"expected nothing, got {message}")


def event(seq: int) -> dict[str, Any]:
    """Shaped like a hall event, with what JSON must carry intact: text beyond ASCII, nesting,
    null, numbers and booleans."""
    return {"type": "ticket.issued", "seq": seq, "at": "2026-11-25T09:00:00+08:00",
            "ticket": {"number": f"A{seq:03d}", "queue": "A", "counter": None, "eta_s": seq * 1.5,
                       "ahead": seq, "note": "社会民生类", "urgent": seq % 2 == 0}}


# ------------------------------------------------------------------------------ every backend
def test_a_subscriber_gets_its_channels_messages_in_publish_order(bus_url: str, channel: str) -> None:
    async def body() -> None:
        async with connected(bus_url) as bus, bus.subscribe(channel) as sub:
            await settle(bus, channel, sub)
            sent = [event(n) for n in range(1, 501)]
            for message in sent:
                await bus.publish(channel, message)
            assert await take(sub, len(sent)) == sent
            await assert_quiet(sub)

    run(body())


def test_a_subscriber_gets_only_its_channel_and_only_while_subscribed(bus_url: str, channel: str) -> None:
    async def body() -> None:
        async with connected(bus_url) as bus:
            await bus.publish(channel, event(1))  # nobody listens: fine, and nothing keeps it
            async with bus.subscribe(channel) as sub, bus.subscribe(f"{channel}:x"):
                await settle(bus, channel, sub)
                await bus.publish(f"{channel}:other", event(2))
                await bus.publish(f"{channel}:x", event(3))
                await bus.publish(channel, event(4))
                assert await take(sub, 1) == [event(4)]
                await assert_quiet(sub)

    run(body())


def test_every_subscriber_of_a_channel_gets_every_message(bus_url: str, channel: str) -> None:
    async def body() -> None:
        async with connected(bus_url) as bus, bus.subscribe(channel) as a, bus.subscribe(channel) as b, \
                bus.subscribe(channel) as c:
            assert bus.subscriber_count(channel) == 3
            await settle(bus, channel, a, b, c)
            sent = [event(n) for n in range(1, 101)]
            for message in sent:
                await bus.publish(channel, message)
            for sub in (a, b, c):
                assert await take(sub, len(sent)) == sent

    run(body())


async def redis_subscribers(url: str, channel: str) -> int:
    """What Redis itself counts for the channel (PUBSUB NUMSUB), once it has settled."""
    client = aioredis.from_url(url)
    try:
        for _ in range(int(WAIT_S / 0.05)):
            [(_, count)] = await client.pubsub_numsub(channel)
            if count == 0:
                return 0
            await asyncio.sleep(0.05)
        return int(count)
    finally:
        await client.aclose()


@pytest.mark.parametrize("ending", ["normally", "by an error"])
def test_leaving_the_subscription_ends_delivery_and_registration(bus_url: str, channel: str,
                                                                  ending: str) -> None:
    async def body() -> None:
        async with connected(bus_url) as bus:
            with pytest.raises(RuntimeError) if ending == "by an error" else nullcontext():
                async with bus.subscribe(channel) as sub:
                    await settle(bus, channel, sub)
                    await bus.publish(channel, event(1))
                    assert await take(sub, 1) == [event(1)]
                    if ending == "by an error":
                        raise RuntimeError("the screen's handler failed")
            assert bus.subscriber_count(channel) == 0
            if isinstance(bus, RedisBus):
                assert await redis_subscribers(bus_url, channel) == 0
            await bus.publish(channel, event(2))
            await assert_quiet(sub)

    run(body())


def test_a_connected_bus_in_use_is_healthy(bus_url: str, channel: str) -> None:
    async def body() -> None:
        async with connected(bus_url) as bus, bus.subscribe(channel) as sub:
            await settle(bus, channel, sub)
            assert await bus.healthy() is True

    run(body())


def test_a_bus_disconnects_promptly_however_soon_after_connecting(bus_url: str) -> None:
    """A server stopped just after it started (or while its listener is busy) must still stop."""

    async def body() -> None:
        for attempt in range(10):
            bus = open_bus(bus_url)
            assert isinstance(bus, MemoryBus | RedisBus)
            await bus.connect()
            assert await bus.healthy() is True
            for _ in range(attempt % 3):
                await asyncio.sleep(0)
            await disconnect_promptly(bus)

    run(body())


# ------------------------------------------------------------------------------ Redis only
def test_a_message_published_in_one_process_reaches_a_subscriber_in_another(redis_url: str,
                                                                            channel: str) -> None:
    async def body() -> None:
        async with connected(redis_url) as one, connected(redis_url) as other, \
                other.subscribe(channel) as sub, one.subscribe(channel) as own:
            await settle(one, channel, sub, own)
            sent = [event(n) for n in range(1, 51)]
            for message in sent:
                await one.publish(channel, message)
            assert await take(sub, len(sent)) == sent
            assert await take(own, len(sent)) == sent  # the publisher's own subscribers too

    run(body())


def test_a_process_subscribing_as_it_starts_gets_what_another_publishes_next(redis_url: str,
                                                                             channel: str) -> None:
    """The body of ``async with bus.subscribe(...)`` is subscribed (Bus.subscribe's promise), even
    in a process whose bus has only just connected: a server that starts, subscribes and then
    reads the hall's state must not lose what another process publishes meanwhile."""

    async def body() -> None:
        async with connected(redis_url) as running:
            assert await running.healthy()  # its connection is up: it publishes at once
            async with connected(redis_url) as starting, starting.subscribe(channel) as sub:
                sent = [event(n) for n in range(1, 11)]
                for message in sent:
                    await running.publish(channel, message)
                assert await take(sub, len(sent), within=1.0) == sent

    run(body())


def test_after_redis_restarts_subscribers_are_told_to_resync_and_get_new_messages(tmp_path: Path,
                                                                                   channel: str) -> None:
    redis = RedisProcess(tmp_path).start()

    async def body() -> None:
        async with connected(redis.url) as bus, bus.subscribe(channel) as sub:
            await settle(bus, channel, sub)
            await bus.publish(channel, event(1))
            assert await take(sub, 1) == [event(1)]
            await asyncio.to_thread(redis.stop)
            await asyncio.to_thread(redis.start)  # the same port: the bus finds it again
            assert await asyncio.wait_for(sub.get(), 15) == RESET
            while await _still_resetting(sub):
                pass
            sent = [event(n) for n in range(2, 12)]
            for message in sent:
                await bus.publish(channel, message)
            assert await take(sub, len(sent)) == sent

    try:
        run(body())
    finally:
        redis.stop()


async def _still_resetting(sub: Subscription) -> bool:
    """True while another RESET is waiting (a reconnect may be reported more than once)."""
    try:
        message = await asyncio.wait_for(sub.get(), QUIET_S)
    except TimeoutError:
        return False
    assert message == RESET, f"only RESET may come before anything is published again, not {message}"
    return True
