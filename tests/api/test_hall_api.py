"""The HTTP API as CONTRACT describes it, through a real app on a real SQLite file."""

from __future__ import annotations

from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.api.conftest import DISPLAY, KIOSK, SECRET, login, serve

C1 = "/api/v1/halls/jinan/counters/1"


def test_hall_lists_queues_and_counters_as_contract_says(client: TestClient) -> None:
    body = client.get("/api/v1/halls/jinan").json()
    assert [(q["code"], q["name"]) for q in body["queues"]] == [
        ("A", "社会民生类"), ("B", "注册登记类"), ("C", "经营许可类"), ("D", "投资建设类"),
        ("L", "查询发证"), ("Z", "咨询"), ("V", "代办")]
    served = {c["number"]: "".join(c["queues"]) for c in body["counters"]}
    assert served == {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "B", 7: "C", 8: "C", 9: "D", 10: "D",
                      11: "LZ", 12: "VA"}
    snapshot = client.get("/api/v1/halls/jinan/snapshot").json()
    assert {c["status"] for c in snapshot["counters"]} == {"closed"}


def test_catalog_has_forty_items_over_the_four_themes(client: TestClient) -> None:
    items = client.get("/api/v1/halls/jinan/items").json()
    assert len(items) >= 40
    assert {i["queue"] for i in items} >= set("ABCD")
    assert all(i["department"] and i["time_limit_days"] >= 0 for i in items)


def test_issue_call_and_see_it_in_the_snapshot(client: TestClient) -> None:
    ticket = client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK)
    assert ticket.status_code == 201
    body = ticket.json()
    assert body["number"].startswith("A") and body["status"] == "waiting" and body["status_token"]
    assert body["issued_at"].endswith("+08:00")
    clerk = login(client, "clerk01")
    assert client.post(f"{C1}/open", headers=clerk).json()["status"] == "idle"
    called = client.post(f"{C1}/call-next", headers=clerk)
    assert called.status_code == 200 and called.json()["number"] == body["number"]
    assert "status_token" not in called.json()
    snapshot = client.get("/api/v1/halls/jinan/snapshot").json()
    counter = snapshot["counters"][0]
    assert counter["status"] == "calling" and counter["ticket"]["number"] == body["number"]
    assert "status_token" not in counter["ticket"]
    assert snapshot["recent_calls"][0]["counter"] == 1
    mine = client.get(f"/api/v1/tickets/{body['status_token']}").json()
    assert mine["status"] == "called" and mine["counter"] == 1
    assert client.post(f"{C1}/call-next", headers=clerk).status_code == 409
    assert client.post(f"{C1}/finish", headers=clerk).json()["status"] == "done"
    assert client.post(f"{C1}/call-next", headers=clerk).status_code == 204


def test_ticket_ahead_and_eta_are_live(client: TestClient) -> None:
    tokens = [client.post("/api/v1/halls/jinan/tickets", json={"queue": "B"}, headers=KIOSK).json()["status_token"]
              for _ in range(3)]
    last = client.get(f"/api/v1/tickets/{tokens[-1]}").json()
    assert last["ahead"] == 2 and last["eta_s"] > 0
    client.post(f"/api/v1/tickets/{tokens[0]}/cancel")
    assert client.get(f"/api/v1/tickets/{tokens[-1]}").json()["ahead"] == 1


def test_every_counter_action_by_the_clerk_who_holds_it(client: TestClient) -> None:
    clerk = login(client, "clerk01")
    for _ in range(3):
        client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK)
    assert client.post(f"{C1}/call-next", headers=clerk).status_code == 409  # closed refuses all but open
    client.post(f"{C1}/open", headers=clerk)
    assert client.post(f"{C1}/call", json={"number": "a003"}, headers=clerk).json()["number"] == "A003"
    assert client.post(f"{C1}/recall", headers=clerk).json()["recalls"] == 1
    assert client.post(f"{C1}/start", headers=clerk).json()["status"] == "serving"
    moved = client.post(f"{C1}/transfer", json={"queue": "B", "reason": "业务不符"}, headers=clerk).json()
    assert moved["queue"] == "B" and moved["status"] == "waiting"
    assert client.post(f"{C1}/call-next", headers=clerk).json()["number"] == "A001"
    assert client.post(f"{C1}/no-show", headers=clerk).json()["status"] == "no_show"
    assert client.post(f"{C1}/reinstate", json={"number": "A001"}, headers=clerk).json()["status"] == "waiting"
    paused = client.post(f"{C1}/pause", json={"reason": "休息"}, headers=clerk).json()
    assert paused["status"] == "paused" and paused["pause_reason"] == "休息"
    refused = client.post(f"{C1}/call-next", headers=clerk)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "counter_paused"
    assert client.post(f"{C1}/resume", headers=clerk).json()["status"] == "idle"
    assert client.post(f"{C1}/close", headers=clerk).json()["status"] == "closed"


def test_a_clerk_acts_only_at_the_counter_they_hold(client: TestClient) -> None:
    clerk1, manager = login(client, "clerk01"), login(client, "manager")
    client.post(f"{C1}/open", headers=clerk1)
    other = client.post(f"{C1}/open", headers=login(client, "clerk02"))
    assert other.status_code == 403  # clerk02 belongs to counter 2
    client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK)
    clerk2 = login(client, "clerk02")
    assert client.post(f"{C1}/call-next", headers=clerk2).status_code == 403
    assert client.post(f"{C1}/call-next", headers=manager).status_code == 200
    assert client.post("/api/v1/halls/jinan/counters/2/open", headers=manager).status_code == 200
    taken = client.post("/api/v1/halls/jinan/counters/2/open", headers=clerk2)
    assert taken.status_code == 409 and "manager" in taken.json()["error"]["message"]


