"""咨询登记 (seed art. 15(一), 16(一)) and 首问负责 (art. 25): CONTRACT v2 "Registers"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import hash_password
from server.demo import DEMO_PASSWORD
from server.domain.workdays import WorkCalendar
from server.services.layout import create_hall
from server.settings import Settings
from server.store import accounts
from server.store.db import open_database
from server.store.tables_registers import consultations

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


def test_a_manager_or_the_first_responder_escalates_one_later(client: TestClient) -> None:
    clerk, manager, guide = login(client, "clerk11"), login(client, "manager"), login(client, "guide")
    plain = client.post(URL, headers=clerk, json={"channel": "phone", "topic": "食品摊贩备案在哪里办"}).json()
    assert plain["escalated"] is False and plain["due_date"] is None
    path = f"{URL}/{plain['id']}"
    assert client.patch(path, headers=guide, json={"escalated": True, "department": "SCJG"}).status_code == 403
    sent = client.patch(path, headers=manager, json={"escalated": True, "department": "scjg", "due_days": 3})
    assert sent.status_code == 200, sent.text
    due3, _ = WorkCalendar().add_working_days(datetime.now(ZoneInfo("Asia/Shanghai")).date(), 3)
    assert sent.json()["escalated"] is True and sent.json()["department"] == "SCJG"
    assert sent.json()["department_name"] == "区市场监管局" and sent.json()["due_date"] == due3.isoformat()
    assert [c["id"] for c in client.get(f"{URL}?escalated=true", headers=manager).json()["consultations"]] == \
        [plain["id"]]
    again = client.patch(path, headers=manager, json={"escalated": True, "department": "SWJ"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "consultation_escalated", again.text
    # the first responder escalates their own, to the item's department unless told otherwise
    code = client.get(f"{HALL}/items").json()[0]
    about = client.post(URL, headers=clerk, json={"channel": "onsite", "topic": "材料能否邮寄", "item": code["code"]})
    own = client.patch(f"{URL}/{about.json()['id']}", headers=clerk, json={"escalated": True})
    assert own.status_code == 200, own.text
    assert own.json()["department"] == code["department"]


def test_an_escalation_later_names_the_bad_field(client: TestClient) -> None:
    manager = login(client, "manager")
    made = client.post(URL, headers=manager, json={"channel": "onsite", "topic": "问路"}).json()
    path = f"{URL}/{made['id']}"
    for body, field in (({"escalated": True}, "department"), ({"escalated": True, "department": "NOPE"}, "department"),
                        ({"escalated": True, "department": "SCJG", "due_days": 0}, "due_days"),
                        ({"escalated": False}, "escalated"), ({"department": "SCJG"}, "department")):
        refused = client.patch(path, headers=manager, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["field"] == field, (body, refused.text)
    assert client.get(f"{URL}?escalated=true", headers=manager).json()["total"] == 0
    client.patch(path, headers=manager, json={"closed": True})
    closed = client.patch(path, headers=manager, json={"escalated": True, "department": "SCJG"})
    assert closed.status_code == 409, closed.text


def test_a_department_reads_and_answers_only_those_sent_to_it(client: TestClient) -> None:
    clerk, dept = login(client, "clerk11"), login(client, "dept-scjg")
    ours = client.post(URL, headers=clerk, json={"channel": "phone", "topic": "食品经营许可", "escalated": True,
                                                 "department": "SCJG"}).json()
    theirs = client.post(URL, headers=clerk, json={"channel": "phone", "topic": "发票领用", "escalated": True,
                                                   "department": "SWJ"}).json()
    kept = client.post(URL, headers=clerk, json={"channel": "onsite", "topic": "问路", "answer": "二楼"}).json()
    listed = client.get(URL, headers=dept).json()
    assert listed["total"] == 1 and [c["id"] for c in listed["consultations"]] == [ours["id"]]
    assert client.get(f"{URL}?q=发票", headers=dept).json()["total"] == 0
    for other in (theirs, kept):
        refused = client.patch(f"{URL}/{other['id']}", headers=dept, json={"escalation_answer": "可以"})
        assert refused.status_code == 403, refused.text
    # its own: the department's answer only, not the desk's answer, nor closing it
    assert client.patch(f"{URL}/{ours['id']}", headers=dept, json={"answer": "x"}).status_code == 403
    assert client.patch(f"{URL}/{ours['id']}", headers=dept, json={"closed": True}).status_code == 403
    assert client.patch(f"{URL}/{ours['id']}", headers=dept, json={"escalation_answer": "需在经营地申请"}
                        ).status_code == 200
    seen = client.get(URL, headers=clerk).json()["consultations"]
    answered = next(c for c in seen if c["id"] == ours["id"])
    assert answered["escalation_answer"] == "需在经营地申请"
    assert answered["escalation_answered_by"] == {"username": "dept-scjg", "name": "区市场监管局"}


def test_where_each_stands_and_the_counts(client: TestClient, database_url: str) -> None:
    clerk, manager, dept = login(client, "clerk11"), login(client, "manager"), login(client, "dept-scjg")

    def record(channel: str, topic: str, **more: object) -> int:
        made = client.post(URL, headers=clerk, json={"channel": channel, "topic": topic, **more})
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    record("onsite", "问路", answer="二楼")
    record("phone", "几点下班", answer="五点")
    late = record("phone", "食品经营许可能否跨区", escalated=True, department="SCJG")
    waiting = record("onsite", "营业执照变更", escalated=True, department="SCJG")
    answered = record("onsite", "个体户注销", escalated=True, department="SWJ")
    shut = record("onsite", "复印", answer="一楼")
    client.patch(f"{URL}/{answered}", headers=manager, json={"escalation_answer": "可网上办理"})
    client.patch(f"{URL}/{shut}", headers=manager, json={"closed": True})
    db = open_database(database_url)  # asked a week ago, due two days ago
    with db.writer.begin() as conn:
        conn.execute(update(consultations).where(consultations.c.id == late).values(
            due_date=date.today() - timedelta(days=2)))
    db.dispose()

    def ids(status: str, who: dict[str, str] = manager) -> set[int]:
        found = client.get(f"{URL}?status={status}", headers=who)
        assert found.status_code == 200, found.text
        return {c["id"] for c in found.json()["consultations"]}

    assert ids("waiting") == {late, waiting} and ids("overdue") == {late} and ids("closed") == {shut}
    assert len(ids("open")) == 5
    listed = client.get(f"{URL}?status=overdue", headers=manager).json()["consultations"]
    assert listed[0]["overdue"] is True
    assert ids("overdue", dept) == {late}
    counts = client.get(f"{URL}/summary", headers=manager)
    assert counts.status_code == 200, counts.text
    assert counts.json() == {"day": _today(), "onsite": 4, "phone": 2, "escalated": 3, "waiting": 2, "overdue": 1}
    assert client.get(f"{URL}/summary?day=2020-01-02", headers=manager).json() == {
        "day": "2020-01-02", "onsite": 0, "phone": 0, "escalated": 0, "waiting": 2, "overdue": 1}
    mine = client.get(f"{URL}/summary", headers=dept).json()  # the department's own only
    assert (mine["escalated"], mine["waiting"], mine["overdue"]) == (2, 2, 1)
    assert client.get(f"{URL}?status=late", headers=manager).status_code == 422
    assert client.get(f"{URL}/summary?day=someday", headers=manager).status_code == 422
    assert client.get(f"{URL}/summary", headers=KIOSK).status_code == 403
