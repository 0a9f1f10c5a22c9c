"""Only a counter's own rating tablet (a ``counter`` device token bound to that counter) may learn
which service the counter just finished and rate it: an anonymous caller used to read the ticket
and store 非常不满意 against the clerk, open a 整改 and block the visitor's own rating."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from server.cli import demo_token

from .conftest import DISPLAY, KIOSK, SECRET, counter_tablet, login
from .test_ratings import RATE, stored
from .test_ratings_everywhere import HALL, app, serve

__all__ = ["app"]  # the fixture

CHINESE = "的"  # every refusal here speaks Chinese first


def others(client: TestClient) -> dict[str, dict[str, str]]:
    """Every credential that is not counter 1's tablet (as bearer tokens: no session cookie is kept)."""
    clerk, manager = login(client, "clerk01"), login(client, "manager")
    client.cookies.clear()
    return {"nobody": {}, "counter 2's tablet": counter_tablet(2), "the kiosk": KIOSK, "a display": DISPLAY,
            "the kiosk's agent": {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"},
            "the clerk": clerk, "the manager": manager}


def test_no_one_but_the_counters_tablet_reads_or_rates_its_last_service(
        database_url: str, app: tuple[TestClient, Any]) -> None:
    client, _ = app
    ticket = serve(client)
    for who, headers in others(client).items():
        seen = client.get(RATE.format(1), headers=headers)
        assert seen.status_code in (401, 403), (who, seen.text)
        assert ticket["number"] not in seen.text, who
        rated = client.post(RATE.format(1), json={"ticket_id": ticket["id"], "level": 1,
                                                  "reasons": ["服务态度差"]}, headers=headers)
        assert rated.status_code == (401 if who == "nobody" else 403), (who, rated.text)
        assert rated.json()["error"]["message"]
    assert stored(database_url) == []
    manager = login(client, "manager")
    assert client.get(f"{HALL}/followups", headers=manager).json()["followups"] == []
    # the visitor can still give their own rating
    phone = client.post(f"/api/v1/tickets/{ticket['status_token']}/rating", json={"level": 5})
    assert phone.status_code == 201, phone.text


def test_the_counters_own_tablet_reads_and_rates_it(database_url: str, app: tuple[TestClient, Any]) -> None:
    client, _ = app
    ticket = serve(client)
    last = client.get(RATE.format(1), headers=counter_tablet(1))
    assert last.status_code == 200, last.text
    assert last.json()["ticket"]["number"] == ticket["number"] and last.json()["rated"] is False
    made = client.post(RATE.format(1), json={"ticket_id": ticket["id"], "level": 5}, headers=counter_tablet(1))
    assert made.status_code == 201, made.text
    [row] = stored(database_url)
    assert (row.counter, row.source, row.level) == (1, "tablet", 5)


# ------------------------------------------------------------------ the tablet's page
def test_the_rating_page_needs_its_counters_token_once_and_keeps_it_in_a_cookie(
        app: tuple[TestClient, Any]) -> None:
    client, _ = app
    page = "/counter/jinan/1/rate"
    bare = client.get(page)
    assert bare.status_code == 403 and CHINESE in bare.text
    for wrong in (demo_token(SECRET, "counter", "counter-2"), demo_token(SECRET, "kiosk", "kiosk-1"), "nonsense"):
        refused = client.get(f"{page}?token={wrong}")
        assert refused.status_code == 403, wrong
        assert "onewindow_rate" not in refused.headers.get("set-cookie", "")
    token = demo_token(SECRET, "counter", "counter-1")
    configured = client.get(f"{page}?token={token}", follow_redirects=False)
    assert configured.status_code == 303 and configured.headers["location"] == page
    cookie = configured.headers["set-cookie"]
    assert "HttpOnly" in cookie and f"Path={page}" in cookie
    again = client.get(page)  # the cookie alone, from now on
    assert again.status_code == 200, again.text
    assert token in again.text  # the page's script sends it as its bearer token
    client.cookies.clear()
    assert client.get(page).status_code == 403


@pytest.mark.parametrize("path", ["/counter/jinan/2/rate", "/counter/jinan/99/rate"])
def test_a_tablets_token_does_not_open_another_counters_page(app: tuple[TestClient, Any], path: str) -> None:
    client, _ = app
    response = client.get(f"{path}?token={demo_token(SECRET, 'counter', 'counter-1')}", follow_redirects=False)
    assert response.status_code in (403, 404)
