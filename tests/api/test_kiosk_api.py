"""The kiosk's server side: card reads posted by its agent and carried on its feed, and the QR
code of a ticket."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.cli import demo_token
from tests.api.conftest import DISPLAY, KIOSK, SECRET, login

CARD_URL = "/api/v1/halls/jinan/kiosks/kiosk-1/card"
AGENT = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}
CARD = {"masked_name": "张*三", "gender": "男", "nation": "汉", "age": 67, "id_hash": "ab12" * 16,
        "priority_hint": "elderly"}


def test_card_read_from_the_agent_reaches_the_kiosk_feed(sqlite_client: TestClient) -> None:
    token = demo_token(SECRET, "kiosk", "kiosk-1")
    with sqlite_client.websocket_connect(f"/ws/halls/jinan/kiosks/kiosk-1?token={token}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        response = sqlite_client.post(CARD_URL, json={"card": CARD}, headers=AGENT)
        assert response.status_code == 202, response.text
        message = ws.receive_json()
        assert message["type"] == "card.read" and "seq" not in message
        assert message["card"] == CARD and message["at"].endswith("+08:00")


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
    ({"age": 151}, "card.age"), ({"age": -1}, "card.age"), ({"id_hash": "not-hex!"}, "card.id_hash"),
    ({"priority_hint": "vip"}, "card.priority_hint"), ({"masked_name": "张三丰"}, "card.masked_name"),
    ({"gender": ""}, "card.gender"), ({"id_number": "350102195801011234"}, "card.id_number"),
])
def test_a_bad_card_is_422_naming_the_field(sqlite_client: TestClient, change: dict[str, object], field: str) -> None:
    response = sqlite_client.post(CARD_URL, json={"card": {**CARD, **change}}, headers=AGENT)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_qr_code_of_a_ticket_is_svg_and_unknown_is_404(sqlite_client: TestClient) -> None:
    ticket = sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK).json()
    response = sqlite_client.get(f"/t/{ticket['status_token']}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text and "<path" in response.text
    assert sqlite_client.get("/t/no-such-token/qr.svg").status_code == 404
