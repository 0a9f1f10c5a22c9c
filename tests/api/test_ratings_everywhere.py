"""好差评 from the visitor's own page (/api/v1/tickets/{token}/rating) and the kiosk
(/api/v1/halls/{hall}/ratings): one table, one rating per service whatever the source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.conftest import HALL_MORNING

from .conftest import KIOSK, SECRET, login, seed
from .test_ratings import rate, stored

HALL = "/api/v1/halls/jinan"


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[TestClient, FakeClock]]:
    seed(database_url)
    clock = FakeClock(HALL_MORNING)
    settings = Settings(database_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings, clock=clock), base_url="http://testserver") as client:
        yield client, clock


def issue(client: TestClient, queue: str = "A") -> dict[str, Any]:
    response = client.post(f"{HALL}/tickets", json={"queue": queue}, headers=KIOSK)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def serve(client: TestClient, counter: int = 1, clerk: str = "clerk01") -> dict[str, Any]:
    """Issues, calls and finishes one ticket of queue A at the counter; the ticket with its token."""
    ticket = issue(client)
    headers = login(client, clerk)
    base = f"{HALL}/counters/{counter}"
    client.post(f"{base}/open", headers=headers)
    assert client.post(f"{base}/call-next", headers=headers).json()["id"] == ticket["id"]
    assert client.post(f"{base}/finish", headers=headers).status_code == 200
    return ticket


def test_the_visitor_rates_from_their_phone_once(database_url: str, app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    ticket = serve(client)
    url = f"/api/v1/tickets/{ticket['status_token']}/rating"
    assert client.get(url).json() == {"ratable": True, "rated": False}
    made = client.post(url, json={"level": "非常不满意", "reasons": ["服务态度差"], "comment": "态度不好"})
    assert made.status_code == 201, made.text
    assert made.json()["ticket"] == ticket["number"] and made.json()["level"] == 1
    assert client.get(url).json() == {"ratable": False, "rated": True}
    again = client.post(url, json={"level": 5})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    # the tablet of the counter cannot rate it a second time either
    tablet = rate(client, 1, {"ticket_id": ticket["id"], "level": 5})
    assert tablet.status_code == 409 and tablet.json()["error"]["code"] == "already_rated"
    [row] = stored(database_url)
    assert (row.ticket_id, row.counter, row.clerk, row.level, row.reasons, row.comment, row.source) == (
        ticket["id"], 1, "clerk01", 1, ["服务态度差"], "态度不好", "phone")


def test_the_phone_cannot_rate_what_is_not_finished_or_too_old(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    done = serve(client)
    waiting = issue(client)
    url = f"/api/v1/tickets/{waiting['status_token']}/rating"
    assert client.get(url).json() == {"ratable": False, "rated": False}
    refused = client.post(url, json={"level": 5})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_ratable"
    assert client.post("/api/v1/tickets/nope/rating", json={"level": 5}).status_code == 404
    clock.advance(25 * 3600)  # more than a day after the service
    late = client.post(f"/api/v1/tickets/{done['status_token']}/rating", json={"level": 5})
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_ratable"


def test_reasons_only_for_the_unhappy_levels(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    ticket = serve(client)
    url = f"/api/v1/tickets/{ticket['status_token']}/rating"
    bad = client.post(url, json={"level": 5, "reasons": ["其他"]})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "reasons"
    assert client.post(url, json={"level": 3, "extra": 1}).status_code == 422
    assert client.post(url, json={"level": "很好"}).status_code == 422


def test_the_kiosk_rates_todays_finished_ticket_by_number(database_url: str,
                                                          app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    ticket = serve(client, counter=2, clerk="clerk02")
    url = f"{HALL}/ratings"
    made = client.post(url, json={"ticket_number": ticket["number"].lower(), "level": 4}, headers=KIOSK)
    assert made.status_code == 201, made.text
    again = client.post(url, json={"ticket_number": ticket["number"], "level": 1}, headers=KIOSK)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    phone = client.post(f"/api/v1/tickets/{ticket['status_token']}/rating", json={"level": 1})
    assert phone.status_code == 409
    [row] = stored(database_url)
    assert (row.counter, row.clerk, row.level, row.source) == (2, "clerk02", 4, "kiosk")


def test_the_kiosk_refuses_unknown_unfinished_and_other_callers(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    url = f"{HALL}/ratings"
    serve(client)
    unknown = client.post(url, json={"ticket_number": "A999", "level": 5}, headers=KIOSK)
    assert unknown.status_code == 404
    waiting = issue(client)
    early = client.post(url, json={"ticket_number": waiting["number"], "level": 5}, headers=KIOSK)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_ratable"
    client.cookies.clear()  # the clerk's sign-in above left a session cookie
    assert client.post(url, json={"ticket_number": waiting["number"], "level": 5}).status_code == 401
    clerk = client.post(url, json={"ticket_number": waiting["number"], "level": 5}, headers=login(client, "clerk01"))
    assert clerk.status_code == 403
    assert client.post(url, json={"ticket_number": "12", "level": 5}, headers=KIOSK).status_code == 422
