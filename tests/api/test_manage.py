"""The manager steering the hall (issue 9): counters, moving waiting tickets, a counter's queues,
the notice; and the test clock of a live server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from server.demo import DEMO_PASSWORD
from tests.api.conftest import KIOSK, login
from tests.servers import ServerProcess, seeded

HALL = "/api/v1/halls/jinan"


def issue(client: TestClient, queue: str) -> dict[str, Any]:
    response = client.post(f"{HALL}/tickets", json={"queue": queue}, headers=KIOSK)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def test_a_manager_pauses_and_closes_a_clerks_counter_and_sets_the_notice(sqlite_client: TestClient) -> None:
    client = sqlite_client
    manager, clerk = login(client, "manager"), login(client, "clerk01")
    assert client.post(f"{HALL}/counters/1/open", headers=clerk).status_code == 200
    paused = client.post(f"{HALL}/counters/1/pause", headers=manager, json={"reason": "督查科安排培训"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert client.post(f"{HALL}/counters/1/resume", headers=manager).json()["status"] == "idle"
    closed = client.post(f"{HALL}/counters/1/close", headers=manager)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    refused = client.post(f"{HALL}/counters/1/pause", headers=manager, json={"reason": "x"})
    assert refused.status_code == 409 and "未开放" in refused.json()["error"]["message"]
    with client.websocket_connect("/ws/halls/jinan/display") as ws:
        ws.receive_json()
        assert client.put(f"{HALL}/notice", headers=manager, json={"notice": "午间不休，请有序排队"}).json() == {
            "notice": "午间不休，请有序排队"}
        message = ws.receive_json()
    assert message["type"] == "hall.notice" and message["notice"] == "午间不休，请有序排队"
    assert client.put(f"{HALL}/notice", headers=clerk, json={"notice": "x"}).status_code == 403


def test_moving_waiting_tickets_keeps_their_order_and_the_wall_sees_each(sqlite_client: TestClient) -> None:
    client = sqlite_client
    manager = login(client, "manager")
    a = [issue(client, "A")["number"] for _ in range(4)]
    with client.websocket_connect("/ws/halls/jinan/display") as ws:
        snapshot = ws.receive_json()
        moved = client.post(f"{HALL}/queues/A/move", headers=manager, json={"to": "B", "count": 3})
        assert moved.status_code == 200, moved.text
        assert [t["number"] for t in moved.json()["moved"]] == a[:3]
        assert [t["queue"] for t in moved.json()["moved"]] == ["B"] * 3
        assert [t["ahead"] for t in moved.json()["moved"]] == [0, 1, 2]
        events = [ws.receive_json() for _ in range(3)]
    assert [(e["type"], e["ticket"]["number"], e["from_queue"]) for e in events] == [
        ("ticket.transferred", n, "A") for n in a[:3]]
    assert [e["seq"] for e in events] == [snapshot["seq"] + 1, snapshot["seq"] + 2, snapshot["seq"] + 3]
    b = issue(client, "B")
    assert b["ahead"] == 3
    everything = client.post(f"{HALL}/queues/A/move", headers=manager, json={"to": "C"}).json()
    assert [t["number"] for t in everything["moved"]] == a[3:]
    assert client.post(f"{HALL}/queues/A/move", headers=manager, json={"to": "C"}).json()["moved"] == []

    same = client.post(f"{HALL}/queues/B/move", headers=manager, json={"to": "b"})
    assert same.status_code == 422 and same.json()["error"]["field"] == "to"
    unknown = client.post(f"{HALL}/queues/B/move", headers=manager, json={"to": "Q"})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "to"
    assert client.post(f"{HALL}/queues/Q/move", headers=manager, json={"to": "B"}).status_code == 404
    bad = client.post(f"{HALL}/queues/B/move", headers=manager, json={"to": "C", "count": 0})
    assert bad.status_code == 422 and "count" in bad.json()["error"]["message"]
    assert client.post(f"{HALL}/queues/B/move", headers=login(client, "clerk04"),
                       json={"to": "C"}).status_code == 403


def test_a_counter_opened_to_a_second_queue_calls_from_it(sqlite_client: TestClient) -> None:
    client = sqlite_client
    manager, clerk = login(client, "manager"), login(client, "clerk01")
    b = issue(client, "B")
    client.post(f"{HALL}/counters/1/open", headers=clerk)
    assert client.post(f"{HALL}/counters/1/call-next", headers=clerk).status_code == 204
    with client.websocket_connect("/ws/halls/jinan/display") as ws:
        ws.receive_json()
        changed = client.put(f"{HALL}/counters/1/queues", headers=manager, json={"queues": ["A", "b"]})
        assert changed.status_code == 200, changed.text
        assert changed.json()["queues"] == ["A", "B"] and changed.json()["clerk"] == "clerk01"
        event = ws.receive_json()
    assert event["type"] == "counter.changed" and event["counter"]["number"] == 1
    called = client.post(f"{HALL}/counters/1/call-next", headers=clerk)
    assert called.status_code == 200 and called.json()["number"] == b["number"]
    assert [c["queues"] for c in client.get(f"{HALL}/snapshot").json()["counters"]][0] == ["A", "B"]

    for body, status, name in (({"queues": []}, 422, "queues"), ({"queues": ["A", "A"]}, 422, "queues"),
                               ({"queues": ["A", "Q"]}, 404, "queues")):
        refused = client.put(f"{HALL}/counters/1/queues", headers=manager, json=body)
        assert refused.status_code == status and refused.json()["error"]["field"] == name, refused.text
    assert client.put(f"{HALL}/counters/99/queues", headers=manager, json={"queues": ["A"]}).status_code == 404
    assert client.put(f"{HALL}/counters/1/queues", headers=clerk, json={"queues": ["A"]}).status_code == 403


def test_the_clock_endpoint_is_not_there_without_a_shifted_clock(sqlite_client: TestClient) -> None:
    response = sqlite_client.post("/api/v1/system/clock", headers=login(sqlite_client, "admin"),
                                  json={"advance_s": 60})
    assert response.status_code == 404


def test_the_clock_endpoint_moves_a_live_servers_time(sqlite_url: str, tmp_path: Path) -> None:
    server = ServerProcess(seeded(sqlite_url), tmp_path,
                           extra_env={"ONEWINDOW_CLOCK_AT": "2026-11-25T09:50:00+08:00"}).start()
    try:
        api = f"{server.base}/api/v1"

        def sign_in(user: str) -> dict[str, str]:
            body = httpx.post(f"{api}/auth/login", json={"username": user, "password": DEMO_PASSWORD}).json()
            return {"Authorization": f"Bearer {body['token']}"}

        admin, manager = sign_in("admin"), sign_in("manager")
        ticket = httpx.post(f"{api}/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK).json()
        assert ticket["issued_at"].startswith("2026-11-25T09:50")
        assert httpx.post(f"{api}/system/clock", json={"advance_s": 60}, headers=manager).status_code == 403
        bad = httpx.post(f"{api}/system/clock", json={"advance_s": -5}, headers=admin)
        assert bad.status_code == 422 and "advance_s" in bad.json()["error"]["message"]
        moved = httpx.post(f"{api}/system/clock", json={"advance_s": 21 * 60}, headers=admin)
        assert moved.status_code == 200, moved.text
        assert moved.json()["halls"]["jinan"].startswith("2026-11-25T10:11")
        [alert] = httpx.get(f"{api}/halls/jinan/alerts", headers=manager).json()["alerts"]
        assert alert["id"] == f"long_wait:{ticket['id']}"
    finally:
        server.stop()
    plain = ServerProcess(sqlite_url, tmp_path).start()
    try:
        response = httpx.post(f"{plain.base}/api/v1/system/clock", json={"advance_s": 60})
        assert response.status_code == 404
    finally:
        plain.stop()
