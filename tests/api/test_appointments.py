"""Appointments over HTTP, in process, with a clock the tests move (hall time Asia/Shanghai)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient
from stdnum.cn import ric

from server.app import create_app
from server.domain.clock import FakeClock
from server.domain.identity import card_holder
from server.services.cards import sign_holder
from server.settings import Settings

from .conftest import KIOSK, SECRET, login, seed

HALL = "/api/v1/halls/jinan"
BOOK = f"{HALL}/appointments"
SLOTS = f"{HALL}/appointments/slots"
TICKETS = f"{HALL}/tickets"
C1 = f"{HALL}/counters/1"
DAY_SECONDS = 24 * 3600


def idn(i: int) -> str:
    """A valid 18-character ID number, different for each ``i``."""
    body = f"11010519800101{i:03d}"
    return body + ric.calc_check_digit(body + "0")


def jinan(born: int, region: str = "350111") -> str:
    """A valid number of a resident born in ``born``, of a district stdnum dates from later on."""
    body = f"{region}{born}0312{born % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def booking(i: int = 1, *, queue: str = "A", day: str = "2026-11-25", slot: str = "10:00") -> dict[str, str]:
    return {"queue": queue, "date": day, "slot": slot, "name": "张三丰", "id_number": idn(i), "phone": "13800138000"}


Client = tuple[TestClient, FakeClock]


@pytest.fixture
def hall_at(database_url: str) -> Iterator[Callable[[datetime], Client]]:
    """The app on SQLite and PostgreSQL, with a FakeClock starting at the given instant (one app per test)."""
    opened: list[Any] = []

    def start(at: datetime) -> Client:
        seed(database_url)
        clock = FakeClock(at)
        settings = Settings(database_url, None, SECRET, True, "NORMAL", "warning")
        client = TestClient(create_app(settings, clock=clock), base_url="http://testserver")
        client.__enter__()
        opened.append(client)
        return client, clock

    yield start
    for client in opened:
        client.__exit__(None, None, None)


def shanghai(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh - 8, mm, tzinfo=UTC) if hh >= 8 else datetime(y, m, d - 1, hh + 16, mm, tzinfo=UTC)


@pytest.fixture
def app(hall_at: Callable[[datetime], Client]) -> Client:
    return hall_at(shanghai(2026, 11, 25, 9))  # Wednesday 09:00 in the hall


def slot_of(client: TestClient, day: str, slot: str, queue: str = "A") -> dict[str, Any]:
    rows = client.get(SLOTS, params={"queue": queue, "date": day}).json()
    return next(r for r in rows if r["slot"] == slot)


def test_a_booking_gets_a_short_code_and_takes_a_place(app: Client) -> None:
    client, _ = app
    before = slot_of(client, "2026-11-25", "10:00")
    assert before == {"slot": "10:00", "end": "10:30", "capacity": 4, "booked": 0, "remaining": 4,
                      "available": True}
    made = client.post(BOOK, json=booking())
    assert made.status_code == 201, made.text
    body = made.json()
    assert {k: body[k] for k in ("queue", "date", "slot", "status")} == {
        "queue": "A", "date": "2026-11-25", "slot": "10:00", "status": "booked"}
    assert len(body["code"]) == 6 and body["code"].isalnum()
    assert body["name"] == "张*丰" and "id_number" not in body and "phone" not in body
    assert body["arrive_from"] == "2026-11-25T09:45:00+08:00"
    assert body["arrive_until"] == "2026-11-25T10:30:00+08:00"
    assert body["cancel_token"]
    assert slot_of(client, "2026-11-25", "10:00")["booked"] == 1
    # the morning's started slots cannot be booked any more
    assert slot_of(client, "2026-11-25", "08:30")["available"] is False
    slots = client.get(SLOTS, params={"queue": "A", "date": "2026-11-26"}).json()
    assert [s["slot"] for s in slots][:3] == ["08:30", "09:00", "09:30"] and len(slots) == 14


def test_a_full_slot_and_a_second_booking_of_the_same_id_are_409(app: Client) -> None:
    client, _ = app
    for i in range(4):
        assert client.post(BOOK, json=booking(i)).status_code == 201
    full = client.post(BOOK, json=booking(9))
    assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
    assert slot_of(client, "2026-11-25", "10:00")["available"] is False
    again = client.post(BOOK, json=booking(0, slot="11:00"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_booked"
    assert client.post(BOOK, json=booking(0, queue="B", slot="11:00")).status_code == 201
    assert client.post(BOOK, json=booking(0, day="2026-11-26", slot="11:00")).status_code == 201


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"id_number": wrong_check_digit(idn(1))}, "id_number", "invalid_id_number"),
    ({"id_number": "12345"}, "id_number", "invalid_id_number"),
    ({"phone": "12345"}, "phone", "invalid_field"),
    ({"date": "2026-13-01"}, "date", "invalid_field"),
    ({"slot": "9am"}, "slot", "invalid_field"),
    ({"slot": "09:10"}, "slot", "invalid_slot"),
    ({"slot": "08:30"}, "slot", "slot_past"),
    ({"date": "2026-11-24"}, "date", "date_past"),
    ({"date": "2026-12-03"}, "date", "date_too_far"),
    ({"date": "2026-11-28"}, "date", "day_closed"),  # a Saturday
    ({"queue": "Z"}, "queue", "queue_not_bookable"),
])
def test_bad_bookings_are_422_naming_the_field(app: Client, change: dict[str, str], field: str, code: str) -> None:
    client, _ = app
    refused = client.post(BOOK, json={**booking(), **change})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == field
    assert refused.json()["error"]["code"] == code



def test_a_booking_may_name_an_item_of_its_queue(app: Client) -> None:
    client, _ = app
    made = client.post(BOOK, json={**booking(), "item": " a04 "})
    assert made.status_code == 201, made.text
    assert made.json()["item"] == {"code": "A04", "name": "就业创业证申领"}
    plain = client.post(BOOK, json=booking(2))
    assert plain.status_code == 201 and plain.json()["item"] is None
    listed = client.get(BOOK, headers=login(client, "clerk01")).json()
    assert {row["code"]: row["item"] for row in listed} == {
        made.json()["code"]: {"code": "A04", "name": "就业创业证申领"}, plain.json()["code"]: None}
    cancelled = client.post(f"/api/v1/appointments/{made.json()['code']}/cancel",
                            json={"cancel_token": made.json()["cancel_token"]})
    assert cancelled.status_code == 200 and cancelled.json()["item"] == {"code": "A04", "name": "就业创业证申领"}


@pytest.mark.parametrize(("item", "code"), [
    ("B01", "item_not_in_queue"),  # 个体工商户设立登记 is a B item
    ("A99", "unknown_item"),
    ("A" * 33, "invalid_field"),
])
def test_an_item_of_another_queue_or_unknown_is_422(app: Client, item: str, code: str) -> None:
    client, _ = app
    refused = client.post(BOOK, json={**booking(), "item": item})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "item"
    assert refused.json()["error"]["code"] == code
    assert slot_of(client, "2026-11-25", "10:00")["booked"] == 0

@pytest.mark.parametrize(("born", "region"), [(1950, "350111"), (1960, "350111"), (1950, "350181"),
                                              (1960, "350181")])
def test_older_residents_of_districts_named_since_may_book(app: Client, born: int, region: str) -> None:
    client, _ = app
    booked = client.post(BOOK, json={**booking(), "id_number": jinan(born, region)})
    assert booked.status_code == 201, booked.text


@pytest.mark.parametrize(("number", "part"), [(jinan(2027), "出生日期"), (wrong_check_digit(jinan(1950)), "校验位"),
                                              (jinan(1950)[:17], "18位")])
def test_a_refused_id_number_says_which_part_is_wrong(app: Client, number: str, part: str) -> None:
    client, _ = app
    refused = client.post(BOOK, json={**booking(), "id_number": number}).json()["error"]
    assert refused["code"] == "invalid_id_number" and part in refused["message"], refused


def test_unknown_queue_or_hall_is_404(app: Client) -> None:
    client, _ = app
    assert client.post(BOOK, json=booking(queue="Q")).status_code == 404
    assert client.post("/api/v1/halls/nowhere/appointments", json=booking()).status_code == 404
    assert client.get(SLOTS, params={"queue": "Q", "date": "2026-11-26"}).status_code == 404
    missing = client.get(SLOTS, params={"date": "2026-11-26"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "queue"
    bad = client.get(SLOTS, params={"queue": "A", "date": "tomorrow"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "date"


def test_national_day_is_closed_and_an_adjusted_working_saturday_open(hall_at: Callable[[datetime], Client]) -> None:
    client, clock = hall_at(shanghai(2026, 9, 28, 9))
    assert client.get(SLOTS, params={"queue": "A", "date": "2026-10-01"}).json() == []
    closed = client.post(BOOK, json=booking(day="2026-10-01"))
    assert closed.status_code == 422 and closed.json()["error"]["code"] == "day_closed"
    clock.advance(10 * DAY_SECONDS)  # 2026-10-08
    saturday = client.get(SLOTS, params={"queue": "A", "date": "2026-10-10"}).json()  # 调休 working Saturday
    assert date(2026, 10, 10).weekday() == 5 and len(saturday) == 14
    assert client.post(BOOK, json=booking(day="2026-10-10")).status_code == 201


def test_bookings_are_rate_limited_per_address(app: Client) -> None:
    client, _ = app
    for i in range(10):
        client.post(BOOK, json=booking(i, slot=f"{14 + i // 4}:{'00' if i % 2 == 0 else '30'}"))
    limited = client.post(BOOK, json=booking(20, slot="16:00"))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json()["error"]["code"] == "rate_limited"


def test_the_visitor_cancels_with_the_token_or_the_last_four(app: Client) -> None:
    client, _ = app
    first = client.post(BOOK, json=booking(1)).json()
    second = client.post(BOOK, json=booking(2)).json()
    wrong = client.post(f"/api/v1/appointments/{first['code']}/cancel", json={"cancel_token": "nope"})
    assert wrong.status_code == 404
    assert client.post(f"/api/v1/appointments/{first['code']}/cancel", json={}).status_code == 422
    done = client.post(f"/api/v1/appointments/{first['code'].lower()}/cancel",
                       json={"cancel_token": first["cancel_token"]})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    by_id = client.post(f"/api/v1/appointments/{second['code']}/cancel", json={"id_last4": idn(2)[-4:]})
    assert by_id.status_code == 200 and by_id.json()["status"] == "cancelled"
    assert slot_of(client, "2026-11-25", "10:00")["booked"] == 0
    # a cancelled code does not check in
    refused = client.post(TICKETS, json={"queue": "A", "appointment_code": first["code"]}, headers=KIOSK)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "unknown_appointment"


def test_wrong_cancel_proofs_throttle_that_code_from_that_address(app: Client) -> None:
    """A guessed id_last4 (or cancel_token) is limited per (code, address) with growing delays; the
    right one is refused too while the pair waits, and other bookings still cancel."""
    client, clock = app
    mine, theirs = client.post(BOOK, json=booking(1)).json(), client.post(BOOK, json=booking(2)).json()
    url = f"/api/v1/appointments/{mine['code']}/cancel"
    for guess in range(5):
        proof = {"id_last4": f"{guess:04d}"} if guess % 2 else {"cancel_token": f"guess{guess}"}
        assert client.post(url, json=proof).status_code == 404
    right = {"id_last4": idn(1)[-4:]}
    limited = client.post(url, json=right)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "too_many_attempts"
    first_wait = int(limited.headers["Retry-After"])
    assert first_wait > 0
    other = client.post(f"/api/v1/appointments/{theirs['code']}/cancel", json={"id_last4": idn(2)[-4:]})
    assert other.status_code == 200  # the next visitor from the same address
    clock.advance(first_wait)
    assert client.post(url, json={"id_last4": "9999"}).status_code == 404
    again = client.post(url, json=right)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > first_wait
    clock.advance(int(again.headers["Retry-After"]))
    done = client.post(url, json=right)
    assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_three_no_shows_in_six_months_suspend_booking_for_30_days(app: Client) -> None:
    client, clock = app
    for _ in range(3):  # Wed, Thu, Fri: booked and never came
        assert client.post(BOOK, json=booking(1, day=_hall_day(clock), slot="16:00")).status_code == 201
        clock.advance(DAY_SECONDS)
    clock.advance(2 * DAY_SECONDS)  # Monday 2026-11-30
    banned = client.post(BOOK, json=booking(1, day="2026-11-30", slot="16:00"))
    assert banned.status_code == 403, banned.text
    assert banned.json()["error"]["code"] == "booking_suspended"
    assert "12 月 28 日" in banned.json()["error"]["message"]
    assert client.post(BOOK, json=booking(2, day="2026-11-30", slot="16:00")).status_code == 201


def _hall_day(clock: FakeClock) -> str:
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_check_in_inside_the_window_is_called_before_an_earlier_walk_in(app: Client) -> None:
    client, clock = app
    made = client.post(BOOK, json=booking(1, slot="10:00")).json()
    clock.advance(44 * 60)  # 09:44
    walk_in = client.post(TICKETS, json={"queue": "A"}, headers=KIOSK).json()
    early = client.post(TICKETS, json={"queue": "A", "appointment_code": made["code"]}, headers=KIOSK)
    assert early.status_code == 409 and early.json()["error"]["code"] == "too_early"
    assert "09:45" in early.json()["error"]["message"]
    clock.advance(60)  # 09:45, the window opens
    ticket = client.post(TICKETS, json={"queue": "B", "appointment_code": made["code"]}, headers=KIOSK)
    assert ticket.status_code == 201, ticket.text
    body = ticket.json()
    assert body["channel"] == "appointment" and body["queue"] == "A" and "notice" not in body
    assert body["appointment"]["code"] == made["code"] and body["appointment"]["status"] == "checked_in"
    again = client.post(TICKETS, json={"queue": "A", "appointment_code": made["code"]}, headers=KIOSK)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_checked_in"
    assert again.json()["ticket"]["id"] == body["id"]
    clerk = login(client, "clerk01")
    assert client.post(f"{C1}/open", headers=clerk).status_code == 200
    called = client.post(f"{C1}/call-next", headers=clerk).json()
    assert called["number"] == body["number"] != walk_in["number"]
    staff = client.get(BOOK, headers=clerk).json()
    assert staff[0]["name"] == "张三丰" and staff[0]["status"] == "checked_in"
    assert staff[0]["ticket_id"] == body["id"]


def test_a_late_check_in_gets_a_walk_in_ticket_with_a_notice(app: Client) -> None:
    client, clock = app
    made = client.post(BOOK, json=booking(1, slot="09:30")).json()
    clock.advance(60 * 60)  # 10:00: the slot's last instant still counts
    clock.advance(1)
    late = client.post(TICKETS, json={"queue": "A", "appointment_code": made["code"]}, headers=KIOSK)
    assert late.status_code == 201, late.text
    assert late.json()["channel"] == "kiosk" and late.json()["notice"] == "您已超过预约时段，已为您取普通号"


def test_unknown_and_other_days_codes_are_404(app: Client) -> None:
    client, _ = app
    tomorrow = client.post(BOOK, json=booking(1, day="2026-11-26")).json()
    for code in (tomorrow["code"], "XXXXXX"):
        refused = client.post(TICKETS, json={"queue": "A", "appointment_code": code}, headers=KIOSK)
        assert refused.status_code == 404
        assert refused.json()["error"] == {"code": "unknown_appointment", "field": "appointment_code",
                                           "message": refused.json()["error"]["message"]}
    bare = client.post(TICKETS, json={"queue": "A", "channel": "appointment"}, headers=KIOSK)
    assert bare.status_code == 422 and bare.json()["error"]["field"] == "appointment_code"


def test_the_kiosk_finds_todays_booking_by_id_card(app: Client) -> None:
    client, clock = app
    made = client.post(BOOK, json=booking(3, slot="10:00")).json()
    holder = card_holder(SECRET, name="张三丰", gender="男", nation="汉", birth=date(1980, 1, 1), id_number=idn(3),
                         today=date(2026, 11, 25))
    token = sign_holder(SECRET, holder)
    found = client.get(f"{BOOK}/by-card", params={"card_token": token}, headers=KIOSK)
    assert found.status_code == 200, found.text
    assert {k: found.json()[k] for k in ("code", "queue", "slot", "status")} == {
        "code": made["code"], "queue": "A", "slot": "10:00", "status": "booked"}
    assert client.get(f"{BOOK}/by-card", params={"card_token": token}).status_code == 401
    clerk = login(client, "clerk01")
    assert client.get(f"{BOOK}/by-card", params={"card_token": token}, headers=clerk).status_code == 403
    assert client.get(f"{BOOK}/by-card", params={"card_token": "forged"}, headers=KIOSK).status_code == 422
    other = card_holder(SECRET, name="李四", gender="男", nation="汉", birth=date(1980, 1, 1), id_number=idn(4),
                        today=date(2026, 11, 25))
    assert client.get(f"{BOOK}/by-card", params={"card_token": sign_holder(SECRET, other)},
                      headers=KIOSK).status_code == 404
    clock.advance(45 * 60)
    ticket = client.post(TICKETS, json={"queue": "A", "appointment_code": found.json()["code"],
                                        "card_token": token}, headers=KIOSK)
    assert ticket.status_code == 201 and ticket.json()["channel"] == "appointment"
    assert client.get(f"{BOOK}/by-card", params={"card_token": token}, headers=KIOSK).status_code == 404


def _newcomer_eta(client: TestClient, queue: str) -> int:
    rows = client.get(f"{HALL}/snapshot").json()["queues"]
    return int(next(r for r in rows if r["code"] == queue)["eta_s"])


def test_the_wait_a_newcomer_is_shown_counts_the_bookings_due(hall_at: Callable[[datetime], Client],
                                                               database_url: str) -> None:
    client, clock = hall_at(shanghai(2026, 11, 25, 9))
    assert client.post(f"{C1}/open", headers=login(client, "clerk01")).status_code == 200
    for _ in range(10):  # one counter, five minutes each: a newcomer is called in about 50 minutes
        assert client.post(TICKETS, json={"queue": "A"}, headers=KIOSK).status_code == 201
    clock.advance(60)
    alone = _newcomer_eta(client, "A")
    made = [client.post(BOOK, json=booking(i, slot="09:30")).json() for i in (1, 2, 3)]
    assert all("code" in m for m in made), made
    due = _newcomer_eta(client, "A")
    assert due >= alone + 3 * 300  # three booked visitors due in the 09:30 slot are called first
    # A restarted server (another app on the same database) expects them as well.
    settings = Settings(database_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings, clock=clock), base_url="http://testserver") as restarted:
        assert _newcomer_eta(restarted, "A") == due
    cancelled = client.post(f"/api/v1/appointments/{made[0]['code']}/cancel",
                            json={"cancel_token": made[0]["cancel_token"]})
    assert cancelled.status_code == 200, cancelled.text
    assert alone < _newcomer_eta(client, "A") < due  # two are still due
