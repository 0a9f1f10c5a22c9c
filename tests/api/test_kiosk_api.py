"""The kiosk's server side: card reads posted by its agent and carried on its feed, and the QR
code of a ticket."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.testclient import TestClient

from devices.idcard.emulator import demo_card
from server.cli import demo_token
from tests.api.conftest import DISPLAY, KIOSK, SECRET, login

CARD_URL = "/api/v1/halls/jinan/kiosks/kiosk-1/card"
AGENT = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}
# 67 on the test clock's day (2026-11-25), with a valid GB 11643 check digit
ELDER = demo_card(67, name="张小三", today=date(2026, 11, 25))
CARD = {"name": ELDER.name, "gender": ELDER.gender, "nation": ELDER.nation,
        "birth_date": ELDER.birth_date.isoformat(), "id_number": ELDER.id_number}


def test_card_read_from_the_agent_reaches_the_kiosk_feed(sqlite_client: TestClient) -> None:
    token = demo_token(SECRET, "kiosk", "kiosk-1")
    with sqlite_client.websocket_connect(f"/ws/halls/jinan/kiosks/kiosk-1?token={token}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        response = sqlite_client.post(CARD_URL, json={"card": CARD}, headers=AGENT)
        assert response.status_code == 202, response.text
        message = ws.receive_json()
        assert message["type"] == "card.read" and "seq" not in message and message["at"].endswith("+08:00")
        card = message["card"]
        assert {k: card[k] for k in ("masked_name", "gender", "nation", "age", "priority_hint")} == {
            "masked_name": "张*三", "gender": "男", "nation": "汉", "age": 67, "priority_hint": "elderly"}
        assert len(card["id_hash"]) == 32 and card["card_token"]
        assert ELDER.id_number not in response.text and ELDER.id_number not in str(message)
        assert "张小三" not in str(message)


def test_a_jinan_resident_born_in_1950_gets_elderly_priority_at_the_kiosk(sqlite_client: TestClient) -> None:
    elder = demo_card(76, name="林阿婆", today=date(2026, 11, 25), region="350111")
    token = demo_token(SECRET, "kiosk", "kiosk-1")
    with sqlite_client.websocket_connect(f"/ws/halls/jinan/kiosks/kiosk-1?token={token}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        response = sqlite_client.post(CARD_URL, headers=AGENT, json={"card": {
            "name": elder.name, "gender": elder.gender, "nation": elder.nation,
            "birth_date": elder.birth_date.isoformat(), "id_number": elder.id_number}})
        assert response.status_code == 202, response.text
        card = ws.receive_json()["card"]
        assert (card["masked_name"], card["age"], card["priority_hint"]) == ("林*婆", 76, "elderly")


def test_a_minority_card_suggests_minority_priority(sqlite_client: TestClient) -> None:
    young = demo_card(30, nation="回", today=date(2026, 11, 25))
    response = sqlite_client.post(CARD_URL, headers=AGENT, json={"card": {
        "name": young.name, "gender": young.gender, "nation": "回", "birth_date": young.birth_date.isoformat(),
        "id_number": young.id_number}})
    assert response.status_code == 202, response.text
    assert response.json()["card"]["priority_hint"] == "minority"


@pytest.mark.parametrize("who", ["nobody", "kiosk", "display", "manager", "agent of another kiosk"])
def test_only_the_agent_of_that_kiosk_may_post_a_card(sqlite_client: TestClient, who: str) -> None:
    headers = login(sqlite_client, "manager") if who == "manager" else {
        "nobody": {}, "kiosk": KIOSK, "display": DISPLAY, "agent of another kiosk": AGENT}[who]
    url = CARD_URL.replace("kiosk-1", "kiosk-2") if who == "agent of another kiosk" else CARD_URL
    response = sqlite_client.post(url, json={"card": CARD}, headers=headers)
    assert response.status_code == (401 if who == "nobody" else 403), response.text


def test_an_unknown_hall_is_404(sqlite_client: TestClient) -> None:
    response = sqlite_client.post("/api/v1/halls/nowhere/kiosks/kiosk-1/card", json={"card": CARD}, headers=AGENT)
    assert response.status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"id_number": ELDER.id_number[:17] + ("0" if ELDER.id_number[17] != "0" else "1")}, "card.id_number"),
    ({"id_number": "12345"}, "card.id_number"), ({"birth_date": "1958-13-01"}, "card.birth_date"),
    ({"name": ""}, "card.name"), ({"gender": ""}, "card.gender"), ({"id_hash": "ab12" * 16}, "card.id_hash"),
])
def test_a_bad_card_is_422_naming_the_field(sqlite_client: TestClient, change: dict[str, object], field: str) -> None:
    response = sqlite_client.post(CARD_URL, json={"card": {**CARD, **change}}, headers=AGENT)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert ELDER.id_number[:17] not in response.text  # the number is never echoed back


def test_qr_code_of_a_ticket_is_svg_and_unknown_is_404(sqlite_client: TestClient) -> None:
    ticket = sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK).json()
    response = sqlite_client.get(f"/t/{ticket['status_token']}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text and "<path" in response.text
    assert sqlite_client.get("/t/no-such-token/qr.svg").status_code == 404


def test_the_card_holder_is_on_the_clerks_screen_and_nowhere_public(sqlite_client: TestClient) -> None:
    card = sqlite_client.post(CARD_URL, json={"card": CARD}, headers=AGENT).json()["card"]
    issued = sqlite_client.post("/api/v1/halls/jinan/tickets", headers=KIOSK,
                                json={"queue": "A", "priority": "elderly", "card_token": card["card_token"]})
    assert issued.status_code == 201, issued.text
    assert "visitor" not in issued.json() and "id_hash" not in issued.json()
    clerk = login(sqlite_client, "clerk01")
    sqlite_client.post("/api/v1/halls/jinan/counters/1/open", headers=clerk)
    sqlite_client.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk)
    with sqlite_client.websocket_connect("/ws/halls/jinan/counters/1", headers=clerk) as ws:
        assert ws.receive_json()["counter"]["ticket"]["visitor"] == "张*三"
    with sqlite_client.websocket_connect("/ws/halls/jinan/display") as ws:
        assert "张" not in str(ws.receive_json())
    assert "张" not in sqlite_client.get("/api/v1/halls/jinan/snapshot").text


def test_a_stuck_kiosk_cannot_drain_a_queue(sqlite_client: TestClient) -> None:
    codes = [sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "D"}, headers=KIOSK).status_code
             for _ in range(31)]
    assert codes[:30] == [201] * 30
    refused = sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "D"}, headers=KIOSK)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "取号过于频繁" in refused.json()["error"]["message"]
    clerk = login(sqlite_client, "guide")  # the guide desk still issues
    assert sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "D", "channel": "guide"},
                              headers=clerk).status_code == 201
