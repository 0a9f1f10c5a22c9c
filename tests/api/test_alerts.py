"""The manager's alerts over the API and the dashboard feed, on a fake clock (issue 9)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import insert
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from server.store.db import open_database
from server.store.tables import ratings
from tests.api.conftest import KIOSK, SECRET, counter_tablet, login, seed

ALERTS = "/api/v1/halls/jinan/alerts"
SETTINGS = "/api/v1/halls/jinan/alert-settings"


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    seed(sqlite_url)
    with TestClient(create_app(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning"), clock),
                    base_url="http://testserver") as client:
        yield client


def issue(app: TestClient, queue: str = "A") -> dict[str, Any]:
    response = app.post("/api/v1/halls/jinan/tickets", json={"queue": queue}, headers=KIOSK)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def next_alerts(ws: Any, until: Callable[[list[dict[str, Any]]], bool] = lambda a: True,
                limit: int = 20) -> list[dict[str, Any]]:
    for _ in range(limit):
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == "alerts" and until(message["alerts"]):
            alerts: list[dict[str, Any]] = message["alerts"]
            return alerts
    raise AssertionError("no such alerts message")


def test_a_wait_past_the_target_is_an_alert_until_called_and_an_ack_is_kept(app: TestClient,
                                                                              clock: FakeClock) -> None:
    manager = login(app, "manager")
    ticket = issue(app)
    clock.advance(20 * 60)
    assert app.get(ALERTS, headers=manager).json()["alerts"] == []
    clock.advance(60)
    [alert] = app.get(ALERTS, headers=manager).json()["alerts"]
    assert alert["id"] == f"long_wait:{ticket['id']}" and alert["kind"] == "long_wait"
    assert alert["severity"] == "warning" and alert["acked"] is None
    assert ticket["number"] in alert["title"] and "请安排窗口尽快呼叫" in alert["action"]
    assert alert["since"] == "2026-11-25T09:20:00+08:00"

    clerk = login(app, "clerk01")
    assert app.get(ALERTS, headers=clerk).status_code == 403
    assert app.post(f"{ALERTS}/{alert['id']}/ack", headers=clerk).status_code == 403
    missing = app.post(f"{ALERTS}/long_wait:nothing/ack", headers=manager)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_alert"

    acked = app.post(f"{ALERTS}/{alert['id']}/ack", headers=manager)
    assert acked.status_code == 200, acked.text
    assert acked.json()["acked"] == {"by": "manager", "at": "2026-11-25T09:21:00+08:00"}
    clock.advance(60)
    again = app.post(f"{ALERTS}/{alert['id']}/ack", headers=login(app, "admin")).json()
    assert again["acked"]["by"] == "manager"  # the first acknowledgement stands
    [still] = app.get(ALERTS, headers=manager).json()["alerts"]
    assert still["acked"] == {"by": "manager", "at": "2026-11-25T09:21:00+08:00"}

    app.post("/api/v1/halls/jinan/counters/1/open", headers=clerk)
    app.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk)
    assert app.get(ALERTS, headers=manager).json()["alerts"] == []


def test_settings_change_the_target_and_refuse_unknown_queues(app: TestClient, clock: FakeClock) -> None:
    manager = login(app, "manager")
    assert app.get(SETTINGS, headers=manager).json() == {
        "wait_target_min": {"default": 20}, "crowded_per_counter": 10, "pause_max_min": 15}
    issue(app, "A")
    issue(app, "B")
    changed = app.put(SETTINGS, headers=manager, json={"wait_target_min": {"a": 5}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["wait_target_min"] == {"default": 20, "A": 5}
    clock.advance(6 * 60)
    assert [a["id"] for a in app.get(ALERTS, headers=manager).json()["alerts"]] == ["long_wait:jinan-20261125-A001"]
    bad = app.put(SETTINGS, headers=manager, json={"wait_target_min": {"Q": 5}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "wait_target_min.Q"
    assert "Q" in bad.json()["error"]["message"]
    zero = app.put(SETTINGS, headers=manager, json={"pause_max_min": 0})
    assert zero.status_code == 422 and "pause_max_min" in zero.json()["error"]["message"]
    assert app.put(SETTINGS, headers=login(app, "clerk01"), json={"pause_max_min": 5}).status_code == 403
    assert app.put(SETTINGS, headers=manager, json={"pause_max_min": 5}).json()["pause_max_min"] == 5


def test_alerts_on_the_dashboard_feed(app: TestClient, clock: FakeClock) -> None:
    manager = login(app, "manager")
    clerk = login(app, "clerk01")
    app.post("/api/v1/halls/jinan/counters/1/open", headers=clerk)
    app.post("/api/v1/halls/jinan/counters/1/pause", headers=clerk, json={"reason": "休息"})
    ticket = issue(app)
    with app.websocket_connect("/ws/halls/jinan/dashboard", headers=manager) as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot"
        stats = snapshot["stats"]
        assert stats["queues"][0]["code"] == "A" and stats["queues"][0]["waiting"] == 1
        assert stats["counters"][0]["status"] == "paused" and stats["counters"][0]["pause_reason"] == "休息"
        assert next_alerts(ws) == []
        clock.advance(21 * 60)
        issue(app, "B")  # any hall event makes the feed look again
        alerts = next_alerts(ws, lambda a: len(a) == 2)
        assert {a["id"] for a in alerts} == {f"long_wait:{ticket['id']}", "long_pause:1"}
        assert app.post(f"{ALERTS}/long_pause:1/ack", headers=manager).status_code == 200
        alerts = next_alerts(ws, lambda a: any(x["acked"] for x in a))
        assert [a["acked"]["by"] for a in alerts if a["acked"]] == ["manager"]
        app.post("/api/v1/halls/jinan/counters/1/resume", headers=clerk)
        assert [a["id"] for a in next_alerts(ws, lambda a: len(a) == 1)] == [f"long_wait:{ticket['id']}"]
    with app.websocket_connect("/ws/halls/jinan/dashboard", headers=manager) as ws:
        snapshot = ws.receive_json()
        assert snapshot["stats"]["counters"][0]["paused_s_today"] == 21 * 60
        assert len(next_alerts(ws)) == 1


def test_a_bad_rating_today_is_an_alert(app: TestClient, clock: FakeClock, sqlite_url: str) -> None:
    manager = login(app, "manager")
    clerk = login(app, "clerk01")
    issue(app)
    app.post("/api/v1/halls/jinan/counters/1/open", headers=clerk)
    ticket = app.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk).json()
    app.post("/api/v1/halls/jinan/counters/1/finish", headers=clerk)
    db = open_database(sqlite_url)
    with db.writer.begin() as conn:
        conn.execute(insert(ratings).values(hall="jinan", ticket_id=ticket["id"], counter=1, clerk="clerk01",
                                            level=1, reasons=["服务态度差"], comment=None, source="tablet",
                                            at=clock.now()))
    db.dispose()
    [alert] = app.get(ALERTS, headers=manager).json()["alerts"]
    assert alert["kind"] == "bad_rating" and alert["severity"] == "critical" and "非常不满意" in alert["title"]
    assert "服务态度差" in alert["title"] and "clerk01" not in str(alert)
    clock.advance(24 * 3600)  # tomorrow it is the follow-up's business, not an alert
    assert [a for a in app.get(ALERTS, headers=manager).json()["alerts"] if a["kind"] == "bad_rating"] == []


def test_a_follow_up_past_its_due_date_is_an_alert(app: TestClient, clock: FakeClock) -> None:
    clerk = login(app, "clerk01")
    issue(app)
    for action in ("open", "call-next", "finish"):
        app.post(f"/api/v1/halls/jinan/counters/1/{action}", headers=clerk)
    tablet = counter_tablet(1)
    ticket_id = app.get("/api/v1/halls/jinan/counters/1/rating", headers=tablet).json()["ticket"]["id"]
    rated = app.post("/api/v1/halls/jinan/counters/1/rating", headers=tablet,
                     json={"ticket_id": ticket_id, "level": 1, "reasons": ["服务态度差"]})
    assert rated.status_code == 201, rated.text
    manager = login(app, "manager")
    kinds = [a["kind"] for a in app.get(ALERTS, headers=manager).json()["alerts"]]
    assert "followup_overdue" not in kinds
    clock.advance(10 * 24 * 3600)  # five working days and more: the follow-up is overdue
    alerts = app.get(ALERTS, headers=login(app, "manager")).json()["alerts"]
    assert any(a["kind"] == "followup_overdue" for a in alerts)
