"""The manager's alerts routes (docs/alerts.md): the standing alerts, acknowledging them, and the
hall's alert settings. server/services/alerts.py gathers the inputs of the pure rules
(server/domain/alerts.py) and has the rules of who may do what."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.services import alerts

from .declare import endpoint
from .errors import JSONResponse
from .schemas import Body


@endpoint("GET", "/halls/{hall}/alerts", "The hall's standing alerts (managers)", tag="dashboard",
          responses={200: "{at, alerts: [{id, kind, severity, title, action, since, acked, subject}]}",
                     403: "not a manager of this hall"})
async def list_alerts(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await alerts.standing(ctx(request), principal, request.path_params["hall"]))


@endpoint("POST", "/halls/{hall}/alerts/{id}/ack", "Acknowledge a standing alert (managers)", tag="dashboard",
          responses={200: "the alert, with acked {by, at}", 403: "not a manager of this hall",
                     404: "no such alert standing now"})
async def ack_alert(request: Request) -> Response:
    """The acknowledgement (who and when) is stored; the alert stays acknowledged, and silent, for
    as long as it stands. Acknowledging an acknowledged alert changes nothing."""
    principal = await require_principal(request)
    return JSONResponse(await alerts.acknowledge(ctx(request), principal, request.path_params["hall"],
                                                 request.path_params["id"]))


Minutes = Annotated[int, Field(ge=1, le=600)]


class AlertSettingsBody(Body):
    wait_target_min: dict[str, Minutes | None] | None = Field(
        default=None, description="minutes a visitor may wait: {default: 20, A: 15, …}; merged into the current "
                                  "(a queue's null: back to the default)")
    crowded_per_counter: Annotated[int, Field(ge=1, le=200)] | None = Field(
        default=None, description="more waiting than this per open counter of a queue is an alert")
    pause_max_min: Minutes | None = Field(default=None, description="a pause longer than this is an alert")


@endpoint("GET", "/halls/{hall}/alert-settings", "The hall's alert thresholds (managers)", tag="dashboard",
          responses={200: "{wait_target_min: {default, A…}, crowded_per_counter, pause_max_min}"})
async def get_alert_settings(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await alerts.settings_of(ctx(request), principal, request.path_params["hall"]))


@endpoint("PUT", "/halls/{hall}/alert-settings", "Change the hall's alert thresholds (managers)",
          body=AlertSettingsBody, tag="dashboard",
          responses={200: "the settings now in force", 403: "not a manager of this hall",
                     422: "a bad value or an unknown queue, naming the field"})
async def put_alert_settings(request: Request, body: AlertSettingsBody) -> Response:
    """Fields left out keep their value; ``wait_target_min`` is merged into the current targets, its
    keys ``default`` or the hall's queue codes, its values whole minutes."""
    principal = await require_principal(request)
    return JSONResponse(await alerts.change_settings(
        ctx(request), principal, request.path_params["hall"], wait_target_min=body.wait_target_min,
        crowded_per_counter=body.crowded_per_counter, pause_max_min=body.pause_max_min))


ROUTES: list[BaseRoute] = [list_alerts, ack_alert, get_alert_settings, put_alert_settings]
