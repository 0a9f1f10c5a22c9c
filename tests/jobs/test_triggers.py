"""Which hall events become a visitor's message, and that each is queued once (embedded runner:
delivered in-process to the outbox table, which managers list)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient
from stdnum.cn import ric

from server.app import create_app
from server.domain.clock import FakeClock
from server.jobs.triggers import HallNotifier
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed

HALL = "/api/v1/halls/jinan"
PHONE = "13800138000"
AT_0950 = datetime(2026, 11, 25, 1, 50, tzinfo=UTC)  # Wednesday 09:50 in the hall


def idn(i: int) -> str:
    body = f"11010519800101{i:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def hall(sqlite_url: str) -> Iterator[tuple[TestClient, FakeClock]]:
    seed(sqlite_url)
    clock = FakeClock(AT_0950)
    settings = Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings, clock), base_url="http://testserver") as client:
        yield client, clock


def messages(client: TestClient, manager: dict[str, str], count: int, wait: float = 10) -> list[dict[str, Any]]:
    """The outbox as managers see it, once ``count`` messages are there (delivery is a background job)
    or ``wait`` seconds have passed."""
    deadline = time.monotonic() + wait
    while True:
        rows: list[dict[str, Any]] = client.get(f"{HALL}/notifications", headers=manager).json()
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def book(client: TestClient, i: int, day: str, slot: str) -> str:
    response = client.post(f"{HALL}/appointments", json={"queue": "A", "date": day, "slot": slot, "name": "张三丰",
                                                         "id_number": idn(i), "phone": PHONE})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def test_a_booked_visitor_hears_when_near_the_front_and_when_called_once_each(
        hall: tuple[TestClient, FakeClock]) -> None:
    client, _ = hall
    manager = login(client, "manager")
    for _ in range(5):
        client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK)  # walk-ins without a phone: no messages
    code = book(client, 1, "2026-11-25", "10:00")
    ticket = client.post(f"{HALL}/tickets", json={"queue": "A", "appointment_code": code}, headers=KIOSK).json()
    assert ticket["channel"] == "appointment"
    rows = messages(client, manager, 1)
    assert [r["kind"] for r in rows] == ["ahead"]
    assert ticket["number"] in rows[0]["text"] and "张" not in rows[0]["text"]
    assert rows[0]["to_phone"] == "138****8000"  # masked in the list

    clerk = login(client, "clerk01")
    client.post(f"{HALL}/counters/1/open", headers=clerk)
    called = client.post(f"{HALL}/counters/1/call-next", headers=clerk).json()
    assert called["number"] == ticket["number"]  # the appointment goes ahead of the walk-ins
    client.post(f"{HALL}/counters/1/recall", headers=clerk)  # a recall does not send it again
    client.post(f"{HALL}/counters/1/finish", headers=clerk)
    client.post(f"{HALL}/counters/1/call-next", headers=clerk)
    rows = messages(client, manager, 2)
    assert sorted(r["kind"] for r in rows) == ["ahead", "called"]
    said = next(r for r in rows if r["kind"] == "called")["text"]
    assert ticket["number"] in said and "1 号窗口" in said.replace("1号窗口", "1 号窗口")
    assert len(messages(client, manager, 3, wait=1)) == 2  # nothing more for the walk-ins


def test_a_case_made_ready_tells_the_applicant_once(hall: tuple[TestClient, FakeClock]) -> None:
    client, _ = hall
    manager = login(client, "manager")
    clerk = login(client, "clerk04")
    client.post(f"{HALL}/counters/4/open", headers=clerk)
    case = client.post(f"{HALL}/cases", headers=clerk, json={
        "item": "B02", "applicant": {"name": "王小明", "id_number": idn(7), "phone": "13912345678"}}).json()
    dept = login(client, "dept-scjg")
    for status in ("in_review", "approved", "ready"):
        moved = client.post(f"/api/v1/cases/{case['receipt_no']}/events", json={"status": status}, headers=dept)
        assert moved.status_code == 200, moved.text
    rows = messages(client, manager, 1)
    assert [r["kind"] for r in rows] == ["case_ready"]
    assert case["receipt_no"][-4:] in rows[0]["text"] and "王" not in rows[0]["text"]


def test_the_evening_before_each_booking_gets_a_reminder_once(hall: tuple[TestClient, FakeClock]) -> None:
    client, clock = hall
    manager = login(client, "manager")
    book(client, 2, "2026-11-26", "14:30")
    book(client, 3, "2026-11-27", "09:00")  # the day after: not yet
    context = client.app_state["ctx"]
    notifier = HallNotifier(context)
    portal = client.portal
    assert portal is not None  # the TestClient runs the app's loop while its `with` block lasts
    assert portal.call(notifier.remind_tomorrow) == 0  # 09:50: too early in the day
    clock.advance(timedelta(hours=8, minutes=40).total_seconds())  # 18:30
    assert portal.call(notifier.remind_tomorrow) == 1
    assert portal.call(notifier.remind_tomorrow) == 0  # once per evening here …
    rows = messages(client, manager, 1)
    assert [r["kind"] for r in rows] == ["appointment_reminder"]
    assert "明天 14:30" in rows[0]["text"]
    fresh = HallNotifier(context)  # … and once in all: another process queues it again, the key keeps it single
    assert portal.call(fresh.remind_tomorrow) == 1
    assert len(messages(client, manager, 2, wait=1)) == 1
