"""Redis away: every publish fails fast with BusUnavailable (the HTTP edge answers 503), and the
log says so once when Redis goes and once when it is back, never once per event (issue 14)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from server.bus import BusUnavailable
from server.bus.redis import RedisBus
from tests.servers import RedisProcess


def test_an_outage_of_redis_is_one_warning_and_one_line_when_it_is_back(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    redis = RedisProcess(tmp_path).start()

    async def body() -> None:
        bus = RedisBus(redis.url)
        await bus.connect()
        try:
            async with bus.subscribe("hall:outage") as sub:
                await bus.publish("hall:outage", {"type": "probe", "n": 0})
                assert (await asyncio.wait_for(sub.get(), 5))["n"] == 0
                await asyncio.to_thread(redis.stop)
                refused = 0
                for n in range(1, 200):
                    try:
                        await bus.publish("hall:outage", {"type": "probe", "n": n})
                    except BusUnavailable:
                        refused += 1
                assert refused >= 198  # one may still go into a socket Redis closed
                assert not await bus.healthy()
                await asyncio.to_thread(redis.start)
                for _ in range(150):  # the listener reconnects with backoff (at most 5 s apart)
                    if not bus.outage.failing:
                        break
                    await asyncio.sleep(0.1)
                await bus.publish("hall:outage", {"type": "probe", "n": 999})
        finally:
            await bus.disconnect()

    try:
        with caplog.at_level(logging.INFO, logger="onewindow.bus"):
            asyncio.run(body())
    finally:
        redis.stop()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("event bus (Redis) unavailable") and warnings[1].startswith("event bus (Redis) back")
