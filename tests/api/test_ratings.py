"""好差评: POST /api/v1/halls/{hall}/counters/{n}/rating, from the tablet facing the visitor (its counter token)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from server.store.db import open_database
from server.store.tables import ratings

from .conftest import KIOSK, counter_tablet, login

RATE = "/api/v1/halls/jinan/counters/{}/rating"


def finished(client: TestClient, counter: int = 1, clerk: str = "clerk01") -> dict[str, Any]:
    """One ticket of queue A issued, called and finished at the counter; the ticket."""
    headers = login(client, clerk)
    assert client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK).status_code == 201
    base = f"/api/v1/halls/jinan/counters/{counter}"
    assert client.post(f"{base}/open", headers=headers).status_code == 200
    ticket: dict[str, Any] = client.post(f"{base}/call-next", headers=headers).json()
    assert client.post(f"{base}/finish", headers=headers).status_code == 200
    return ticket


def rate(client: TestClient, counter: int, body: dict[str, Any]) -> Any:
    """What the counter's rating tablet sends (counter 99 has none: counter 1's token is tried there)."""
    return client.post(RATE.format(counter), json=body, headers=counter_tablet(counter if counter <= 12 else 1))


def stored(url: str) -> list[Any]:
    db = open_database(url)
    try:
        with db.reader.connect() as conn:
            return list(conn.execute(select(ratings)).all())
    finally:
        db.dispose()


def test_a_rating_is_stored_once_with_the_clerk(database_url: str, client: TestClient) -> None:
    ticket = finished(client)
    # The clerk signs out before the visitor has rated: the rating is still theirs.
    assert client.post("/api/v1/halls/jinan/counters/1/close", headers=login(client, "clerk01")).status_code == 200
    response = rate(client, 1, {"ticket_id": ticket["id"], "level": "不满意", "reasons": ["等候时间长", "其他"]})
    assert response.status_code == 201, response.text
    assert response.json()["level"] == 2
    again = rate(client, 1, {"ticket_id": ticket["id"], "level": 5})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_rated"
    assert "已经评价过" in again.json()["error"]["message"]
    [row] = stored(database_url)
    assert (row.ticket_id, row.counter, row.clerk, row.level, row.reasons, row.source) == (
        ticket["id"], 1, "clerk01", 2, ["等候时间长", "其他"], "tablet")


def test_only_the_counters_just_finished_ticket(client: TestClient) -> None:
    ticket = finished(client)
    wrong = rate(client, 2, {"ticket_id": ticket["id"], "level": 5})
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "not_ratable"
    assert "不是 2号窗口刚办结的业务" in wrong.json()["error"]["message"]
    unknown = rate(client, 1, {"ticket_id": "jinan-20000101-A001", "level": 5})
    assert unknown.status_code == 404
    assert rate(client, 99, {"ticket_id": ticket["id"], "level": 5}).status_code == 404
    newer = finished(client)  # a later service at the same counter: the earlier one is no longer ratable
    assert rate(client, 1, {"ticket_id": ticket["id"], "level": 5}).status_code == 409
    assert rate(client, 1, {"ticket_id": newer["id"], "level": "非常满意"}).status_code == 201


def test_a_called_ticket_cannot_be_rated(sqlite_client: TestClient) -> None:
    headers = login(sqlite_client, "clerk01")
    sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK)
    sqlite_client.post("/api/v1/halls/jinan/counters/1/open", headers=headers)
    ticket = sqlite_client.post("/api/v1/halls/jinan/counters/1/call-next", headers=headers).json()
    response = rate(sqlite_client, 1, {"ticket_id": ticket["id"], "level": 5})
    assert response.status_code == 409


@pytest.mark.parametrize(("body", "field"), [
    ({"level": 6}, "level"), ({"level": 0}, "level"), ({"level": "很好"}, "level"), ({"level": True}, "level"),
    ({"level": 5, "reasons": ["等候时间长"]}, "reasons"), ({"level": 1, "reasons": ["太热"]}, "reasons.0"),
    ({"level": 5, "extra": 1}, "extra"), ({}, "level"),
])
def test_bad_input_is_a_422_naming_the_field(sqlite_client: TestClient, body: dict[str, Any], field: str) -> None:
    ticket = finished(sqlite_client)
    response = rate(sqlite_client, 1, {"ticket_id": ticket["id"], **body})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
