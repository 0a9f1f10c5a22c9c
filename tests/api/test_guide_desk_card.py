"""A number by ID card at the guide's desk (issue 20): the desk's own agent (an ``agent`` token named
desk1, issued in the 设备 tab, bound to no counter, no kiosk of that name) reads a card; the guide's
page follows ``/ws/halls/{hall}/guide/{desk}`` and gets the masked holder and the card's signed token,
never the ID number; the ticket issued with it is the guide's, with the priority the guide chose, and
one waiting ticket per card per queue holds as at the kiosk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from devices.idcard.emulator import demo_card
from server.app import create_app
from server.auth import hash_password
from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.services.layout import create_hall
from server.settings import Settings
from server.store import accounts
from server.store.db import open_database

from .conftest import KIOSK, SECRET, login, seed

DESK = "/ws/halls/jinan/guide/desk1"
CARD_URL = "/api/v1/halls/jinan/kiosks/desk1/card"
TICKETS = "/api/v1/halls/jinan/tickets"
SAME_ORIGIN = {"Origin": "http://testserver"}
# 68 today in the hall (the server runs on the real clock), with a valid GB 11643 check digit
ELDER = demo_card(68, name="张小三", today=datetime.now(ZoneInfo("Asia/Shanghai")).date())
CARD = {"name": ELDER.name, "gender": ELDER.gender, "nation": ELDER.nation,
        "birth_date": ELDER.birth_date.isoformat(), "id_number": ELDER.id_number}


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    """The demo hall, and a guide of another hall."""
    seed(sqlite_url)
    db = open_database(sqlite_url)
    with db.writer.begin() as conn:
        create_hall(conn, "xiamen", "厦门市民服务中心")
        accounts.upsert_user(conn, "far-guide", hash_password(DEMO_PASSWORD), "guide", "xiamen", None)
    db.dispose()
    with TestClient(create_app(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning")),
                    base_url="http://testserver") as c:
        yield c


@pytest.fixture
def desk_agent(client: TestClient) -> dict[str, str]:
    """The desk's agent, as a manager issues it in the 设备 tab: kind agent, named as the desk."""
    issued = client.post("/api/v1/halls/jinan/tokens", headers=login(client, "manager"),
                         json={"kind": "agent", "name": "desk1"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["counter"] is None
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def card_read(client: TestClient, guide: dict[str, str], agent: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The desk's agent posts a card over HTTP; what the guide's socket gets, and as raw text."""
    with client.websocket_connect(DESK, headers=guide) as ws:
        assert ws.receive_json() == {"type": "reader", "desk": "desk1", "agent": None, "idcard": None}
        posted = client.post(CARD_URL, json={"card": CARD}, headers=agent)
        assert posted.status_code == 202, posted.text
        text = ws.receive_text()
    message: dict[str, Any] = json.loads(text)
    return message, text


def test_the_guide_gets_the_masked_card_read_never_the_number(client: TestClient,
                                                              desk_agent: dict[str, str]) -> None:
    message, text = card_read(client, login(client, "guide"), desk_agent)
    assert message["type"] == "card.read" and "seq" not in message and message["at"].endswith("+08:00")
    card = message["card"]
    assert {k: card[k] for k in ("masked_name", "gender", "nation", "age", "priority_hint")} == {
        "masked_name": "张*三", "gender": ELDER.gender, "nation": "汉", "age": 68, "priority_hint": "elderly"}
    assert card["card_token"]
    assert ELDER.id_number not in text and ELDER.id_number[-6:] not in text and "张小三" not in text
    assert ELDER.birth_date.isoformat() not in text and "id_hash" not in card


def test_the_desk_cookie_opens_only_from_our_own_pages(client: TestClient) -> None:
    client.post("/api/v1/auth/login", json={"username": "guide", "password": DEMO_PASSWORD})
    with client.websocket_connect(DESK, headers=SAME_ORIGIN) as ws:
        assert ws.receive_json()["type"] == "reader"
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(
            DESK, headers={"Origin": "http://evil.example"}) as ws:
        ws.receive_json()
    assert closed.value.code == 1008


@pytest.mark.parametrize("who", ["clerk01", "far-guide", "nobody", "kiosk", "desk-agent"])
def test_clerks_other_halls_and_devices_are_refused(client: TestClient, desk_agent: dict[str, str], who: str) -> None:
    devices = {"nobody": {}, "kiosk": KIOSK, "desk-agent": desk_agent}
    headers = devices[who] if who in devices else login(client, who)
    client.cookies.clear()  # the manager who issued the desk's token signed in on this client
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(DESK, headers=headers) as ws:
        ws.receive_json()
    assert closed.value.code == 1008 and "导办台" in str(closed.value.reason)


def test_a_managers_socket_and_an_unknown_hall(client: TestClient) -> None:
    with client.websocket_connect(DESK, headers=login(client, "manager")) as ws:
        assert ws.receive_json()["type"] == "reader"
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(
            "/ws/halls/nowhere/guide/desk1", headers=login(client, "admin")) as ws:
        ws.receive_json()
    assert closed.value.code == 1008 and "nowhere" in str(closed.value.reason)


def test_the_card_ticket_is_the_guides_with_the_chosen_priority_and_one_per_queue(
        client: TestClient, desk_agent: dict[str, str]) -> None:
    guide = login(client, "guide")
    message, _ = card_read(client, guide, desk_agent)
    token = message["card"]["card_token"]
    issued = client.post(TICKETS, headers=guide,
                         json={"queue": "A", "priority": "disabled", "channel": "guide", "card_token": token})
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    assert (ticket["number"], ticket["channel"], ticket["priority"]) == ("A001", "guide", "disabled")
    assert "visitor" not in ticket and "id_hash" not in ticket

    again = client.post(TICKETS, headers=guide,
                        json={"queue": "A", "priority": "elderly", "channel": "guide", "card_token": token})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_waiting"
    assert "A001" in again.json()["error"]["message"] and again.json()["ticket"]["number"] == "A001"
    at_kiosk = client.post(TICKETS, headers=KIOSK, json={"queue": "A", "card_token": token})
    assert at_kiosk.status_code == 409  # the same card, whoever issues
    other_queue = client.post(TICKETS, headers=guide,
                              json={"queue": "V", "priority": "elderly", "channel": "guide", "card_token": token})
    assert other_queue.status_code == 201 and other_queue.json()["number"] == "V001"

    clerk = login(client, "clerk01")
    client.post("/api/v1/halls/jinan/counters/1/open", headers=clerk)
    client.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk)
    with client.websocket_connect("/ws/halls/jinan/counters/1", headers=clerk) as ws:
        assert ws.receive_json()["counter"]["ticket"]["visitor"] == "张*三"  # the clerk sees whom


def test_the_agent_socket_reaches_the_desk_reads_removals_and_reader_state(
        client: TestClient, desk_agent: dict[str, str]) -> None:
    guide = login(client, "guide")
    with client.websocket_connect(DESK, headers=guide) as desk:
        assert desk.receive_json()["agent"] is None
        with client.websocket_connect("/ws/agent", headers=desk_agent) as agent:
            agent.send_json({"type": "hello", "counters": [], "devices": {"idcard": {"state": "ok"}}})
            assert agent.receive_json()["type"] == "welcome"
            assert desk.receive_json() == {"type": "reader", "desk": "desk1", "agent": "ok", "idcard": "ok"}
            for n, event in enumerate([{"type": "card.read", "card": CARD},
                                       {"type": "print.result", "ok": True, "ticket": "A009"},
                                       {"type": "card.removed"}]):
                agent.send_json({"type": "event", "id": f"desk-event-{n}", "event": event})
                assert agent.receive_json()["ok"] is True
            read = desk.receive_json()
            assert read["type"] == "card.read" and read["card"]["masked_name"] == "张*三"
            assert desk.receive_json()["type"] == "card.removed"  # not the print result
            agent.send_json({"type": "heartbeat", "devices": {"idcard": {"state": "offline", "detail": "未连接"}}})
            assert desk.receive_json() == {"type": "reader", "desk": "desk1", "agent": "ok", "idcard": "offline"}
            desk.send_json({"type": "resync"})  # the state as last recorded
            assert desk.receive_json()["idcard"] == "offline"
            desk.send_json({"type": "something"})
            with pytest.raises(WebSocketDisconnect) as closed:
                desk.receive_json()
            assert closed.value.code == 1003


def test_a_kiosk_agent_token_still_cannot_post_for_the_desk(client: TestClient) -> None:
    kiosk_agent = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}
    assert client.post(CARD_URL, json={"card": CARD}, headers=kiosk_agent).status_code == 403
