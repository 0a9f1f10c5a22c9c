"""Issue 14 through the API, on the hall's test clock: the calling order a busy hall sees, and the
first counter actions after midnight and after a server stopped overnight."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed

HALL = "/api/v1/halls/jinan"
MORNING = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in the hall


def started(url: str, clock: FakeClock) -> TestClient:
    return TestClient(create_app(Settings(url, None, SECRET, True, "NORMAL", "warning"), clock),
                      base_url="http://testserver")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MORNING)


@pytest.fixture
def hall(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    seed(sqlite_url)
    with started(sqlite_url, clock) as client:
        yield client


def issue(client: TestClient, queue: str, priority: str = "none") -> str:
    response = client.post(f"{HALL}/tickets", json={"queue": queue, "priority": priority}, headers=KIOSK)
    assert response.status_code == 201, response.text
    number: str = response.json()["number"]
    return number


def test_an_elderly_visitor_is_called_before_walk_ins_who_waited_past_t(hall: TestClient, clock: FakeClock) -> None:
    """Five walk-ins in C; 20 minutes later an elderly visitor (C006) and two more walk-ins; 20
    minutes later counter 7 opens: C006 first (seed art. 13), then the walk-ins in order."""
    for _ in range(5):
        issue(hall, "C")
    clock.advance(20 * 60)
    elder = issue(hall, "C", "elderly")
    issue(hall, "C")
    issue(hall, "C")
    clock.advance(20 * 60)
    clerk = login(hall, "clerk07")
    assert hall.post(f"{HALL}/counters/7/open", headers=clerk).status_code == 200
    called = []
    for _ in range(8):
        called.append(hall.post(f"{HALL}/counters/7/call-next", headers=clerk).json()["number"])
        hall.post(f"{HALL}/counters/7/finish", headers=clerk)
    assert elder == "C006"
    assert called == ["C006", "C001", "C002", "C003", "C004", "C005", "C007", "C008"]


def test_first_call_after_midnight_is_refused_and_the_display_shows_one_a001(
        hall: TestClient, clock: FakeClock) -> None:
    clerk = login(hall, "clerk01")
    hall.post(f"{HALL}/counters/1/open", headers=clerk)
    yesterday = issue(hall, "A")
    clock.advance(15 * 3600 + 5)  # 00:00:05 the next day
    refused = hall.post(f"{HALL}/counters/1/call-next", headers=clerk)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "counter_closed"
    snapshot = hall.get(f"{HALL}/snapshot").json()
    assert snapshot["counters"][0]["status"] == "closed" and snapshot["recent_calls"] == []
    assert hall.post(f"{HALL}/counters/1/open", headers=clerk).status_code == 200
    today = issue(hall, "A")
    called = hall.post(f"{HALL}/counters/1/call-next", headers=clerk).json()
    assert yesterday == today == "A001" and called["issued_at"].startswith("2026-11-26")
    calls = hall.get(f"{HALL}/snapshot").json()["recent_calls"]
    assert [(c["ticket"]["number"], c["ticket"]["issued_at"][:10]) for c in calls] == [("A001", "2026-11-26")]


def test_a_server_stopped_overnight_with_a_counter_open_closes_it_at_the_first_action(
        sqlite_url: str, clock: FakeClock) -> None:
    seed(sqlite_url)
    with started(sqlite_url, clock) as client:
        clerk = login(client, "clerk01")
        client.post(f"{HALL}/counters/1/open", headers=clerk)
        issue(client, "A")
        client.post(f"{HALL}/counters/1/call-next", headers=clerk)
        held = issue(client, "A")
    clock.advance(23 * 3600)  # 08:00 the next morning
    with started(sqlite_url, clock) as client:
        clerk = login(client, "clerk01")
        for action in ("finish", "call-next", "recall", "no-show"):
            response = client.post(f"{HALL}/counters/1/{action}", headers=clerk)
            assert response.status_code == 409, (action, response.text)
            assert response.json()["error"]["code"] == "counter_closed"
        assert client.post(f"{HALL}/counters/1/open", headers=clerk).status_code == 200
        assert client.post(f"{HALL}/counters/1/call-next", headers=clerk).status_code == 204  # yesterday's gone
        assert held == "A002" and issue(client, "A") == "A001"
