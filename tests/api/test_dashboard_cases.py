"""Cases near or past their due date on the dashboard feed (drawn by the dashboard page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import SECRET, login, seed


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    seed(sqlite_url)
    with TestClient(create_app(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning"), clock),
                    base_url="http://testserver") as client:
        yield client


def next_due(ws: Any) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == "cases.due":
            return message


def test_a_case_due_today_shows_on_the_dashboard_feed_and_leaves_it_when_decided(
        app: TestClient, clock: FakeClock) -> None:
    manager = login(app, "manager")
    clerk = login(app, "clerk04")
    app.post("/api/v1/halls/jinan/counters/4/open", headers=clerk)
    with app.websocket_connect("/ws/halls/jinan/dashboard", headers=manager) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        assert next_due(ws) == {"type": "cases.due", "soon": [], "overdue": []}
        case = app.post("/api/v1/halls/jinan/cases", headers=clerk,
                        json={"item": "B02", "applicant": {"name": "王小明"}}).json()
        due = next_due(ws)
        assert [c["receipt_no"] for c in due["soon"]] == [] and due["overdue"] == []  # due 2026-11-30: not yet
        fast = app.post("/api/v1/halls/jinan/cases", headers=clerk,
                        json={"item": "B10", "applicant": {"name": "李四"}}).json()  # 即办: due today
        due = next_due(ws)
        assert [c["receipt_no"] for c in due["soon"]] == [fast["receipt_no"]]
        assert "王小明" not in str(due) and "李四" not in str(due)
        app.post(f"/api/v1/cases/{fast['receipt_no']}/events", headers=clerk, json={"status": "approved"})
        assert next_due(ws)["soon"] == []
    clock.advance(6 * 24 * 3600)  # a week on, the first case is past its promised date
    with app.websocket_connect("/ws/halls/jinan/dashboard", headers=manager) as ws:
        ws.receive_json()
        assert [c["receipt_no"] for c in next_due(ws)["overdue"]] == [case["receipt_no"]]
