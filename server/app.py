"""The Starlette application. The lifespan owns every resource and hands them to the routes
through the lifespan state (``request.state.ctx``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from server.api import (
    alerts,
    appointments,
    audit,
    calendar,
    cases,
    counters,
    devices,
    followups,
    halls,
    kiosks,
    manage,
    notifications,
    ratings,
    reports,
    system,
)
from server.api.context import AppContext
from server.api.errors import EXCEPTION_HANDLERS
from server.bus import open_bus
from server.domain.clock import Clock, SystemClock
from server.engine import HallEngine
from server.hub import Hub
from server.hub import routes as live
from server.jobs.triggers import HallNotifier
from server.pages import PAGE_ROUTES
from server.settings import Settings
from server.store.db import open_database

log = logging.getLogger("onewindow")
STATIC = Path(__file__).resolve().parent.parent / "static"
DAY_CHECK_S = 30.0


async def _roll_days(engine: HallEngine) -> None:
    """Close yesterday at midnight even if nobody acts: counters close, leftovers are cancelled."""
    while True:
        await asyncio.sleep(DAY_CHECK_S)
        for hall in await engine.loaded_halls():
            if hall.day is not None and hall.local_day(engine.clock.now()) > hall.day:
                with contextlib.suppress(Exception):
                    ended = hall.day
                    await engine.run(hall.config.code, lambda h, now: h.roll_day(now))
                    await appointments.mark_no_shows(engine, hall.config.code, ended)  # bookings nobody checked in
                    await _roll_up(engine, hall.config.code, ended)


async def _roll_up(engine: HallEngine, code: str, day: date) -> None:
    """The closed day's report figures, so that a month's report reads ready-made days."""
    from server.reports.rollup import ensure_days, hall_info

    info = await engine.read(lambda conn: hall_info(conn, code))
    if info is not None:
        now = engine.clock.now()
        await asyncio.to_thread(ensure_days, engine.db, info, [day], now)


def create_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, AppContext]]:
        db = open_database(settings.database_url, settings.sqlite_synchronous)
        bus = open_bus(settings.redis_url)
        await bus.connect()
        engine = HallEngine(db, bus, clock, shared=not settings.embedded)
        hub = Hub(engine, bus, settings.ws_backlog)
        # Everything imported and built so far lives as long as the process: keep the cyclic
        # collector from walking it again and again (full collections were the p99 outliers).
        gc.collect()
        gc.freeze()
        roller = asyncio.create_task(_roll_days(engine))
        context = AppContext(settings, db, bus, engine, clock, hub)
        notifier = HallNotifier(context)  # the visitors' messages (server/jobs/triggers.py)
        notifier.start()
        try:
            yield {"ctx": context}
        finally:
            await notifier.close()
            roller.cancel()
            await hub.close()
            await engine.close()
            await bus.disconnect()
            db.dispose()

    routes = [*system.ROUTES, *halls.ROUTES, *kiosks.ROUTES, *counters.ROUTES, *ratings.ROUTES, *devices.ROUTES,
              *calendar.ROUTES, *appointments.ROUTES, *cases.ROUTES, *notifications.ROUTES,
              *alerts.ROUTES, *manage.ROUTES, *reports.ROUTES, *followups.ROUTES, *audit.ROUTES, *live.ROUTES,
              *PAGE_ROUTES,
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    middleware = [Middleware(live.KeepRawSend),
                  Middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="onewindow_session",
                             same_site="lax", https_only=False, max_age=12 * 3600),
                  Middleware(audit.AuditTrail)]  # after the session: it names who acted
    return Starlette(routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS,
                     lifespan=lifespan)
