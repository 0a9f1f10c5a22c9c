"""The Starlette application. The lifespan owns every resource and hands them to the routes
through the lifespan state (``request.state.ctx``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from admin import routes as admin_pages
from backoffice import routes as backoffice_pages
from counters import routes as counter_pages
from dashboard import routes as dashboard_pages
from displays import routes as display_pages
from guide import routes as guide_pages
from kiosk import routes as kiosk_pages
from prereview import routes as prereview_pages
from server import metrics, web
from server.api import (
    accounts,
    alerts,
    applications,
    appointments,
    assisted,
    audit,
    backoffice,
    calendar,
    case_register,
    cases,
    catalog,
    consultations,
    counters,
    department_notices,
    devices,
    district,
    feedback,
    fees,
    followups,
    halls,
    kiosks,
    layout,
    manage,
    notifications,
    rating_exports,
    ratings,
    reports,
    system,
    whatif,
)
from server.api import settings as hall_settings
from server.api.declare import route_limits
from server.api.errors import EXCEPTION_HANDLERS
from server.api.sessions import StaffSessions
from server.bus import open_bus
from server.context import AppContext
from server.domain.clock import Clock, SystemClock
from server.engine import HallEngine
from server.hub import Hub
from server.hub import routes as live
from server.jobs import rating_export
from server.jobs.backups import backup_daily
from server.jobs.department_notify import DepartmentNotifier
from server.jobs.triggers import HallNotifier
from server.limits import RequestLimits
from server.services import appointments as appointments_service
from server.services import audit as audit_service
from server.services import backoffice as backoffice_service
from server.services import credentials, days, retention
from server.services import devices as devices_service
from server.services import followups as followups_service
from server.settings import Settings
from server.store.db import open_database
from visitor import routes as visitor_pages

log = logging.getLogger("onewindow")



def create_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, AppContext]]:
        db = open_database(settings.database_url, settings.sqlite_synchronous, settings.db_pool)
        bus = open_bus(settings.redis_url)
        await bus.connect()
        engine = HallEngine(db, bus, clock, shared=not settings.embedded)
        hub = Hub(engine, bus, settings.ws_backlog)
        # Everything imported and built so far lives as long as the process: keep the cyclic
        # collector from walking it again and again (full collections were the p99 outliers).
        gc.collect()
        gc.freeze()
        context = AppContext(settings, db, bus, engine, clock, hub)
        context.rating_hooks.append(followups_service.open_for_rating)  # an unhappy rating opens 整改
        context.case_hooks.append(backoffice_service.tell_departments)  # the departments' workbenches, live
        context.day_hooks.append(rating_export.after_day_end)  # the closed day's 好差评 to the province
        engine.on_load.append(appointments_service.expect_on_load)  # the wait estimates expect today's bookings
        roller = asyncio.create_task(days.close_days(context), name="day-close")
        purger = asyncio.create_task(retention.purge_daily(context), name="pii-purge")  # PIPL retention
        backups = asyncio.create_task(backup_daily(context), name="backup-daily")  # ONEWINDOW_BACKUP_DIR
        # what the other processes ended (sign-outs, revoked tokens, disabled users) stops here at once
        revocations = asyncio.create_task(credentials.follow_revocations(context), name="auth-revocations")
        bookings = asyncio.create_task(appointments_service.follow_bookings(context), name="bookings")
        # when each device was last seen (最近在线), written in batches off the requests' path
        last_seen = asyncio.create_task(devices_service.record_seen(context), name="device-last-seen")
        notifier = HallNotifier(context)  # the visitors' messages (server/jobs/triggers.py)
        notifier.start()
        departments = DepartmentNotifier(context)  # the departments' messages (server/jobs/department_notify.py)
        departments.start()
        try:
            yield {"ctx": context}
        finally:
            await audit_service.flush(context)  # the last staff actions' entries
            last_seen.cancel()
            await devices_service.write_seen(context)
            await notifier.close()
            await departments.close()
            roller.cancel()
            purger.cancel()
            backups.cancel()
            revocations.cancel()
            bookings.cancel()
            await hub.close()
            await engine.close()
            await bus.disconnect()
            db.dispose()

    routes = [*system.ROUTES, *accounts.ROUTES,
              *halls.ROUTES, *layout.ROUTES, *catalog.ROUTES, *kiosks.ROUTES, *counters.ROUTES, *ratings.ROUTES,
              *devices.ROUTES, *district.ROUTES,
              *calendar.ROUTES, *appointments.ROUTES, *applications.ROUTES, *case_register.ROUTES,
              *cases.ROUTES, *fees.ROUTES, *notifications.ROUTES, *rating_exports.ROUTES,
              *department_notices.ROUTES, *consultations.ROUTES, *feedback.ROUTES,
              *alerts.ROUTES, *hall_settings.ROUTES, *manage.ROUTES, *reports.ROUTES, *followups.ROUTES,
              *audit.ROUTES, *backoffice.ROUTES, *live.ROUTES,
              *web.ROUTES, *kiosk_pages.ROUTES, *counter_pages.ROUTES, *display_pages.ROUTES,
              *dashboard_pages.ROUTES, *visitor_pages.ROUTES, *admin_pages.ROUTES, *backoffice_pages.ROUTES,
              *prereview_pages.ROUTES, *guide_pages.ROUTES, *assisted.ROUTES, *whatif.ROUTES,
              Mount("/static", web.static_files(), name="static")]
    # outermost: each request's time, refusals included (server/metrics.py); then a body over its
    # limit or a NUL in the address is refused before anything reads it
    middleware = [Middleware(metrics.RequestMetrics),
                  Middleware(RequestLimits, max_body=settings.limits.max_body_bytes, routes=route_limits(routes)),
                  Middleware(live.KeepRawSend),
                  Middleware(StaffSessions, secret_key=settings.secret_key, session_cookie="onewindow_session",
                             # Secure is added per request over HTTPS (server/api/sessions.py)
                             same_site="lax", https_only=False, max_age=round(settings.session_hours * 3600)),
                  Middleware(audit.AuditTrail)]  # after the session: it names who acted
    return Starlette(routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS,
                     lifespan=lifespan)
