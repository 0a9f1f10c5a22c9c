"""Whether the kiosks issue numbers now, as the screens read it (issue 18, opening hours): `GET
/api/v1/halls/{hall}` says `open_now`, and when that changes next (`open_until` while open,
`next_open` while closed), by the hall's opening hours less the minutes before each closing when
the kiosks stop issuing, on the Chinese working calendar (a holiday week closed, an adjusted working
weekend open). The server's own refusal (409 `hall_closed`) agrees at every instant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.domain.clock import FakeClock

from .conftest import KIOSK, login, seed
from .test_settings import HOURS, SETTINGS, WEDNESDAY_9, started

HALL = "/api/v1/halls/jinan"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(WEDNESDAY_9)


@pytest.fixture
def hall(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    seed(sqlite_url)
    with started(sqlite_url, clock) as client:
        yield client


def at(client: TestClient, clock: FakeClock, when: str) -> dict[str, Any]:
    """The hall's answer at ``when`` (hall-local, ISO), with whether a kiosk got a number then."""
    clock.advance((datetime.fromisoformat(when) - clock.now()).total_seconds())
    info: dict[str, Any] = client.get(HALL).json()
    issued = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK)
    assert issued.status_code in (201, 409), issued.text
    assert info["open_now"] == (issued.status_code == 201), (when, info, issued.text)
    return {key: info[key] for key in ("open_now", "open_until", "next_open")}


def test_a_hall_without_hours_is_always_open(hall: TestClient, clock: FakeClock) -> None:
    assert at(hall, clock, "2026-11-29T03:00:00+08:00") == {"open_now": True, "open_until": None, "next_open": None}


def test_open_until_the_kiosks_stop_then_the_next_period(hall: TestClient, clock: FakeClock) -> None:
    assert hall.put(SETTINGS, json={"opening_hours": HOURS}, headers=login(hall, "manager")).status_code == 200
    assert at(hall, clock, "2026-11-25T09:00:00+08:00") == {
        "open_now": True, "open_until": "2026-11-25T11:30:00+08:00", "next_open": None}
    assert at(hall, clock, "2026-11-25T11:29:59+08:00")["open_now"] is True
    assert at(hall, clock, "2026-11-25T11:30:00+08:00") == {  # half an hour before the lunch break
        "open_now": False, "open_until": None, "next_open": "2026-11-25T13:30:00+08:00"}
    assert at(hall, clock, "2026-11-25T13:30:00+08:00") == {
        "open_now": True, "open_until": "2026-11-25T16:30:00+08:00", "next_open": None}
    assert at(hall, clock, "2026-11-25T18:00:00+08:00")["next_open"] == "2026-11-26T09:00:00+08:00"
    assert at(hall, clock, "2026-11-27T17:00:00+08:00")["next_open"] == "2026-11-30T09:00:00+08:00"  # Friday → Monday
    assert at(hall, clock, "2026-11-29T10:00:00+08:00")["open_now"] is False  # a Sunday


def test_the_working_calendar_decides_the_days(sqlite_url: str) -> None:
    """National Day 2025: closed from 1 to 8 October; Saturday 11 October is worked (调休)."""
    seed(sqlite_url)
    clock = FakeClock(datetime(2025, 9, 30, 1, tzinfo=UTC))
    with started(sqlite_url, clock) as hall:
        calendar_days(hall, clock)


def calendar_days(hall: TestClient, clock: FakeClock) -> None:
    assert hall.put(SETTINGS, json={"opening_hours": HOURS}, headers=login(hall, "manager")).status_code == 200
    assert at(hall, clock, "2025-09-30T17:00:00+08:00")["next_open"] == "2025-10-09T09:00:00+08:00"
    assert at(hall, clock, "2025-10-03T10:00:00+08:00")["open_now"] is False
    assert at(hall, clock, "2025-10-10T17:00:00+08:00")["next_open"] == "2025-10-11T09:00:00+08:00"
    assert at(hall, clock, "2025-10-11T10:00:00+08:00")["open_now"] is True
    # rest days with hours of their own
    rest = {"opening_hours": {"rest_day": [{"start": "09:00", "end": "12:00"}]}}
    assert hall.put(SETTINGS, json=rest, headers=login(hall, "manager")).status_code == 200
    assert at(hall, clock, "2025-10-12T08:00:00+08:00")["next_open"] == "2025-10-12T09:00:00+08:00"