def test_credentials(client: TestClient) -> None:
    assert client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}).status_code == 401
    bad = client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_credentials"
    assert client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=DISPLAY).status_code == 403
    assert client.post(f"{C1}/open", headers=KIOSK).status_code == 403
    wrong = client.post("/api/v1/auth/login", json={"username": "clerk01", "password": "wrong-one"})
    assert wrong.status_code == 401


def test_login_is_rate_limited(client: TestClient) -> None:
    codes = [client.post("/api/v1/auth/login", json={"username": "guide", "password": "nope"}).status_code
             for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429


def test_session_cookie_works_for_same_origin_and_refuses_cross_site(client: TestClient) -> None:
    client.post("/api/v1/auth/login", json={"username": "guide", "password": "demo1234"})
    same = client.post("/api/v1/halls/jinan/tickets", json={"queue": "Z", "channel": "guide"},
                       headers={"Origin": "http://testserver"})
    assert same.status_code == 201 and same.json()["channel"] == "guide"
    cross = client.post("/api/v1/halls/jinan/tickets", json={"queue": "Z"}, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403 and cross.json()["error"]["code"] == "csrf_rejected"


def test_unknowns_are_404_with_the_contract_shape(client: TestClient) -> None:
    assert client.get("/api/v1/halls/nowhere").json()["error"]["code"] == "unknown_hall"
    unknown_queue = client.post("/api/v1/halls/jinan/tickets", json={"queue": "Q"}, headers=KIOSK)
    assert unknown_queue.status_code == 404 and unknown_queue.json()["error"]["code"] == "unknown_queue"
    assert client.get("/api/v1/tickets/not-a-token").status_code == 404
    manager = login(client, "manager")
    assert client.post("/api/v1/halls/jinan/counters/99/open", headers=manager).status_code == 404
    assert client.post("/api/v1/halls/jinan/counters/x/open", headers=manager).status_code == 404


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "connections": 0, "sends": {"direct": 0, "asgi": 0}}
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/halls/{hall}/counters/{number}/call-next" in spec["paths"]
    issue = spec["paths"]["/api/v1/halls/{hall}/tickets"]["post"]
    schema = spec["components"]["schemas"][issue["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                                           .rsplit("/", 1)[-1]]
    assert "queue" in schema["properties"] and "priority" in schema["properties"]


def test_manager_sets_the_notice_the_screens_show(client: TestClient) -> None:
    manager, clerk = login(client, "manager"), login(client, "clerk01")
    with client.websocket_connect("/ws/halls/jinan/display") as ws:
        assert ws.receive_json()["notice"] is None
        refused = client.put("/api/v1/halls/jinan/notice", json={"notice": "今天下午停电"}, headers=clerk)
        assert refused.status_code == 403
        text = "今日 12:00-14:00 午间不间断服务，请按号就座"
        response = client.put("/api/v1/halls/jinan/notice", json={"notice": f"  {text} "}, headers=manager)
        assert response.status_code == 200 and response.json() == {"notice": text}
        event = ws.receive_json()
    assert (event["type"], event["notice"]) == ("hall.notice", text)
    assert client.get("/api/v1/halls/jinan/snapshot").json()["notice"] == text
    too_long = client.put("/api/v1/halls/jinan/notice", json={"notice": "长" * 201}, headers=manager)
    assert too_long.status_code == 422 and "notice" in too_long.json()["error"]["message"]
    cleared = client.put("/api/v1/halls/jinan/notice", json={"notice": ""}, headers=manager)
    assert cleared.json() == {"notice": None}


def test_the_notice_survives_a_restart(sqlite_url: str) -> None:
    gen = serve(sqlite_url)
    client = next(gen)
    client.put("/api/v1/halls/jinan/notice", json={"notice": "请保管好随身物品"}, headers=login(client, "manager"))
    gen.close()
    settings = Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings)) as again:
        assert again.get("/api/v1/halls/jinan/snapshot").json()["notice"] == "请保管好随身物品"


def test_the_consultation_telephone_is_a_hall_setting(client: TestClient) -> None:
    """The seed's line is 87711892 (art. 15): the demo hall has it; a manager changes it; it is what
    GET /halls/{hall} says and what the next one-time notice prints."""
    assert client.get("/api/v1/halls/jinan").json()["phone"] == "87711892"
    manager, clerk = login(client, "manager"), login(client, "clerk04")
    assert client.put("/api/v1/halls/jinan/phone", json={"phone": "0591-87711892"}, headers=clerk).status_code == 403
    bad = client.put("/api/v1/halls/jinan/phone", json={"phone": "call us"}, headers=manager)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phone"
    with client.websocket_connect("/ws/halls/jinan/display") as feed:
        feed.receive_json()
        changed = client.put("/api/v1/halls/jinan/phone", json={"phone": "0591-87711892"}, headers=manager)
        assert changed.status_code == 200 and changed.json() == {"phone": "0591-87711892"}
        event = feed.receive_json()
        assert (event["type"], event["phone"]) == ("hall.phone", "0591-87711892")
    assert client.get("/api/v1/halls/jinan").json()["phone"] == "0591-87711892"
    client.post("/api/v1/halls/jinan/counters/4/open", headers=clerk)
    case = client.post("/api/v1/halls/jinan/cases", headers=clerk, json={
        "item": "B02", "applicant": {"name": "王小明"}, "materials_missing": ["公司章程"]})
    assert case.status_code == 201, case.text
    notice = client.post(f"/api/v1/cases/{case.json()['receipt_no']}/print", json={"what": "notice", "counter": 4},
                         headers=clerk)
    assert notice.json()["document"]["contact"] == "咨询电话：0591-87711892"
