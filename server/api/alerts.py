"""The manager's alerts (issue 9): what needs acting on now, acknowledging them, and the hall's
alert settings. The rules are pure (server/domain/alerts.py); this gathers their inputs.
See docs/alerts.md."""

from __future__ import annotations

import logging
from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.auth import Principal
from server.context import ctx, forbid, require_principal
from server.domain import alerts as rules
from server.services.alerts import alerts_message, current_alerts, load_settings, wake_dashboards
from server.store import alerts as store

from .declare import endpoint
from .errors import ApiError, JSONResponse
from .schemas import Body

log = logging.getLogger("onewindow.alerts")


def require_manager(principal: Principal, code: str, what: str = "查看和处理提醒") -> None:
    if not principal.is_manager or not principal.in_hall(code):
        raise forbid(f"只有本大厅的管理人员可以{what}", "only the hall's managers may do this")






@endpoint("GET", "/halls/{hall}/alerts", "The hall's standing alerts (managers)", tag="dashboard",
          responses={200: "{at, alerts: [{id, kind, severity, title, action, since, acked, subject}]}",
                     403: "not a manager of this hall"})
async def list_alerts(request: Request) -> Response:
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    await context.engine.hall(code)
    require_manager(principal, code)
    message = await alerts_message(context, code)
    return JSONResponse({"at": message["at"], "alerts": message["alerts"]})


@endpoint("POST", "/halls/{hall}/alerts/{id}/ack", "Acknowledge a standing alert (managers)", tag="dashboard",
          responses={200: "the alert, with acked {by, at}", 403: "not a manager of this hall",
                     404: "no such alert standing now"})
async def ack_alert(request: Request) -> Response:
    """The acknowledgement (who and when) is stored; the alert stays acknowledged, and silent, for
    as long as it stands. Acknowledging an acknowledged alert changes nothing."""
    context = ctx(request)
    code, alert_id = request.path_params["hall"], request.path_params["id"]
    principal = await require_principal(request)
    await context.engine.hall(code)
    require_manager(principal, code)
    hall, alerts = await current_alerts(context, code)
    alert = next((a for a in alerts if a.id == alert_id), None)
    if alert is None:
        raise ApiError(404, "unknown_alert", f"没有这条提醒，或它已经解除 (no standing alert {alert_id!r})", "id")
    now = context.clock.now()
    acked = await context.engine.write(lambda conn: store.ack(conn, code, alert_id, principal.name, now))
    await wake_dashboards(context, code)
    return JSONResponse(rules.alert_json(rules.with_acks([alert], {alert_id: acked})[0], hall))


Minutes = Annotated[int, Field(ge=1, le=600)]


class AlertSettingsBody(Body):
    wait_target_min: dict[str, Minutes] | None = Field(
        default=None, description="minutes a visitor may wait: {default: 20, A: 15, …}; merged into the current")
    crowded_per_counter: Annotated[int, Field(ge=1, le=200)] | None = Field(
        default=None, description="more waiting than this per open counter of a queue is an alert")
    pause_max_min: Minutes | None = Field(default=None, description="a pause longer than this is an alert")


@endpoint("GET", "/halls/{hall}/alert-settings", "The hall's alert thresholds (managers)", tag="dashboard",
          responses={200: "{wait_target_min: {default, A…}, crowded_per_counter, pause_max_min}"})
async def get_alert_settings(request: Request) -> Response:
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    await context.engine.hall(code)
    require_manager(principal, code, "查看提醒设置")
    return JSONResponse((await load_settings(context, code)).to_json())


@endpoint("PUT", "/halls/{hall}/alert-settings", "Change the hall's alert thresholds (managers)",
          body=AlertSettingsBody, tag="dashboard",
          responses={200: "the settings now in force", 403: "not a manager of this hall",
                     422: "a bad value or an unknown queue, naming the field"})
async def put_alert_settings(request: Request, body: AlertSettingsBody) -> Response:
    """Fields left out keep their value; ``wait_target_min`` is merged into the current targets, its
    keys ``default`` or the hall's queue codes, its values whole minutes."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    require_manager(principal, code, "修改提醒设置")
    current = (await load_settings(context, code)).to_json()
    if body.wait_target_min is not None:
        targets = dict(current["wait_target_min"])
        for key, minutes in body.wait_target_min.items():
            name = key if key == "default" else key.strip().upper()
            if name != "default" and hall.config.queue(name) is None:
                raise ApiError(422, "invalid_field", f"字段 wait_target_min.{key} 无效：没有 {key} 类队列 "
                               f"(no queue {key!r} in this hall)", f"wait_target_min.{key}")
            targets[name] = minutes
        current["wait_target_min"] = targets
    if body.crowded_per_counter is not None:
        current["crowded_per_counter"] = body.crowded_per_counter
    if body.pause_max_min is not None:
        current["pause_max_min"] = body.pause_max_min
    settings = rules.AlertSettings.from_json(current).to_json()
    now = context.clock.now()
    await context.engine.write(lambda conn: store.put_settings(conn, code, settings, principal.name, now))
    await wake_dashboards(context, code)
    return JSONResponse(settings)


ROUTES: list[BaseRoute] = [list_alerts, ack_alert, get_alert_settings, put_alert_settings]
