"""A hall's settings in one place (issue 18): name, consultation telephone, opening hours, the
calling policy and its K/T/w, the 过号 and 回呼 rules, the alert thresholds, the display's notice
and languages. Read and changed by the hall's managers and admins; a change names only the
settings it changes.

Everything but the alert thresholds is the hall's own and changes through the hall's engine
(``Hall.change_settings``, server/domain/hall.py; the forms and rules: server/domain/settings.py),
so the refusals are judged under the hall's lock, every process and every screen follows at once,
and a restart finds the same (the hall's config and ``halls.name``, server/store/repo.py). What the
feeds carry, after any ``hall.notice`` / ``hall.phone`` of the same change (the screens that
followed those before this page still do)::

    {"type": "hall.changed", "seq": 812, "at": "2026-11-25T09:00:00+08:00", "hall": "jinan",
     "name": "晋安区政务服务中心",
     "settings": {"phone": "0591-87711892", "notice": "…" | null,
                  "opening_hours": {"workday": [{"start": "09:00", "end": "12:00"}, …], "rest_day": [],
                                    "stop_issuing_min": 30},
                  "policy": {"kind": "ratio", "max_priority_streak": 3, "walk_in_max_wait_s": 900,
                             "priority_weight": 3},
                  "reinstate_places": 2, "no_show_after_calls": 1, "reinstate_within_min": 0,
                  "display_languages": ["zh", "en"]},
     "queues": [{"code", "name"}, …], "counters": [{"number", "name", "queues"}, …]}

Every ``hall.changed`` carries all of these, a layout change's too (the hall's as it is then), so a
screen takes whatever it shows from whichever it gets; the snapshot carries ``name`` and
``settings`` as well, and ``GET /halls/{hall}`` the opening hours and languages, with whether the
kiosks issue now and until when (``open_now``, ``open_until``, ``next_open``: server/services/hours.py,
the kiosk's closed screen). No personal data,
and no alert thresholds: those stay with the managers (server/services/alerts.py stores them and
wakes the dashboards). A new setting changes nothing already issued or called: a policy decides
from each counter's next call, the 过号 and 回呼 rules from the clerk's next press, the opening
hours from the kiosk's next ticket (server/services/hours.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.auth import Principal
from server.context import AppContext, forbid
from server.domain import settings as rules
from server.domain.hall import Hall
from server.domain.model import Event

from . import alerts


@dataclass(frozen=True)
class Changed:
    settings: dict[str, Any]  # every setting now in force, as GET answers them
    said: list[str]  # one line per setting changed, before → after: the audit trail's words


async def _managed(context: AppContext, principal: Principal, code: str) -> Hall:
    hall = await context.engine.hall(code)  # UnknownHall first
    if not principal.manages(code):
        raise forbid("只有本大厅的管理人员或系统管理员可以查看和修改大厅设置",
                     "only the hall's managers and admins see and change its settings")
    return hall


def _answer(hall: Hall, alert_settings: dict[str, Any]) -> dict[str, Any]:
    return {"code": hall.config.code, **hall.settings(), "alerts": alert_settings}


async def read(context: AppContext, principal: Principal, code: str) -> dict[str, Any]:
    """``{code, name, phone, notice, opening_hours, policy, reinstate_places, no_show_after_calls,
    reinstate_within_min, display_languages, alerts: {wait_target_min, crowded_per_counter, pause_max_min}}``."""
    hall = await _managed(context, principal, code)
    return _answer(hall, (await alerts.load_settings(context, code)).to_json())


async def change(context: AppContext, principal: Principal, code: str, changes: dict[str, Any],
                 alert_changes: dict[str, Any] | None = None) -> Changed:
    """``changes``: any of the hall's settings (``policy`` and ``opening_hours`` key by key);
    ``alert_changes``: as ``PUT /alert-settings`` takes them. All or nothing: every value is checked
    (InvalidSettings names each bad field) before anything is stored."""
    hall = await _managed(context, principal, code)
    alerts_before = (await alerts.load_settings(context, code)).to_json()
    alerts_after = alerts_before
    if alert_changes:
        alerts_after = alerts.merged_settings(hall, alerts_before, prefix="alerts.", **alert_changes)
    before: list[dict[str, Any]] = []

    def command(state: Hall, now: datetime) -> list[Event]:
        before.append(state.settings())
        return state.change_settings(changes, now)

    if changes:
        await context.engine.run(code, command)
    if alerts_after != alerts_before:
        await alerts.save_settings(context, code, alerts_after, principal.name)
    hall = await context.engine.hall(code)
    said = rules.changes_said(before[0], hall.settings()) if before else []
    said += rules.alerts_said(alerts_before, alerts_after)
    return Changed(_answer(hall, alerts_after), said)
