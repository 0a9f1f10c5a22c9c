"""Who may look at a counter: its state (clerk's name, current ticket) only for principals of its
hall; its staff feed with the visitor's masked name (张*三) only for the clerk signed in there or
whose account belongs there, the counter's own device token, and the hall's managers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.auth import hash_password
from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.domain.model import CounterConfig, HallConfig, QueueConfig
from server.settings import Settings
from server.store import accounts, repo
from server.store.db import open_database

from .conftest import KIOSK, SECRET, login, seed
from .test_kiosk_api import AGENT, CARD, CARD_URL

OTHER = HallConfig(code="gulou", name="鼓楼区行政服务中心", queues=(QueueConfig("A", "社会民生类"),),
                   counters=(CounterConfig(1, "1号窗口", ("A",)),))
OTHER_SCREEN = "other-hall-screen-token-000000000001"
FEED = "/ws/halls/jinan/counters/1"


@pytest.fixture
def app(sqlite_url: str) -> Iterator[TestClient]:
    """The demo hall, a second hall with its own manager and screen, and a clerk with no fixed counter."""
    seed(sqlite_url)
    db = open_database(sqlite_url)
    password = hash_password(DEMO_PASSWORD)
    with db.writer.begin() as conn:
        repo.save_hall(conn, OTHER)
        accounts.upsert_user(conn, "gulou-manager", password, "manager", OTHER.code, None)
        accounts.upsert_user(conn, "floater", password, "clerk", "jinan", None)
        accounts.add_token(conn, OTHER_SCREEN, device_kind="display", hall=OTHER.code, name="screen")
    db.dispose()
    with TestClient(create_app(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning")),
                    base_url="http://testserver") as client:
        yield client


def called_card_holder(client: TestClient) -> dict[str, Any]:
    """A ticket taken with an ID card (张*三), called at counter 1 by clerk01."""
    card = client.post(CARD_URL, json={"card": CARD}, headers=AGENT).json()["card"]
    issued = client.post("/api/v1/halls/jinan/tickets", headers=KIOSK,
                         json={"queue": "A", "card_token": card["card_token"]})
    assert issued.status_code == 201, issued.text
    clerk = login(client, "clerk01")
    assert client.post("/api/v1/halls/jinan/counters/1/open", headers=clerk).status_code == 200
    called: dict[str, Any] = client.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk).json()
    client.cookies.clear()
    return called


def feed_counter(client: TestClient, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    with client.websocket_connect(url, headers=headers or {}) as ws:
        snapshot: dict[str, Any] = ws.receive_json()
    return snapshot["counter"]  # type: ignore[no-any-return]


def refused(client: TestClient, url: str, headers: dict[str, str] | None = None) -> str:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url, headers=headers or {}) as ws:
        ws.receive_json()
    assert closed.value.code == 1008
    return str(closed.value.reason)


def test_a_counters_state_is_for_its_own_halls_principals(app: TestClient) -> None:
    ticket = called_card_holder(app)
    other_manager = login(app, "gulou-manager")
    app.cookies.clear()
    for headers in (other_manager, {"Authorization": f"Bearer {OTHER_SCREEN}"}):
        response = app.get("/api/v1/halls/jinan/counters/1", headers=headers)
        assert response.status_code == 403, response.text
        assert "clerk01" not in response.text and ticket["number"] not in response.text
    own = app.get("/api/v1/halls/jinan/counters/1", headers=login(app, "clerk02"))
    assert own.status_code == 200 and own.json()["clerk"] == "clerk01"
    assert app.get("/api/v1/halls/jinan/counters/1", headers=login(app, "admin")).status_code == 200


def test_the_masked_name_is_for_the_counters_clerk_its_device_and_the_managers(app: TestClient) -> None:
    called_card_holder(app)
    tablet = demo_token(SECRET, "counter", "counter-1")
    for who in ("clerk01", "manager"):
        assert feed_counter(app, FEED, login(app, who))["ticket"]["visitor"] == "张*三", who
        app.cookies.clear()
    assert feed_counter(app, f"{FEED}?token={tablet}")["ticket"]["visitor"] == "张*三"

    # a clerk of another counter: not at all; nor another counter's device
    assert refused(app, FEED, login(app, "clerk02"))
    app.cookies.clear()
    assert refused(app, f"{FEED}?token={demo_token(SECRET, 'counter', 'counter-2')}")
    # a clerk with no fixed counter may follow it (to sign in there), but sees no visitor until holding it
    seen = feed_counter(app, FEED, login(app, "floater"))
    assert seen["ticket"] is not None and "visitor" not in seen["ticket"]
