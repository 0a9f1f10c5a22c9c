"""The day's end (server/services/days.py), on a real store and engine: done by the server itself,
and never failing silently: a failure is logged with its traceback and stands as an alert on the
hall's dashboard until a later attempt succeeds (issue 15). ``context_on`` builds the app's context
for service tests."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import text

from server.bus import MemoryBus
from server.context import AppContext
from server.domain.clock import FakeClock
from server.engine import HallEngine
from server.hub import Hub
from server.services import days
from server.services.alerts import current_alerts
from server.settings import Settings
from tests.api.conftest import SECRET, seed
from tests.conftest import HALL_MORNING


def context_on(url: str, clock: FakeClock) -> AppContext:
    from server.store.db import open_database

    seed(url)
    db = open_database(url, "NORMAL")
    bus = MemoryBus()
    engine = HallEngine(db, bus, clock)
    return AppContext(Settings(url, None, SECRET, True, "NORMAL", "warning"), db, bus, engine, clock, Hub(engine, bus))


def test_a_failed_day_close_is_logged_and_alerts_until_it_succeeds(sqlite_url: str,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(HALL_MORNING)
    context = context_on(sqlite_url, clock)

    async def body() -> None:
        try:
            await context.engine.run("jinan", lambda hall, now: hall.open_counter(1, "clerk01", now))
            clock.advance(timedelta(hours=16).total_seconds())  # 01:00 the next day
            # The bookings table gone (a botched migration, a disk error): marking no-shows fails.
            await context.engine.write(lambda conn: conn.execute(text("ALTER TABLE appointments RENAME TO gone")))
            hall = await context.engine.hall("jinan")
            assert await days.close_day(context, hall) is False
            _, alerts = await current_alerts(context, "jinan")
            system = [a for a in alerts if a.kind == "system"]
            assert len(system) == 1 and system[0].severity == "critical" and "日终处理失败" in system[0].title
            assert (await context.engine.hall("jinan")).counters[1].mode.value == "closed"  # the roll itself held

            await context.engine.write(lambda conn: conn.execute(text("ALTER TABLE gone RENAME TO appointments")))
            assert await days.close_day(context, await context.engine.hall("jinan")) is True
            _, alerts = await current_alerts(context, "jinan")
            assert not [a for a in alerts if a.kind == "system"]
        finally:
            await context.hub.close()
            await context.engine.close()
            context.db.dispose()

    with caplog.at_level(logging.ERROR, logger="onewindow"):
        asyncio.run(body())
    failures = [r for r in caplog.records if "closing" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
