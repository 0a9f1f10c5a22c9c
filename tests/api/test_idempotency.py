"""Idempotency-Key on POST …/tickets (issue 14, docs/idempotency.md): a retry after a lost answer
gets the ticket the first try issued (200), never a second one that a counter would call in vain."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import KIOSK, login

TICKETS = "/api/v1/halls/jinan/tickets"


def waiting(client: TestClient, queue: str) -> int:
    queues = client.get("/api/v1/halls/jinan/snapshot").json()["queues"]
    count: int = next(q for q in queues if q["code"] == queue)["waiting"]
    return count


def test_the_same_key_gives_the_same_ticket_once(client: TestClient) -> None:
    first = client.post(TICKETS, json={"queue": "A"}, headers={**KIOSK, "Idempotency-Key": "press-1"})
    again = client.post(TICKETS, json={"queue": "A"}, headers={**KIOSK, "Idempotency-Key": "press-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["status_token"] == first.json()["status_token"]
    assert waiting(client, "A") == 1
    other = client.post(TICKETS, json={"queue": "A"}, headers={**KIOSK, "Idempotency-Key": "press-2"})
    plain = client.post(TICKETS, json={"queue": "A"}, headers=KIOSK)  # without the header: as before
    assert (other.status_code, other.json()["number"]) == (201, "A002")
    assert (plain.status_code, plain.json()["number"]) == (201, "A003")


def test_keys_belong_to_their_issuer(client: TestClient) -> None:
    mine = client.post(TICKETS, json={"queue": "B"}, headers={**KIOSK, "Idempotency-Key": "same"}).json()
    theirs = client.post(TICKETS, json={"queue": "B"}, headers={**login(client, "clerk04"), "Idempotency-Key": "same"})
    guide = client.post(TICKETS, json={"queue": "B"}, headers={**login(client, "guide"), "Idempotency-Key": "same"})
    assert theirs.status_code == 201 and guide.status_code == 201
    assert len({mine["number"], theirs.json()["number"], guide.json()["number"]}) == 3


def test_a_replay_after_the_ticket_was_called_still_answers_that_ticket(client: TestClient) -> None:
    first = client.post(TICKETS, json={"queue": "C"}, headers={**KIOSK, "Idempotency-Key": "k"}).json()
    clerk = login(client, "clerk07")
    client.post("/api/v1/halls/jinan/counters/7/open", headers=clerk)
    client.post("/api/v1/halls/jinan/counters/7/call-next", headers=clerk)
    again = client.post(TICKETS, json={"queue": "C"}, headers={**KIOSK, "Idempotency-Key": "k"})
    assert again.status_code == 200 and again.json()["number"] == first["number"]
    assert again.json()["status"] == "called" and waiting(client, "C") == 0


def test_a_bad_key_is_422_naming_the_header(client: TestClient) -> None:
    for bad in ("", "x" * 129, "two words"):
        response = client.post(TICKETS, json={"queue": "A"}, headers={**KIOSK, "Idempotency-Key": bad})
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["field"] == "Idempotency-Key"
    assert waiting(client, "A") == 0
