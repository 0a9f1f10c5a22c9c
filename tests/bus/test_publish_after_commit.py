"""The hall engine publishes to the bus only what it has committed: a batch rolled back by a
failing command puts nothing on the bus, and what does go out has gapless seq, each event
already in the log when a subscriber sees it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from server.bus import MemoryBus
from server.channels import hall_channel
from server.domain.clock import FakeClock
from server.domain.hall import Hall
from server.domain.model import Event
from server.engine import Command, HallEngine
from server.store import repo
from tests.store.test_engine import make_engine


def issue(queue: str) -> Command:
    return lambda hall, now: hall.issue(queue, now, f"token-{queue}-{hall.seq}")


def buggy(hall: Hall, now: datetime) -> list[Event]:
    """A command with a bug: it issues a ticket, then fails with no domain error."""
    hall.issue("A", now, "half-issued")
    raise RuntimeError("a bug after the first event")


async def watch(engine: HallEngine, bus: MemoryBus, seen: list[tuple[dict[str, Any], Any]],
                subscribed: asyncio.Event) -> None:
    """Each message as it arrives, with what the event log holds for its seq at that moment."""
    async with bus.subscribe(hall_channel("jinan")) as sub:
        subscribed.set()
        while True:
            message = await sub.get()
            with engine.db.reader.connect() as conn:
                rows = repo.events_since(conn, "jinan", message["seq"] - 1, limit=1)
            logged = rows[0].public if rows and rows[0].seq == message["seq"] else None
            seen.append((message, logged))


def test_a_rolled_back_batch_publishes_nothing_and_the_rest_are_gapless(sqlite_url: str,
                                                                        clock: FakeClock) -> None:
    async def scenario() -> None:
        bus = MemoryBus()
        engine = make_engine(sqlite_url, clock, bus)
        seen: list[tuple[dict[str, Any], Any]] = []
        subscribed = asyncio.Event()
        watcher = asyncio.create_task(watch(engine, bus, seen, subscribed))
        await subscribed.wait()
        # One batch: the bug in the middle rolls back the whole batch, which is then redone
        # without it.
        results = await asyncio.gather(engine.run("jinan", issue("B")), engine.run("jinan", buggy),
                                       engine.run("jinan", issue("B")), return_exceptions=True)
        assert isinstance(results[1], RuntimeError)
        await engine.run("jinan", issue("C"))
        await asyncio.sleep(0.3)  # anything else the engine was going to publish has gone out
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

        messages = [message for message, _ in seen]
        assert [(m["seq"], m["type"], m["ticket"]["number"]) for m in messages] == [
            (1, "ticket.issued", "B001"), (2, "ticket.issued", "B002"), (3, "ticket.issued", "C001")]
        assert all(logged == message for message, logged in seen), "published before it was in the log"
        assert not any(m["ticket"]["queue"] == "A" for m in messages)  # the rolled-back ticket never shows
        await engine.close()
        engine.db.dispose()

    asyncio.run(scenario())
