"""意见建议/投诉 (art. 15, 21): visitors give them without signing in, the hall's managers see them live,
categorise, reply and close them; and 窗口无否决权 (art. 27): what a window cannot settle goes up."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from server.domain.clock import FakeClock

from .conftest import KIOSK, login
from .test_ratings_everywhere import HALL, app

__all__ = ["app"]  # the fixture


def give(client: TestClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    made = client.post(f"{HALL}/feedback", json=body, headers=headers or {})
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


def listed(client: TestClient, headers: dict[str, str], status: str = "") -> dict[str, Any]:
    response = client.get(f"{HALL}/feedback" + (f"?status={status}" if status else ""), headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_visitor_complains_without_signing_in_and_is_rate_limited(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    made = give(client, {"kind": "complaint", "text": "3号窗口让我跑了三次", "contact": "13800001234"})
    # given Wednesday 2026-11-25: a complaint is due five working days later, a suggestion ten
    assert made["status"] == "open" and made["due_at"] == "2026-12-02" and made["id"] >= 1
    assert len(made["status_token"]) >= 20
    assert give(client, {"kind": "suggestion", "text": "希望增加休息座椅"})["due_at"] == "2026-12-09"
    for _ in range(3):
        give(client, {"kind": "suggestion", "text": "再多一些"})
    refused = client.post(f"{HALL}/feedback", json={"kind": "suggestion", "text": "第六条"})
    assert refused.status_code == 429 and "retry-after" in {k.lower() for k in refused.headers}
    # staff on a visitor's behalf are not limited by the address, and say who wrote it down
    manager = login(client, "manager")
    on_behalf = give(client, {"kind": "complaint", "text": "电话投诉：等候太久"}, login(client, "guide"))
    mine = [f for f in listed(client, manager)["feedback"] if f["id"] == on_behalf["id"]]
    assert mine[0]["taken_by"] == "guide" and mine[0]["kind"] == "complaint"
    # the kiosk gives it too (a device: its own allowance)
    assert give(client, {"kind": "suggestion", "text": "取号机字大一些"}, KIOSK)["status"] == "open"


def test_bad_input_names_the_field(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    for body, field in (({"kind": "praise", "text": "好"}, "kind"), ({"kind": "complaint", "text": "  "}, "text"),
                        ({"kind": "complaint", "text": "x" * 2001}, "text"),
                        ({"kind": "complaint", "text": "好", "contact": "x" * 101}, "contact")):
        response = client.post(f"{HALL}/feedback", json=body)
        assert response.status_code == 422, response.text
        assert field in response.json()["error"]["message"]
    assert client.post("/api/v1/halls/nowhere/feedback", json={"kind": "complaint", "text": "好"}).status_code == 404


def test_managers_see_it_live_categorise_reply_and_close(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    manager = login(client, "manager")
    with client.websocket_connect("/ws/halls/jinan/dashboard", headers=manager) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        made = give(client, {"kind": "complaint", "text": "办事员态度生硬", "contact": "13800001234"})
        for _ in range(10):
            message = ws.receive_json()
            if message["type"] == "feedback.new":
                break
        assert message["feedback"]["id"] == made["id"] and message["feedback"]["text"] == "办事员态度生硬"
    # never on the public display feed: nothing about it in the snapshot
    assert "feedback" not in client.get(f"{HALL}/snapshot").text
    clerk = login(client, "clerk01")
    assert client.get(f"{HALL}/feedback", headers=clerk).status_code == 403
    url = f"{HALL}/feedback/{made['id']}"
    assert client.patch(url, json={"close": True}, headers=clerk).status_code in (403, 404)
    early = client.patch(url, json={"close": True}, headers=manager)
    assert early.status_code == 409 and "reply" in early.json()["error"]["message"]
    bad = client.patch(url, json={"counter": 99}, headers=manager)
    assert bad.status_code == 422 and "counter" in bad.json()["error"]["message"]
    bad = client.patch(url, json={"clerk": "nobody"}, headers=manager)
    assert bad.status_code == 422 and "clerk" in bad.json()["error"]["message"]
    bad = client.patch(url, json={"category": {"line": "A", "level": "宇宙", "person": ""}}, headers=manager)
    assert bad.status_code == 422 and "level" in bad.json()["error"]["message"]
    changed = client.patch(url, json={"category": {"line": "A", "level": "窗口", "person": "3号窗口"},
                                      "counter": 3, "clerk": "clerk01"}, headers=manager)
    assert changed.status_code == 200, changed.text
    assert changed.json()["category"] == {"line": "A", "level": "窗口", "person": "3号窗口"}
    assert (changed.json()["counter"], changed.json()["clerk"]) == (3, "clerk01")
    # the visitor's link: status and no reply yet; no contact on it
    page = client.get(f"/feedback/jinan/s/{made['status_token']}")
    assert page.status_code == 200 and "处理中" in page.text and "13800001234" not in page.text
    closed = client.patch(url, json={"reply": "已约谈当事人并批评教育，感谢监督", "close": True}, headers=manager)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closed"]["by"] == "manager"
    assert listed(client, manager, "open")["feedback"] == []
    assert [f["id"] for f in listed(client, manager, "closed")["feedback"]] == [made["id"]]
    again = client.patch(url, json={"reply": "改口"}, headers=manager)
    assert again.status_code == 409
    page = client.get(f"/feedback/jinan/s/{made['status_token']}")
    assert "已办结" in page.text and "已约谈当事人并批评教育" in page.text
    assert client.get("/feedback/jinan/s/nope").status_code == 404
    status = client.get(f"/api/v1/feedback/{made['status_token']}").json()
    assert status["status"] == "closed" and status["reply"].startswith("已约谈") and "contact" not in status


def test_repeat_matters_about_a_counter_or_clerk_are_counted(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    manager = login(client, "manager")
    for text in ("第一次", "第二次"):
        made = give(client, {"kind": "complaint", "text": text}, manager)
        client.patch(f"{HALL}/feedback/{made['id']}", json={"counter": 3, "clerk": "clerk01"}, headers=manager)
    repeats = listed(client, manager)["repeats"]
    assert {"counter": 3, "count": 2} in repeats["counters"]
    assert [r["count"] for r in repeats["clerks"] if r["clerk"] == "clerk01"] == [2]
    assert all(f["repeat"] == {"counter": 2, "clerk": 2} for f in listed(client, manager)["feedback"])


def test_overdue_feedback_is_an_alert(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    manager = login(client, "manager")
    made = give(client, {"kind": "complaint", "text": "没人理我"})
    assert listed(client, manager, "overdue")["feedback"] == []
    clock.advance(8 * 86400)  # Thursday 2026-12-03: past the due Wednesday
    [late] = listed(client, manager, "overdue")["feedback"]
    assert late["id"] == made["id"] and late["overdue"]
    alerts = client.get(f"{HALL}/alerts", headers=manager).json()["alerts"]
    assert [a["kind"] for a in alerts if a["id"] == f"feedback_overdue:{made['id']}"] == ["feedback_overdue"]


def test_what_the_window_cannot_settle_goes_up(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    clerk = login(client, "clerk01")
    manager = login(client, "manager")
    client.cookies.clear()  # the sign-ins' session cookie: none, as an outsider
    assert client.post(f"{HALL}/escalations", json={"what": "x", "why": "y"}).status_code == 401
    bad = client.post(f"{HALL}/escalations", json={"what": "", "why": "系统无此事项"}, headers=clerk)
    assert bad.status_code == 422 and "what" in bad.json()["error"]["message"]
    with client.websocket_connect("/ws/halls/jinan/dashboard", headers=manager) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        made = client.post(f"{HALL}/escalations", json={"what": "跨省迁移社保", "why": "本窗口无办理权限",
                                                        "contact": "13900001111", "counter": 1}, headers=clerk)
        assert made.status_code == 201, made.text
        for _ in range(10):
            message = ws.receive_json()
            if message["type"] == "escalation.new":
                break
        assert message["escalation"]["what"] == "跨省迁移社保" and message["escalation"]["clerk"] == "clerk01"
    client.post(f"{HALL}/escalations", json={"what": "补办旧证", "why": "档案不在本中心"}, headers=clerk)
    [first, second] = client.get(f"{HALL}/escalations", headers=manager).json()["escalations"]
    assert {first["counter"], second["counter"]} == {1} and first["status"] == "open"
    assert client.get(f"{HALL}/escalations", headers=clerk).status_code == 403
    by_counter = client.get(f"{HALL}/escalations?by=counter", headers=manager).json()
    assert by_counter["counts"] == [{"counter": 1, "count": 2, "open": 2}]
    by_clerk = client.get(f"{HALL}/escalations?by=clerk", headers=manager).json()
    assert [(c["clerk"], c["count"]) for c in by_clerk["counts"]] == [("clerk01", 2)]
    url = f"{HALL}/escalations/{made.json()['id']}"
    assert client.patch(url, json={"close": True}, headers=manager).status_code == 422
    done = client.patch(url, json={"resolution": "已协调社保科专人办理", "close": True}, headers=manager)
    assert done.status_code == 200 and done.json()["status"] == "closed"
    assert client.patch(url, json={"resolution": "再", "close": True}, headers=manager).status_code == 409
    assert client.get(f"{HALL}/escalations?status=open", headers=manager).json()["escalations"][0]["what"] == "补办旧证"
