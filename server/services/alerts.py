"""The hall's standing alerts (docs/alerts.md): computed from the hall, its devices, cases due,
online pre-reviews due, bad ratings and overdue follow-ups by the pure rules of server/domain/alerts.py,
with the managers' acknowledgements; and the messages the dashboard feed pushes."""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from server.auth import Principal
from server.channels import dashboard_channel
from server.context import AppContext
from server.domain import alerts as rules
from server.domain import backups as backup_rules
from server.domain.errors import Forbidden, InvalidInput, NotFound
from server.domain.hall import Hall
from server.domain.views import iso
from server.store import alerts as store
from server.store import backup as backup_store
from server.store import devices as store_devices
from server.store import feedback as feedback_store

from .applications import prereviews_due
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
    try:
        prereviews: dict[str, Any] = await prereviews_due(context, hall)
    except Exception as error:  # likewise: the online applications unreadable
        log.warning("pre-reviews due unreadable for %s (%s)", code, error)
        prereviews, complete = {}, False

    backup_slot = (backup_rules.last_slot(now, context.settings.backups.at, hall.tz)
                   if context.settings.backups.folder else None)  # scheduled backups set up (docs/operations.md)

    def read(conn: Any) -> tuple[Any, ...]:
        return (store.get_settings(conn, code), store_devices.states(conn, code),
                store.bad_ratings_since(conn, code, day_start), store.acks(conn, code),
                store.overdue_followups(conn, code, today), feedback_store.overdue(conn, code, today),
                backup_store.latest_scheduled(conn, backup_slot) if backup_slot else None)

    settings, devices, ratings, acks, followups, feedback, backup = await context.engine.read(read)
    alerts = rules.compute(hall, now, rules.AlertSettings.from_json(settings), devices=devices, due=due,
                           prereviews=prereviews, ratings=ratings, followups=followups, feedback=feedback,
                           problems=context.problems.get(code),
                           backup={"slot": backup_slot, "last": backup} if backup_slot else None)
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


# ---------------------------------------------------------------- the managers' side
def require_manager(principal: Principal, hall: str, what: str) -> None:
    """A manager of this hall (or an admin): the dashboard's alerts, settings and steering."""
    if not principal.manages(hall):
        raise Forbidden(f"只有本大厅的管理人员可以{what}", "only the hall's managers may do this")


class UnknownAlert(NotFound):
    code = "unknown_alert"
    field = "id"


async def _managed(context: AppContext, principal: Principal, code: str, what: str) -> Hall:
    hall = await context.engine.hall(code)  # UnknownHall first
    require_manager(principal, code, what)
    return hall


async def standing(context: AppContext, principal: Principal, code: str) -> dict[str, Any]:
    """``{at, alerts}``: the hall's standing alerts for its managers."""
    await _managed(context, principal, code, "查看和处理提醒")
    message = await alerts_message(context, code)
    return {"at": message["at"], "alerts": message["alerts"]}


async def acknowledge(context: AppContext, principal: Principal, code: str, alert_id: str) -> dict[str, Any]:
    """The acknowledgement (who and when) is stored; the alert stays acknowledged, and silent, for
    as long as it stands. Acknowledging an acknowledged alert changes nothing."""
    await _managed(context, principal, code, "查看和处理提醒")
    hall, alerts = await current_alerts(context, code)
    alert = next((a for a in alerts if a.id == alert_id), None)
    if alert is None:
        raise UnknownAlert("没有这条提醒，或它已经解除", f"no standing alert {alert_id!r}")
    now = context.clock.now()
    acked = await context.engine.write(lambda conn: store.ack(conn, code, alert_id, principal.name, now))
    await wake_dashboards(context, code)
    return rules.alert_json(rules.with_acks([alert], {alert_id: acked})[0], hall)


async def settings_of(context: AppContext, principal: Principal, code: str) -> dict[str, Any]:
    await _managed(context, principal, code, "查看提醒设置")
    return (await load_settings(context, code)).to_json()


async def change_settings(context: AppContext, principal: Principal, code: str, *,
                          wait_target_min: dict[str, int | None] | None = None,
                          crowded_per_counter: int | None = None, pause_max_min: int | None = None) -> dict[str, Any]:
    """Values left out keep theirs; ``wait_target_min`` is merged into the current targets, its keys
    ``default`` or the hall's queue codes, its values whole minutes (a queue's None: the default again)."""
    hall = await _managed(context, principal, code, "修改提醒设置")
    current = (await load_settings(context, code)).to_json()
    settings = merged_settings(hall, current, wait_target_min=wait_target_min,
                               crowded_per_counter=crowded_per_counter, pause_max_min=pause_max_min)
    await save_settings(context, code, settings, principal.name)
    return settings


def merged_settings(hall: Hall, current: dict[str, Any], *, wait_target_min: dict[str, int | None] | None = None,
                    crowded_per_counter: int | None = None, pause_max_min: int | None = None,
                    prefix: str = "") -> dict[str, Any]:
    """``current`` with the values given (an unknown queue refused, naming ``prefix`` + its field:
    the settings page sends them under ``alerts``)."""
    current = dict(current)
    if wait_target_min is not None:
        targets = dict(current["wait_target_min"])
        for key, minutes in wait_target_min.items():
            name = key if key == "default" else key.strip().upper()
            if name != "default" and hall.config.queue(name) is None:
                raise InvalidInput(f"字段 {prefix}wait_target_min.{key} 无效：没有 {key} 类队列",
                                   f"no queue {key!r} in this hall", f"{prefix}wait_target_min.{key}")
            if minutes is not None:
                targets[name] = minutes
            elif name == "default":
                raise InvalidInput(f"字段 {prefix}wait_target_min.default 无效：默认等候目标不能为空",
                                   "the default target cannot be removed", f"{prefix}wait_target_min.default")
            else:
                targets.pop(name, None)
        current["wait_target_min"] = targets
    if crowded_per_counter is not None:
        current["crowded_per_counter"] = crowded_per_counter
    if pause_max_min is not None:
        current["pause_max_min"] = pause_max_min
    return rules.AlertSettings.from_json(current).to_json()


async def save_settings(context: AppContext, code: str, settings: dict[str, Any], by: str) -> None:
    """Stores them, and every dashboard of the hall recomputes its alerts by them at once."""
    now = context.clock.now()
    await context.engine.write(lambda conn: store.put_settings(conn, code, settings, by, now))
    await wake_dashboards(context, code)
