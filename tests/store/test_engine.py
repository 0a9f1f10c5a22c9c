"""The durable command runner, on each backend: batches, failures and publishing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import select

from server.bus import MemoryBus
from server.channels import hall_channel
from server.demo import load_demo
from server.domain.clock import FakeClock
from server.domain.errors import UnknownQueue
from server.domain.hall import Hall
from server.domain.model import Event
from server.engine import HallEngine
from server.store import tables as t
from server.store.db import open_database
from server.store.migrate import migrate


def make_engine(url: str, clock: FakeClock, bus: MemoryBus) -> HallEngine:
    db = open_database(url, "NORMAL")
    migrate(db)
    with db.writer.begin() as conn:
        load_demo(conn)
    return HallEngine(db, bus, clock)


def issue(queue: str) -> Callable[[Hall, datetime], list[Event]]:
    return lambda hall, now: hall.issue(queue, now, f"tok-{queue}-{hall.seq}")


def issued_number(result: list[Event] | BaseException) -> str:
    """The number of the ticket an ``issue`` command run by ``gather(..., return_exceptions=True)`` issued."""
    assert isinstance(result, list), result
    ticket = result[-1].ticket
    assert ticket is not None
    return ticket.number


def test_a_batch_commits_together_refuses_alone_and_publishes_after_commit(database_url: str,
                                                                          clock: FakeClock) -> None:
    async def scenario() -> None:
        bus = MemoryBus()
        engine = make_engine(database_url, clock, bus)
        async with bus.subscribe(hall_channel("jinan")) as sub:
            results = await asyncio.gather(engine.run("jinan", issue("A")), engine.run("jinan", issue("Q")),
                                           engine.run("jinan", issue("A")), return_exceptions=True)
            assert isinstance(results[1], UnknownQueue)
            numbers = [issued_number(r) for r in (results[0], results[2])]
            assert numbers == ["A001", "A002"]
            published = [await sub.get(), await sub.get()]
            assert [m["seq"] for m in published] == [1, 2]
            assert "status_token" not in published[0]["ticket"]
        with engine.db.reader.connect() as conn:
            assert list(conn.scalars(select(t.events.c.seq).order_by(t.events.c.seq))) == [1, 2]
        await engine.close()
        engine.db.dispose()

    asyncio.run(scenario())


def test_a_command_that_fails_half_way_leaves_no_gap_in_seq(database_url: str, clock: FakeClock) -> None:
    def buggy(hall: Hall, now: datetime) -> list[Event]:
        hall.issue("A", now, "half")
        raise RuntimeError("a bug after the first event")

    async def scenario() -> None:
        engine = make_engine(database_url, clock, MemoryBus())
        results = await asyncio.gather(engine.run("jinan", issue("B")), engine.run("jinan", buggy),
                                       engine.run("jinan", issue("B")), return_exceptions=True)
        assert isinstance(results[1], RuntimeError)
        assert [issued_number(r) for r in (results[0], results[2])] == ["B001", "B002"]
        with engine.db.reader.connect() as conn:
            assert list(conn.scalars(select(t.events.c.seq).order_by(t.events.c.seq))) == [1, 2]
            assert conn.scalar(select(t.halls.c.seq)) == 2
        hall = await engine.hall("jinan")
        assert hall.seq == 2 and hall.ticket_by_token("half") is None
        await engine.close()
        engine.db.dispose()

    asyncio.run(scenario())


def test_a_write_riding_along_lands_with_the_batch_and_its_failure_costs_the_tickets_nothing(
        database_url: str, clock: FakeClock) -> None:
    """Audit entries ride in the hall's next commit (one transaction, one fsync); a broken entry is
    logged and dropped, while the tickets of the same batch are issued all the same."""
    from sqlalchemy import Connection, insert

    from server.store.tables_audit import audit_log

    def entry(action: str) -> Callable[[Connection], None]:
        def write(conn: Connection) -> None:
            conn.execute(insert(audit_log).values(at=clock.now(), actor="clerk01", kind="user", action=action,
                                                  detail={}))
        return write

    def broken(conn: Connection) -> None:
        conn.execute(insert(audit_log).values(at=clock.now(), actor=None, kind="user", action="x", detail={}))

    async def scenario() -> None:
        engine = make_engine(database_url, clock, MemoryBus())
        await engine.hall("jinan")
        results = await asyncio.gather(engine.run("jinan", issue("A")),
                                       engine.write_along(entry("counter.call-next"), "jinan"),
                                       engine.write_along(broken, "jinan"),
                                       engine.run("jinan", issue("A")),
                                       engine.write_along(entry("ticket.issue"), "elsewhere"),  # not loaded here
                                       return_exceptions=True)
        assert [issued_number(r) for r in (results[0], results[3])] == ["A001", "A002"]
        assert [results[1], results[2], results[4]] == [None, None, None]
        with engine.db.reader.connect() as conn:
            assert sorted(conn.scalars(select(audit_log.c.action))) == ["counter.call-next", "ticket.issue"]
            assert conn.scalar(select(t.halls.c.seq)) == 2
        await engine.close()
        engine.db.dispose()

    asyncio.run(scenario())


def test_state_survives_a_restart(database_url: str, clock: FakeClock) -> None:
    async def first() -> None:
        engine = make_engine(database_url, clock, MemoryBus())
        await engine.run("jinan", lambda h, now: h.open_counter(1, "clerk01", now))
        for _ in range(3):
            await engine.run("jinan", issue("A"))
        await engine.run("jinan", lambda h, now: h.call_next(1, now))
        await engine.close()
        engine.db.dispose()

    async def second() -> None:
        engine = make_engine(database_url, clock, MemoryBus())
        hall = await engine.hall("jinan")
        assert hall.seq == 5 and hall.public_status(hall.counter(1)) == "calling"
        assert [x.number for x in hall.waiting_in("A")] == ["A002", "A003"]
        events = await engine.run("jinan", issue("A"))
        assert events[-1].ticket is not None and events[-1].ticket.number == "A004"
        await engine.close()
        engine.db.dispose()

    asyncio.run(first())
    asyncio.run(second())


@pytest.mark.parametrize("url", ["sqlite:///var/x.db"])
def test_plain_urls_are_mapped_to_the_shipped_drivers(url: str) -> None:
    from server.store.db import normalise_url

    assert normalise_url(url).startswith("sqlite+pysqlite")
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")


def test_the_postgresql_pool_is_sized_by_onewindow_db_pool_and_a_bad_value_is_named() -> None:
    """A district's process writes many halls at once: each writer holds a connection per batch."""
    from server.settings import SettingsError, load_settings

    assert load_settings({"SECRET_KEY": "x" * 32}).db_pool == 20
    assert load_settings({"SECRET_KEY": "x" * 32, "ONEWINDOW_DB_POOL": "60"}).db_pool == 60
    db = open_database("postgresql://postgres@127.0.0.1:5432/test", pool=60)
    assert (db.writer.pool.size(), db.writer.pool._max_overflow) == (60, 30)  # type: ignore[attr-defined]
    db.dispose()
    for bad in ("many", "0", "501"):
        with pytest.raises(SettingsError, match="ONEWINDOW_DB_POOL"):
            load_settings({"SECRET_KEY": "x" * 32, "ONEWINDOW_DB_POOL": bad})
