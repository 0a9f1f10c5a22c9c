"""The feeds under any ASGI server, not only uvicorn: here Starlette's test client, whose
``send`` is a plain coroutine, so the hub takes its generic path (inline ASGI sends) rather
than writing frames to uvicorn's transport."""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import KIOSK, login


def test_display_feed_over_plain_asgi(sqlite_client: TestClient) -> None:
    client = sqlite_client
    with client.websocket_connect("/ws/halls/jinan/display") as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == 0
        issued = client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK).json()
        clerk = login(client, "clerk01")
        client.post("/api/v1/halls/jinan/counters/1/open", headers=clerk)
        client.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk)
        events = [ws.receive_json() for _ in range(3)]
    assert [(e["type"], e["seq"]) for e in events] == [("ticket.issued", 1), ("counter.opened", 2),
                                                      ("ticket.called", 3)]
    assert events[2]["ticket"]["number"] == issued["number"] and events[2]["counter"]["number"] == 1
    with client.websocket_connect("/ws/halls/jinan/display?since=1") as ws:
        assert [ws.receive_json()["seq"] for _ in range(2)] == [2, 3]
    with client.websocket_connect(f"/ws/tickets/{issued['status_token']}") as ws:
        own = ws.receive_json()
    assert own["type"] == "snapshot" and own["ticket"]["status"] == "called" and own["counter"]["number"] == 1
