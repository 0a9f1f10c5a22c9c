"""One visitor's whole day through the hall (issue 8's "done when"): booked, checked in at the
kiosk, called and served; the application accepted as a case, reviewed by its department, made
ready and collected; the case's live feed (what /c/{token} shows) sees every step, and each of
the visitor's messages is queued once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from devices.idcard.emulator import demo_card
from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed

HALL = "/api/v1/halls/jinan"
VISITOR = demo_card(45, name="王小明", sequence=77)
PHONE = "13912345678"


@pytest.fixture
def app(sqlite_url: str) -> Iterator[TestClient]:
    seed(sqlite_url)
    clock = FakeClock(datetime(2026, 11, 25, 1, 50, tzinfo=UTC))  # Wednesday 09:50 in the hall
    with TestClient(create_app(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning"), clock),
                    base_url="http://testserver") as client:
        yield client


def outbox(client: TestClient, manager: dict[str, str], kinds: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        rows: list[dict[str, Any]] = client.get(f"{HALL}/notifications", headers=manager).json()
        if len(rows) >= kinds or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_booked_checked_in_served_accepted_reviewed_ready_collected(app: TestClient) -> None:
    manager = login(app, "manager")
    booking = app.post(f"{HALL}/appointments", json={
        "queue": "B", "date": "2026-11-25", "slot": "10:00", "name": "王小明", "id_number": VISITOR.id_number,
        "phone": PHONE}).json()
    ticket = app.post(f"{HALL}/tickets", json={"queue": "B", "appointment_code": booking["code"]}, headers=KIOSK)
    assert ticket.status_code == 201 and ticket.json()["channel"] == "appointment"

    clerk = login(app, "clerk04")
    app.post(f"{HALL}/counters/4/open", headers=clerk)
    called = app.post(f"{HALL}/counters/4/call-next", headers=clerk).json()
    assert called["number"] == ticket.json()["number"]
    current = app.get(f"{HALL}/counters/4/current", headers=clerk).json()
    assert current["appointment"]["name"] == "王小明"  # what the counter page shows of the booked visitor
    app.post(f"{HALL}/counters/4/start", headers=clerk)

    case = app.post(f"{HALL}/cases", headers=clerk, json={
        "item": "B02", "ticket_id": called["id"],
        "applicant": {"name": "王小明", "id_number": VISITOR.id_number, "phone": PHONE}})
    assert case.status_code == 201, case.text
    receipt, token = case.json()["receipt_no"], case.json()["status_token"]
    app.post(f"{HALL}/counters/4/finish", headers=clerk)

    dept = login(app, "dept-scjg")
    seen: list[str] = []
    with app.websocket_connect(f"/ws/cases/{token}") as feed:
        assert feed.receive_json()["case"]["status"] == "accepted"
        for status, who in (("in_review", dept), ("approved", dept), ("ready", dept)):
            assert app.post(f"/api/v1/cases/{receipt}/events", json={"status": status}, headers=who).status_code == 200
            seen.append(feed.receive_json()["case"]["status"])
        collected = app.post(f"/api/v1/cases/{receipt}/events", headers=clerk, json={
            "status": "collected", "collector": {"name": "王小明", "id_number": VISITOR.id_number}})
        assert collected.status_code == 200, collected.text
        last = feed.receive_json()["case"]
        seen.append(last["status"])
    assert seen == ["in_review", "approved", "ready", "collected"]
    steps = sorted(last["timeline"], key=lambda step: step["at"])
    assert [step["status"] for step in steps][-5:] == ["accepted", "in_review", "approved", "ready", "collected"]

    rows = outbox(app, manager, 3)
    assert sorted(r["kind"] for r in rows) == ["ahead", "called", "case_ready"]  # once each
    assert all("王" not in r["text"] and VISITOR.id_number[-4:] not in r["text"] for r in rows)
