"""咨询登记 (seed art. 15(一), 16(一)) and 首问负责 (art. 25): CONTRACT v2 "Registers"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from server.app import create_app
from server.auth import hash_password
from server.demo import DEMO_PASSWORD
from server.domain.workdays import WorkCalendar
from server.services.layout import create_hall
from server.settings import Settings
from server.store import accounts
from server.store.db import open_database

from .conftest import KIOSK, SECRET, login, seed

HALL = "/api/v1/halls/jinan"
URL = f"{HALL}/consultations"


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_staff_record_a_consultation_and_are_its_first_responder(client: TestClient) -> None:
    clerk = login(client, "clerk11")
    made = client.post(URL, headers=clerk, json={"channel": "phone", "topic": "个体户营业执照需要哪些材料",
                                                 "answer": "身份证和经营场所证明"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert isinstance(body["id"], int) and body["at"].startswith(_today())
    assert body["first_responder"]["username"] == "clerk11" and body["first_responder"]["name"]
    for who in ("guide", "manager", "admin"):
        assert client.post(URL, headers=login(client, who), json={"channel": "onsite", "topic": "问路"}
                           ).status_code == 201
    listed = client.get(URL, headers=clerk).json()
    assert listed["total"] == 4
    first = listed["consultations"][-1]
    assert first["topic"] == "个体户营业执照需要哪些材料" and first["channel"] == "phone"
    assert first["answer"] == "身份证和经营场所证明" and first["escalated"] is False
    assert first["first_responder"]["username"] == "clerk11"
    assert listed["consultations"][0]["first_responder"]["username"] == "admin"  # newest first


def test_who_may_not(client: TestClient) -> None:
    body = {"channel": "onsite", "topic": "问路"}
    assert client.post(URL, headers=KIOSK, json=body).status_code == 403
    assert client.get(URL, headers=KIOSK).status_code == 403
    assert client.post(URL, json=body).status_code == 401
    assert client.get(URL).status_code == 401
    other = client.post("/api/v1/halls/nowhere/consultations", headers=login(client, "clerk01"), json=body)
    assert other.status_code in (403, 404)


def test_another_halls_staff_are_refused(sqlite_url: str) -> None:
    seed(sqlite_url)
    db = open_database(sqlite_url)
    with db.writer.begin() as conn:
        create_hall(conn, "xinhall", "新区政务服务中心")
        accounts.upsert_user(conn, "xinclerk", hash_password(DEMO_PASSWORD), "clerk", "xinhall", None)
    db.dispose()
    settings = Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        other = login(client, "xinclerk")
        assert client.post(URL, headers=other, json={"channel": "onsite", "topic": "问路"}).status_code == 403
        assert client.get(URL, headers=other).status_code == 403
        assert client.post("/api/v1/halls/xinhall/consultations", headers=other,
                           json={"channel": "onsite", "topic": "问路"}).status_code == 201


def test_bad_input_names_the_field(client: TestClient) -> None:
    clerk = login(client, "clerk11")
    for body, field in (({"channel": "email", "topic": "x"}, "channel"), ({"channel": "phone"}, "topic"),
                        ({"channel": "phone", "topic": "  "}, "topic"),
                        ({"channel": "phone", "topic": "x", "item": "NOPE"}, "item"),
                        ({"channel": "phone", "topic": "x", "escalated": True}, "department"),
                        ({"channel": "phone", "topic": "x", "escalated": True, "department": "NOPE"}, "department"),
                        ({"channel": "phone", "topic": "x", "escalated": True, "department": "SCJG",
                          "due_days": 0}, "due_days")):
        refused = client.post(URL, headers=clerk, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["field"] == field, (body, refused.text)
    for query, field in (("from=2026-13-01", "from"), ("channel=fax", "channel"), ("limit=0", "limit"),
                         ("escalated=maybe", "escalated")):
        refused = client.get(f"{URL}?{query}", headers=clerk)
        assert refused.status_code == 422 and field in refused.text, (query, refused.text)


def test_an_escalation_is_due_in_working_days_and_answered_by_the_department(client: TestClient) -> None:
    clerk, manager, dept = login(client, "clerk11"), login(client, "manager"), login(client, "dept-scjg")
    made = client.post(URL, headers=clerk, json={"channel": "phone", "topic": "食品经营许可能否跨区",
                                                 "escalated": True, "department": "SCJG"}).json()
    start = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    due2, _ = WorkCalendar().add_working_days(start, 2)
    due5, _ = WorkCalendar().add_working_days(start, 5)
    one = client.get(f"{URL}?escalated=true", headers=manager).json()["consultations"][0]
    assert one["id"] == made["id"] and one["escalated"] is True
    assert one["department"] == "SCJG" and one["department_name"] and one["due_date"] == due2.isoformat()
    longer = client.post(URL, headers=clerk, json={"channel": "onsite", "topic": "x", "escalated": True,
                                                   "department": "SCJG", "due_days": 5}).json()
    assert client.get(f"{URL}?escalated=true", headers=manager).json()["consultations"][0]["due_date"] == \
        due5.isoformat()
    # the department answers its own; a clerk may not write the department's answer
    path = f"{URL}/{made['id']}"
    assert client.patch(path, headers=clerk, json={"escalation_answer": "可以"}).status_code == 403
    answered = client.patch(path, headers=dept, json={"escalation_answer": "可以，需在经营地申请"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["escalation_answer"] == "可以，需在经营地申请"
    assert answered.json()["escalation_answered_by"]["username"] == "dept-scjg"
    closed = client.patch(f"{URL}/{longer['id']}", headers=manager, json={"closed": True}).json()
    assert closed["closed"] is True
    assert client.patch(f"{URL}/999999", headers=manager, json={"closed": True}).status_code == 404


def test_the_list_filters(client: TestClient) -> None:
    clerk, guide = login(client, "clerk11"), login(client, "guide")
    client.post(URL, headers=clerk, json={"channel": "phone", "topic": "社保卡补办", "answer": "带身份证到A区"})
    client.post(URL, headers=guide, json={"channel": "onsite", "topic": "公积金提取"})
    client.post(URL, headers=guide, json={"channel": "onsite", "topic": "营业执照变更", "escalated": True,
                                          "department": "SCJG"})
    assert client.get(f"{URL}?channel=phone", headers=clerk).json()["total"] == 1
    assert client.get(f"{URL}?channel=onsite", headers=clerk).json()["total"] == 2
    assert client.get(f"{URL}?escalated=true", headers=clerk).json()["total"] == 1
    assert client.get(f"{URL}?escalated=false", headers=clerk).json()["total"] == 2
    assert [c["topic"] for c in client.get(f"{URL}?q=A区", headers=clerk).json()["consultations"]] == ["社保卡补办"]
    assert client.get(f"{URL}?from={_today()}&to={_today()}", headers=clerk).json()["total"] == 3
    assert client.get(f"{URL}?to=2020-01-01", headers=clerk).json()["total"] == 0
    page = client.get(f"{URL}?limit=2&offset=2", headers=clerk).json()
    assert page["total"] == 3 and len(page["consultations"]) == 1


def test_a_transferred_ticket_keeps_its_first_responder(client: TestClient) -> None:
    clerk3, clerk4 = login(client, "clerk03"), login(client, "clerk04")
    client.post(f"{HALL}/counters/3/open", headers=clerk3)
    client.post(f"{HALL}/counters/4/open", headers=clerk4)
    number = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK).json()["number"]
    assert client.post(f"{HALL}/counters/3/call-next", headers=clerk3).json()["number"] == number
    client.post(f"{HALL}/counters/3/transfer", json={"counter": 4, "reason": "业务不符"}, headers=clerk3)
    assert client.post(f"{HALL}/counters/4/call-next", headers=clerk4).json()["number"] == number
    with client.websocket_connect("/ws/halls/jinan/counters/4", headers=clerk4) as ws:
        snapshot = ws.receive_json()
    ticket = snapshot["counter"]["ticket"]
    assert ticket["number"] == number
    assert ticket["first_responder"]["username"] == "clerk03"
    assert ticket["first_responder"]["counter"] == 3 and ticket["first_responder"]["name"]
    # the first clerk stays first through another transfer
    client.post(f"{HALL}/counters/4/transfer", json={"queue": "B"}, headers=clerk4)
    clerk5 = login(client, "clerk05")
    client.post(f"{HALL}/counters/5/open", headers=clerk5)
    assert client.post(f"{HALL}/counters/5/call-next", headers=clerk5).json()["number"] == number
    with client.websocket_connect("/ws/halls/jinan/counters/5", headers=clerk5) as ws:
        assert ws.receive_json()["counter"]["ticket"]["first_responder"]["username"] == "clerk03"
