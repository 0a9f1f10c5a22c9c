"""The dashboard's 排队预测 over the API (issue 22): POST /halls/{hall}/whatif and GET
/halls/{hall}/whatif/policies, on a hall whose history is a simulated Wednesday of the demo profile
written to the database (tests/simulation/history.py), with the clock on the next Wednesday."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed
from tests.simulation.conftest import demo_profile
from tests.simulation.history import seed_history

HALL = "/api/v1/halls/jinan"
HISTORY = date(2026, 11, 18)  # a Wednesday: the history the fit finds
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # the next Wednesday, 10:00 in the hall
OPEN = (1, 4, 7, 9, 11, 12)  # one counter for each queue; C has counter 7 alone
C_BACKLOG = 25


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo hall and its staff, and one simulated Wednesday of history (seeded once: ~2 s)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('whatif')}/onewindow.db"
    seed(url)
    seed_history(url, demo_profile(), HISTORY, 1)
    return url


@pytest.fixture
def app(history_db: str, tmp_path: Any) -> Iterator[tuple[TestClient, FakeClock]]:
    url = f"sqlite:///{tmp_path}/onewindow.db"
    # a fresh copy per test: the tests open counters and issue tickets
    shutil.copyfile(history_db.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
    clock = FakeClock(NOW)
    with TestClient(create_app(Settings(url, None, SECRET, True, "NORMAL", "warning"), clock),
                    base_url="http://testserver") as client:
        yield client, clock


def backlog(client: TestClient, manager: dict[str, str]) -> None:
    """Counters open for every queue, and 25 C visitors waiting for counter 7 alone."""
    for number in OPEN:
        assert client.post(f"{HALL}/counters/{number}/open", headers=manager).status_code == 200
    for _ in range(C_BACKLOG):
        assert client.post(f"{HALL}/tickets", json={"queue": "C"}, headers=KIOSK).status_code == 201


def by_code(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["code"]: q for q in answer["queues"]}


def test_one_more_c_window_lowers_cs_wait(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    manager = login(client, "manager")
    backlog(client, manager)
    response = client.post(f"{HALL}/whatif", headers=manager, json={
        "changes": [{"kind": "open_counter", "counter": 8, "queues": ["C"], "at": "10:00"}]})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["at"].startswith("2026-11-25T10:00") and answer["horizon_until"].startswith("2026-11-25T")
    assert answer["basis"]["kind"] == "history" and answer["basis"]["weekday"] == "周三"
    assert answer["changes"] == [{"kind": "open_counter", "counter": 8, "queues": ["C"], "at": "10:00"}]
    queues = by_code(answer)
    assert list(queues) == ["A", "B", "C", "D", "L", "Z", "V"]
    c = queues["C"]
    assert c["name"] == "经营许可类" and c["changed"] is True and queues["A"]["changed"] is False
    for side in ("before", "after"):
        assert set(c[side]) == {"visitors", "avg_wait_s", "p90_wait_s", "within_30", "unserved"}
        assert c[side]["visitors"] >= C_BACKLOG  # the backlog and those still to come today
    before, after = c["before"], c["after"]
    # a second C window: the backlog clears in half the time
    assert after["avg_wait_s"] < 0.7 * before["avg_wait_s"]
    assert after["p90_wait_s"] < before["p90_wait_s"] and after["within_30"] > before["within_30"]
    assert queues["A"]["before"] == queues["A"]["after"]  # counter 8 never serves A: the same visitors, the same waits
    arrivals = {a["code"]: a["expected"] for a in answer["arrivals_next_2h"]}
    assert set(arrivals) == set(queues)
    assert arrivals["A"] > arrivals["C"] > 0  # the demo day: A is the busiest queue, C about 10 an hour at 10:00
    assert 8 <= arrivals["C"] <= 40
    assert answer["seeds"] >= 3 and answer["elapsed_ms"] < 10_000


def test_no_change_is_the_day_as_it_is(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    manager = login(client, "manager")
    answer = client.post(f"{HALL}/whatif", headers=manager, json={}).json()
    assert answer["changes"] == [] and all(q["before"] == q["after"] for q in answer["queues"])
    assert len(answer["arrivals_next_2h"]) == 7
    entries = client.get("/api/v1/audit?hall=jinan&action=whatif.create", headers=manager).json()["entries"]
    assert entries and "推演了窗口调整" in entries[0]["sentence"]  # a simulation only: the trail says so


def test_a_change_also_serving_and_a_change_closing(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    manager = login(client, "manager")
    backlog(client, manager)
    also = client.post(f"{HALL}/whatif", headers=manager, json={
        "changes": [{"kind": "serve_also", "counter": 9, "queue": "C", "at": "09:00"}]}).json()
    c = by_code(also)["C"]
    assert also["changes"][0]["at"] == "10:00"  # a time already past happens now
    assert c["changed"] and c["after"]["avg_wait_s"] < c["before"]["avg_wait_s"]
    closed = client.post(f"{HALL}/whatif", headers=manager, json={
        "changes": [{"kind": "close_counter", "counter": 7, "at": "11:00"}]}).json()
    c = by_code(closed)["C"]
    assert c["after"]["unserved"] > c["before"]["unserved"]  # nobody serves C after 11:00


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "open_counter", "counter": 99, "queues": ["C"]}, "changes.0.counter"),
    ({"kind": "open_counter", "counter": 8, "queues": ["Q"]}, "changes.0.queues"),
    ({"kind": "serve_also", "counter": 8}, "changes.0.queue"),
    ({"kind": "open_counter", "counter": 8, "at": "25:00"}, "changes.0.at"),
    ({"kind": "open_counter", "counter": 8, "at": "10h"}, "changes.0.at"),
    ({"kind": "open_counter", "counter": 8, "at": "23:30"}, "changes.0.at"),  # after the day's last closing
    ({"kind": "hire", "counter": 8}, "changes.0.kind"),
])
def test_a_bad_change_is_a_422_naming_its_field(app: tuple[TestClient, FakeClock], change: dict[str, Any],
                                                field: str) -> None:
    client, _ = app
    response = client.post(f"{HALL}/whatif", headers=login(client, "manager"), json={"changes": [change]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and field in error["message"]


def test_who_may_ask_and_when_history_is_missing(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    assert client.post(f"{HALL}/whatif", json={}).status_code == 401
    clerk = login(client, "clerk07")
    assert client.post(f"{HALL}/whatif", headers=clerk, json={}).status_code == 403
    assert client.get(f"{HALL}/whatif/policies", headers=clerk).status_code == 403
    admin = login(client, "admin")
    assert client.post("/api/v1/halls/atlantis/whatif", headers=admin, json={}).status_code == 404
    clock.advance(86_400)  # Thursday: no Thursday in the history
    response = client.post(f"{HALL}/whatif", headers=admin, json={})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_enough_history"
    assert "历史数据不足" in response.json()["error"]["message"]


def test_the_policies_compared_over_last_month(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    manager = login(client, "manager")
    response = client.get(f"{HALL}/whatif/policies?month=2026-11", headers=manager)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["month"] == "2026-11" and answer["days"] == 1 and answer["weekdays"] == ["周三×1"]
    assert [p["kind"] for p in answer["policies"]] == ["guarded", "strict", "ratio", "weighted"]
    assert [p["current"] for p in answer["policies"]] == [True, False, False, False]
    rows = {p["kind"]: p for p in answer["policies"]}
    for row in rows.values():
        assert row["walk_in"]["visitors"] > 300 and 20 < row["priority"]["visitors"] < 80
        assert row["walk_in"]["p90_wait_s"] is not None and row["priority"]["p90_wait_s"] is not None
    # strict priority serves the priority visitors first: theirs is the shortest p90 of all
    assert rows["strict"]["priority"]["p90_wait_s"] == min(r["priority"]["p90_wait_s"] for r in rows.values())
    # the default month is the last one: October holds nothing
    missing = client.get(f"{HALL}/whatif/policies", headers=manager)
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "not_enough_history"
    assert "2026-10" in missing.json()["error"]["message"]
    for bad in ("2026-13", "26-11", "2026-1x"):
        refused = client.get(f"{HALL}/whatif/policies?month={bad}", headers=manager)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "month"
    future = client.get(f"{HALL}/whatif/policies?month=2027-01", headers=manager)
    assert future.status_code == 422
    clock.advance(31 * 86_400)  # in December, the default month is November
    assert client.get(f"{HALL}/whatif/policies", headers=manager).json()["month"] == "2026-11"
