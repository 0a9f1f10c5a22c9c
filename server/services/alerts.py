"""The hall's standing alerts (docs/alerts.md): computed from the hall, its devices, cases due,
bad ratings and overdue follow-ups by the pure rules of server/domain/alerts.py, with the managers'
acknowledgements; and the messages the dashboard feed pushes."""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from server.channels import dashboard_channel
from server.context import AppContext
from server.domain import alerts as rules
from server.domain.hall import Hall
from server.domain.views import iso
from server.store import alerts as store
from server.store import devices as store_devices

from .cases import cases_due

log = logging.getLogger("onewindow.alerts")


async def load_settings(context: AppContext, code: str) -> rules.AlertSettings:
    data = await context.engine.read(lambda conn: store.get_settings(conn, code))
    return rules.AlertSettings.from_json(data)


async def wake_dashboards(context: AppContext, code: str) -> None:
    """Every dashboard of the hall, in every process, recomputes its alerts now."""

    try:
        await context.bus.publish(dashboard_channel(code), {"type": "alerts.changed"})
    except Exception as error:  # the 5-second check catches up
        log.info("could not wake the dashboards of %s (%s)", code, error)


async def current_alerts(context: AppContext, code: str) -> tuple[Hall, list[rules.Alert]]:
    """The hall's standing alerts with their acknowledgements. Acknowledgements of alerts that no
    longer stand are forgotten, so that the same cause sounds again should it come back."""
    hall = await context.engine.hall(code)
    now = context.clock.now()
    today = hall.local_day(now)
    day_start = datetime.combine(today, time(0), tzinfo=hall.tz)
    complete = True
    try:
        due: dict[str, Any] = await cases_due(context, hall)
    except Exception as error:  # the cases' tables or calendar unreadable: the other alerts still stand
        log.warning("cases due unreadable for %s (%s)", code, error)
        due, complete = {}, False

    def read(conn: Any) -> tuple[Any, ...]:
        return (store.get_settings(conn, code), store_devices.states(conn, code),
                store.bad_ratings_since(conn, code, day_start), store.acks(conn, code),
                store.overdue_followups(conn, code, today))

    settings, devices, ratings, acks, followups = await context.engine.read(read)
    alerts = rules.compute(hall, now, rules.AlertSettings.from_json(settings), devices=devices, due=due,
                           ratings=ratings, followups=followups, problems=context.problems.get(code))
    standing = {a.id for a in alerts}
    stale = [key for key in acks if key not in standing]
    if stale and complete:
        await context.engine.write(lambda conn: store.forget_acks(conn, code, stale))
    return hall, rules.with_acks(alerts, acks)


async def alerts_message(context: AppContext, code: str) -> dict[str, Any]:
    """What the dashboard feed pushes: ``{"type": "alerts", "at", "alerts": [...]}``."""
    hall, alerts = await current_alerts(context, code)
    return {"type": "alerts", "at": iso(context.clock.now(), hall),
            "alerts": [rules.alert_json(a, hall) for a in alerts]}


async def cases_due_message(context: AppContext, code: str) -> dict[str, Any]:
    """What the dashboard feed pushes of the cases due: ``{"type": "cases.due", soon, overdue}``."""
    hall = await context.engine.hall(code)
    return {"type": "cases.due", **(await cases_due(context, hall))}
