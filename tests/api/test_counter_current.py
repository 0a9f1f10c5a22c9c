"""GET /halls/{hall}/counters/{n}/current: the clerk's view of the counter's current ticket, with the
booking behind an appointment ticket or the case behind an L (查询发证) ticket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed
from tests.api.test_appointments import booking, idn
from tests.api.test_cases import APPLICANT, PHONE, to_ready
from tests.conftest import HALL_MORNING

HALL = "/api/v1/halls/jinan"


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[TestClient, FakeClock]]:
    seed(database_url)
    clock = FakeClock(HALL_MORNING)  # Wednesday 2026-11-25, 09:00 in the hall
    settings = Settings(database_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings, clock=clock), base_url="http://testserver") as client:
        yield client, clock


def test_an_appointment_ticket_shows_the_booking(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    made = client.post(f"{HALL}/appointments", json=booking(1, slot="10:00"))
    assert made.status_code == 201, made.text
    clock.advance(45 * 60)  # 09:45: the arrival window of the 10:00 slot opens
    ticket = client.post(f"{HALL}/tickets", json={"queue": "A", "appointment_code": made.json()["code"]},
                         headers=KIOSK)
    assert ticket.status_code == 201 and ticket.json()["channel"] == "appointment", ticket.text
    clerk = login(client, "clerk01")
    assert client.post(f"{HALL}/counters/1/current", headers=clerk).status_code == 405  # GET only
    assert client.post(f"{HALL}/counters/1/open", headers=clerk).status_code == 200
    idle = client.get(f"{HALL}/counters/1/current", headers=clerk)
    assert idle.status_code == 200 and idle.json() == {"ticket": None, "visitor": None, "appointment": None,
                                                       "case": None}
    assert client.post(f"{HALL}/counters/1/call-next", headers=clerk).status_code == 200
    current = client.get(f"{HALL}/counters/1/current", headers=clerk)
    assert current.status_code == 200, current.text
    body = current.json()
    assert body["ticket"]["id"] == ticket.json()["id"] and body["ticket"]["status"] == "called"
    assert body["appointment"] == {"name": "张三丰", "id_last4": idn(1)[-4:], "slot": "10:00",
                                   "code": made.json()["code"], "queue_name": "社会民生类", "item": None}
    assert body["case"] is None and body["visitor"] is None
    manager = client.get(f"{HALL}/counters/1/current", headers=login(client, "manager"))
    assert manager.status_code == 200 and manager.json()["appointment"]["name"] == "张三丰"
    other = client.get(f"{HALL}/counters/1/current", headers=login(client, "clerk02"))
    assert other.status_code == 403
    assert client.get(f"{HALL}/counters/99/current", headers=clerk).status_code == 404



def test_an_appointment_ticket_shows_the_booked_item(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    made = client.post(f"{HALL}/appointments", json={**booking(2, slot="10:00"), "item": "a04"})
    assert made.status_code == 201, made.text
    clock.advance(45 * 60)
    ticket = client.post(f"{HALL}/tickets", json={"queue": "A", "appointment_code": made.json()["code"]},
                         headers=KIOSK)
    assert ticket.status_code == 201, ticket.text
    clerk = login(client, "clerk01")
    assert client.post(f"{HALL}/counters/1/open", headers=clerk).status_code == 200
    assert client.post(f"{HALL}/counters/1/call-next", headers=clerk).status_code == 200
    body = client.get(f"{HALL}/counters/1/current", headers=clerk).json()
    assert body["appointment"]["item"] == {"code": "A04", "name": "就业创业证申领"}

def test_an_l_ticket_shows_its_ready_case(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    clerk4 = login(client, "clerk04")
    assert client.post(f"{HALL}/counters/4/open", headers=clerk4).status_code == 200
    received = client.post(f"{HALL}/cases", headers=clerk4, json={
        "item": "B02", "applicant": {"name": "王小明", "id_number": APPLICANT.id_number, "phone": PHONE}})
    assert received.status_code == 201, received.text
    receipt = received.json()["receipt_no"]
    to_ready(client, receipt)
    pickup = client.post(f"/api/v1/cases/{receipt}/pickup-ticket", json={"check": PHONE[-4:]}, headers=KIOSK)
    assert pickup.status_code == 201, pickup.text
    clerk11 = login(client, "clerk11")
    assert client.post(f"{HALL}/counters/11/open", headers=clerk11).status_code == 200
    called = client.post(f"{HALL}/counters/11/call-next", headers=clerk11)
    assert called.status_code == 200 and called.json()["id"] == pickup.json()["id"]
    body = client.get(f"{HALL}/counters/11/current", headers=clerk11).json()
    assert body["appointment"] is None and body["ticket"]["queue"] == "L"
    case = body["case"]
    assert case["receipt_no"] == receipt and case["status"] == "ready" and case["status_label"]
    assert case["item"]["code"] == "B02" and case["applicant"] == {"masked_name": "王*明"}
    assert APPLICANT.id_number not in str(body) and PHONE not in str(body)
    assert client.get(f"{HALL}/counters/11/current", headers=clerk4).status_code == 403


def test_a_walk_in_has_neither_booking_nor_case(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    clerk = login(client, "clerk01")
    assert client.post(f"{HALL}/counters/1/open", headers=clerk).status_code == 200
    assert client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK).status_code == 201
    assert client.post(f"{HALL}/counters/1/call-next", headers=clerk).status_code == 200
    body = client.get(f"{HALL}/counters/1/current", headers=clerk).json()
    assert body["ticket"]["number"] == "A001" and body["appointment"] is None and body["case"] is None
