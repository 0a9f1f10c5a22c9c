"""The case register (办件台账, CONTRACT v2 "The back office"): the hall's cases searched by
acceptance date, status, item, department, applicant name or receipt number, newest first, paged,
exported to Excel; a department account sees only the cases it handles. And the ID-card lookups:
a card read at a counter shows the clerk that person's earlier cases in the hall, a card read at
the kiosk lists them for 办件查询, both matched by the keyed hash of the number, never the number."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select
from starlette.testclient import TestClient

from devices.idcard.emulator import demo_card
from devices.idcard.text import IdCard
from server.auth import hash_password
from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.domain.clock import FakeClock
from server.domain.identity import card_holder
from server.domain.model import CounterConfig, HallConfig, QueueConfig
from server.services.cards import sign_holder
from server.store import accounts, repo
from server.store.case_register import CaseQuery, export_lines
from server.store.db import open_database
from server.store.tables_cases import case_parts, cases
from tests.api.test_cases import _serve

from .conftest import KIOSK, SECRET, login

H = "/api/v1/halls/jinan"
TODAY = date(2026, 11, 25)
WANG = demo_card(40, name="王小明", today=TODAY, sequence=321)
LI = demo_card(35, name="李四", today=TODAY, sequence=456)
NOBODY = demo_card(50, name="赵六", today=TODAY, sequence=777)
PHONE = "13812345678"
OTHER = HallConfig(code="gulou", name="鼓楼区行政服务中心", queues=(QueueConfig("A", "社会民生类"),),
                   counters=(CounterConfig(1, "1号窗口", ("A",)),))
COUNTER_AGENT = "counter-4-pc-agent-token-0000000000001"  # the agent of counter 4's PC (--counter 4)
AGENT = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}  # drives counters 1–3


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    """The demo hall on each backend; a second hall with its manager; counter 4's own agent."""
    served = _serve(database_url, clock)
    client = next(served)
    db = open_database(database_url)
    with db.writer.begin() as conn:
        repo.save_hall(conn, OTHER)
        accounts.upsert_user(conn, "gulou-manager", hash_password(DEMO_PASSWORD), "manager", OTHER.code, None)
        accounts.add_token(conn, COUNTER_AGENT, device_kind="agent", hall="jinan", name="counter-4-pc", counter=4)
    db.dispose()
    yield client
    next(served, None)


@dataclass
class Ledger:
    """Five cases over two days, newest last: r1 (B02 王小明, in review), r2 (A04 李四, 人社局),
    r3 (B10 王小明, 即办, overdue on the second day), r4 (A05 张三, incomplete), r5 (C01 王大明)."""

    r1: str
    r2: str
    r3: str
    r4: str
    r5: str

    @property
    def newest_first(self) -> list[str]:
        return [self.r5, self.r4, self.r3, self.r2, self.r1]


def take(client: TestClient, headers: dict[str, str], item: str, name: str, card: IdCard | None = None,
         phone: str | None = None, missing: list[str] | None = None) -> str:
    applicant: dict[str, str] = {"name": name}
    if card is not None:
        applicant["id_number"] = card.id_number
    if phone is not None:
        applicant["phone"] = phone
    response = client.post(f"{H}/cases", headers=headers,
                           json={"item": item, "applicant": applicant, "materials_missing": missing or []})
    assert response.status_code == 201, response.text
    return str(response.json()["receipt_no"])


@pytest.fixture
def ledger(app: TestClient, clock: FakeClock) -> Ledger:
    manager = login(app, "manager")
    r1 = take(app, manager, "B02", "王小明", WANG, PHONE)
    r2 = take(app, manager, "A04", "李四", LI)
    r3 = take(app, manager, "B10", "王小明", WANG, PHONE)
    clock.advance(86400)  # Thursday 09:00
    r4 = take(app, manager, "A05", "张三", missing=["家庭收入证明"])
    r5 = take(app, manager, "C01", "王大明", phone="13900001111")
    moved = app.post(f"/api/v1/cases/{r1}/events", json={"status": "in_review"}, headers=login(app, "dept-scjg"))
    assert moved.status_code == 200, moved.text
    app.cookies.clear()
    return Ledger(r1, r2, r3, r4, r5)


def listed(client: TestClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    response = client.get(f"{H}/cases", params=query, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def receipts(body: dict[str, Any]) -> list[str]:
    return [c["receipt_no"] for c in body["cases"]]


# ------------------------------------------------------------------ the register
def test_the_register_lists_the_halls_cases_newest_first_with_the_applicant_as_the_counter_has_them(
        app: TestClient, ledger: Ledger) -> None:
    body = listed(app, login(app, "manager"))
    assert body["total"] == 5 and receipts(body) == ledger.newest_first
    r1 = next(c for c in body["cases"] if c["receipt_no"] == ledger.r1)
    assert r1["applicant"] == {"masked_name": "王*明", "name": "王小明", "phone": PHONE,
                               "id_last4": WANG.id_number[-4:]}
    assert r1["status"] == "in_review" and r1["status_label"] == "审查中"
    assert r1["item"]["code"] == "B02" and r1["item"]["department_name"] == "区市场监管局"
    assert r1["received_at"].startswith("2026-11-25T09:00") and r1["due_at"] == "2026-11-30"
    overdue = {c["receipt_no"]: c["overdue"] for c in body["cases"]}
    assert overdue == {ledger.r1: False, ledger.r2: False, ledger.r3: True, ledger.r4: False, ledger.r5: False}
    response = app.get(f"{H}/cases", headers=login(app, "manager"))
    assert WANG.id_number not in response.text and LI.id_number not in response.text
    for who in ("clerk04", "guide", "admin"):  # the counter, the guide's desk and the admin see the hall's
        assert listed(app, login(app, who))["total"] == 5


def test_each_filter_narrows_the_list(app: TestClient, ledger: Ledger) -> None:
    manager = login(app, "manager")
    r = ledger

    def only(**query: Any) -> list[str]:
        return receipts(listed(app, manager, **query))

    assert only(status="accepted") == [r.r5, r.r3, r.r2]
    assert only(status="accepted,incomplete") == [r.r5, r.r4, r.r3, r.r2]
    assert only(status="in_review") == [r.r1]
    assert only(item="B02") == [r.r1] and only(item="b02") == [r.r1]
    assert only(department="RSJ") == [r.r2]
    assert only(department="SCJG") == [r.r5, r.r3, r.r1]
    assert only(q="王小明") == [r.r3, r.r1]
    assert only(q="小明") == [r.r3, r.r1]
    assert only(q="大明") == [r.r5]
    assert only(q=r.r2) == [r.r2] and only(q=r.r2.lower()) == [r.r2]
    assert only(q="JA20261126") == [r.r5, r.r4]  # a receipt number's beginning: that day's
    assert only(q="%") == [] and only(q="_") == []  # taken as typed, not as a pattern
    assert only(**{"from": "2026-11-26"}) == [r.r5, r.r4]
    assert only(to="2026-11-25") == [r.r3, r.r2, r.r1]
    assert only(**{"from": "2026-11-25", "to": "2026-11-25"}) == [r.r3, r.r2, r.r1]
    assert only(**{"from": "2026-11-27"}) == []
    assert only(department="SCJG", status="accepted") == [r.r5, r.r3]
    assert only(q="王", **{"from": "2026-11-26"}) == [r.r5]
    assert listed(app, manager, status="accepted")["total"] == 3


def test_pages_keep_the_total(app: TestClient, ledger: Ledger) -> None:
    manager = login(app, "manager")
    pages = [listed(app, manager, limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [receipts(p) for p in pages] == [ledger.newest_first[0:2], ledger.newest_first[2:4],
                                            ledger.newest_first[4:], []]
    assert len(listed(app, manager)["cases"]) == 5  # 50 by default
    assert listed(app, manager, limit=200)["total"] == 5


def test_a_department_sees_only_the_cases_it_handles(app: TestClient, database_url: str, ledger: Ledger) -> None:
    scjg = login(app, "dept-scjg")
    mine = listed(app, scjg)
    assert receipts(mine) == [ledger.r5, ledger.r3, ledger.r1] and mine["total"] == 3
    asked = listed(app, scjg, department="RSJ")  # another department's cases, asked for by name
    assert asked["total"] == 0 and asked["cases"] == []
    assert ledger.r2 not in str(listed(app, scjg, q=ledger.r2))
    assert receipts(listed(app, scjg, status="accepted")) == [ledger.r5, ledger.r3]
    # a joint case (联审联办) led by 人社局 that 市场监管局 must decide too: its part makes it SCJG's
    db = open_database(database_url)
    with db.writer.begin() as conn:
        case_id = conn.scalar(select(cases.c.id).where(cases.c.receipt_no == ledger.r2))
        conn.execute(insert(case_parts).values(case_id=case_id, department="SCJG", lead=False, status="pending",
                                               updated_at=conn.scalar(select(cases.c.updated_at)
                                                                      .where(cases.c.id == case_id))))
    db.dispose()
    assert receipts(listed(app, scjg)) == [ledger.r5, ledger.r3, ledger.r2, ledger.r1]
    assert receipts(listed(app, scjg, department="RSJ")) == [ledger.r2]  # handled by both


def test_only_the_halls_staff(app: TestClient, ledger: Ledger) -> None:
    for headers in (login(app, "gulou-manager"), KIOSK):
        response = app.get(f"{H}/cases", headers=headers)
        assert response.status_code == 403, response.text
        assert ledger.r1 not in response.text
    app.cookies.clear()
    assert app.get(f"{H}/cases").status_code == 401
    assert app.get("/api/v1/halls/nowhere/cases", headers=login(app, "admin")).status_code == 404


@pytest.mark.parametrize(("query", "field"), [
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "ten"}, "limit"), ({"offset": "-1"}, "offset"),
    ({"offset": "1e3"}, "offset"), ({"from": "2026-02-30"}, "from"), ({"to": "2026/11/25"}, "to"),
    ({"from": "9999-01-01"}, "from"), ({"status": "shipped"}, "status"), ({"status": "accepted,nope"}, "status"),
    ({"from": "2026-11-26", "to": "2026-11-25"}, "to"), ({"q": "王" * 101}, "q"),
    ({"department": "X" * 33}, "department"), ({"item": "B" * 33}, "item"), ({"due": "later"}, "due"),
])
def test_a_bad_parameter_is_a_422_naming_it(app: TestClient, query: dict[str, str], field: str) -> None:
    response = app.get(f"{H}/cases", params=query, headers=login(app, "manager"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_the_description_lists_the_registers_parameters(app: TestClient) -> None:
    spec = app.get("/openapi.json").json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/halls/{hall}/cases"]["get"]["parameters"]}
    assert {"department", "status", "item", "q", "from", "to", "limit", "offset", "due"} <= set(parameters)
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}


# ------------------------------------------------------------------ the export
def wait_done(client: TestClient, headers: dict[str, str], export_id: str) -> dict[str, Any]:
    for _ in range(400):
        state: dict[str, Any] = client.get(f"{H}/reports/exports/{export_id}", headers=headers).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError("export did not finish")


def test_the_filtered_register_exports_to_excel(app: TestClient, ledger: Ledger) -> None:
    manager = login(app, "manager")
    started = app.post(f"{H}/reports/exports", headers=manager, json={
        "kind": "cases", "format": "xlsx", "filters": {"department": "SCJG", "status": "accepted,in_review"}})
    assert started.status_code == 202, started.text
    state = wait_done(app, manager, started.json()["id"])
    assert state["status"] == "done" and state["progress"] == 100 and state["rows"] == 3, state
    assert state["params"]["kind"] == "cases"
    file = app.get(state["file_url"], headers=manager)
    assert file.status_code == 200 and ".xlsx" in file.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(file.content)).active
    assert sheet is not None
    lines = [[c.value for c in line] for line in sheet.iter_rows()]
    assert "办件台账" in str(lines[0][0])
    header, rows = lines[1], lines[2:]
    assert header[:3] == ["受理编号", "受理时间", "事项编码"] and "承办部门" in header and "申请人" in header
    assert [row[0] for row in rows] == [ledger.r5, ledger.r3, ledger.r1]
    status, overdue = header.index("状态"), header.index("是否超期")
    assert [row[status] for row in rows] == ["已受理", "已受理", "审查中"]
    assert [row[overdue] or "" for row in rows] == ["", "超期", ""]  # an empty cell reads as None
    assert rows[2][header.index("申请人")] == "王小明" and rows[2][header.index("承办部门")] == "区市场监管局"
    assert rows[1][header.index("受理时间")] == "2026-11-25 09:00"
    assert WANG.id_number not in str(lines)

    csv = app.post(f"{H}/reports/exports", headers=manager,
                   json={"kind": "cases", "format": "csv", "filters": {"q": "王小明"}})
    done = wait_done(app, manager, csv.json()["id"])
    text = app.get(done["file_url"], headers=manager).content.decode("utf-8-sig").splitlines()
    assert text[0].startswith("受理编号,受理时间")
    assert [line.split(",")[0] for line in text[1:]] == [ledger.r3, ledger.r1]


def test_the_export_reads_every_case_once_a_batch_at_a_time(app: TestClient, database_url: str,
                                                              ledger: Ledger) -> None:
    db = open_database(database_url)
    try:
        with db.reader.connect() as conn:
            lines = list(export_lines(conn, CaseQuery(hall="jinan"), batch=2))
            scjg = list(export_lines(conn, CaseQuery(hall="jinan", department="SCJG"), batch=1))
    finally:
        db.dispose()
    assert [line.receipt_no for line in lines] == ledger.newest_first
    assert [line.receipt_no for line in scjg] == [ledger.r5, ledger.r3, ledger.r1]
    assert lines[-1].departments == ["区市场监管局"] and lines[-1].applicant == "王小明"


def test_exports_are_for_managers_and_check_their_filters(app: TestClient, ledger: Ledger) -> None:
    for who in ("clerk04", "dept-scjg", "gulou-manager"):
        refused = app.post(f"{H}/reports/exports", headers=login(app, who), json={"kind": "cases"})
        assert refused.status_code == 403, (who, refused.text)
    manager = login(app, "manager")
    for filters, field in (({"status": "shipped"}, "filters.status"), ({"from": "2026-13-01"}, "filters.from"),
                           ({"colour": "red"}, "filters.colour")):
        bad = app.post(f"{H}/reports/exports", headers=manager, json={"kind": "cases", "filters": filters})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == field, bad.text
    report = app.post(f"{H}/reports/exports", headers=manager, json={"date": "2026-11-25"})
    assert report.status_code == 202 and wait_done(app, manager, report.json()["id"])["status"] == "done"


# ------------------------------------------------------------------ ID cards
def card_body(card: IdCard) -> dict[str, Any]:
    return {"card": {"name": card.name, "gender": card.gender, "nation": card.nation,
                     "birth_date": card.birth_date.isoformat(), "id_number": card.id_number}}


def card_token(card: IdCard) -> str:
    """What the kiosk feed's card.read carries for this card (server/services/cards.py)."""
    holder = card_holder(SECRET, name=card.name, gender=card.gender, nation=card.nation, birth=card.birth_date,
                         id_number=card.id_number, today=TODAY)
    return sign_holder(SECRET, holder)


def test_a_card_read_at_a_counter_shows_the_clerk_that_persons_cases_in_the_hall(app: TestClient,
                                                                                ledger: Ledger) -> None:
    clerk = login(app, "clerk04")
    assert app.post(f"{H}/counters/4/open", headers=clerk).status_code == 200
    agent = {"Authorization": f"Bearer {COUNTER_AGENT}"}
    with app.websocket_connect("/ws/halls/jinan/counters/4", headers=clerk) as feed:
        assert feed.receive_json()["type"] == "snapshot"
        read = app.post(f"{H}/counters/4/card", json=card_body(WANG), headers=agent)
        assert read.status_code == 202, read.text
        while (message := feed.receive_json())["type"] != "card.cases":
            pass
    assert message["holder"]["masked_name"] == "王*明" and message["total"] == 2
    assert [(c["receipt_no"], c["item"]["name"], c["status_label"]) for c in message["cases"]] == [
        (ledger.r3, "企业名称自主申报", "已受理"), (ledger.r1, "有限责任公司设立登记", "审查中")]
    assert message["cases"][0]["received_at"].startswith("2026-11-25")
    assert WANG.id_number not in str(message) and WANG.id_number not in read.text and PHONE not in str(message)
    assert app.post(f"{H}/counters/4/card", json=card_body(NOBODY), headers=agent).json()["total"] == 0
    # only an agent that drives the counter: the kiosk's agent drives counters 1–3
    assert app.post(f"{H}/counters/4/card", json=card_body(WANG), headers=AGENT).status_code == 403
    assert app.post(f"{H}/counters/4/card", json=card_body(WANG), headers=clerk).status_code == 403
    bad = {"card": {**card_body(WANG)["card"], "id_number": WANG.id_number[:-1] + "0"}}
    if bad["card"]["id_number"] == WANG.id_number:
        bad["card"]["id_number"] = WANG.id_number[:-1] + "1"
    assert app.post(f"{H}/counters/4/card", json=bad, headers=agent).status_code == 422


def test_the_counter_agents_own_socket_reads_the_card_for_its_counter(app: TestClient, ledger: Ledger) -> None:
    clerk = login(app, "clerk04")
    assert app.post(f"{H}/counters/4/open", headers=clerk).status_code == 200
    with app.websocket_connect("/ws/halls/jinan/counters/4", headers=clerk) as feed, \
            app.websocket_connect(f"/ws/agent?token={COUNTER_AGENT}") as agent:
        assert feed.receive_json()["type"] == "snapshot"
        agent.send_json({"type": "hello", "counters": [4], "devices": {}})
        while agent.receive_json()["type"] != "welcome":
            pass
        agent.send_json({"type": "event", "id": "card-read-0001", "event": {"type": "card.read", **card_body(LI)}})
        while (ack := agent.receive_json())["type"] != "ack":
            pass
        assert ack["ok"] is True, ack
        while (message := feed.receive_json())["type"] != "card.cases":
            pass
    assert [c["receipt_no"] for c in message["cases"]] == [ledger.r2]


def test_the_kiosk_lists_the_card_holders_cases_masked(app: TestClient, ledger: Ledger) -> None:
    url = f"{H}/cases/by-card"
    found = app.get(url, params={"card_token": card_token(WANG)}, headers=KIOSK)
    assert found.status_code == 200, found.text
    body = found.json()
    assert [c["receipt_no"] for c in body["cases"]] == [ledger.r3, ledger.r1] and body["total"] == 2
    assert all(c["applicant"] == {"masked_name": "王*明"} for c in body["cases"])
    assert PHONE not in found.text and "王小明" not in found.text and WANG.id_number not in found.text
    assert [c["receipt_no"] for c in app.get(url, params={"card_token": card_token(LI)}, headers=KIOSK)
            .json()["cases"]] == [ledger.r2]
    assert app.get(url, params={"card_token": card_token(NOBODY)}, headers=KIOSK).json() == {
        "total": 0, "cases": []}
    forged = app.get(url, params={"card_token": card_token(WANG)[:-3] + "abc"}, headers=KIOSK)
    assert forged.status_code == 422 and forged.json()["error"]["field"] == "card_token"
    assert app.get(url, headers=KIOSK).status_code == 422
    assert app.get(url, params={"card_token": card_token(WANG)}, headers=login(app, "dept-scjg")).status_code == 403
    assert app.get(url, params={"card_token": card_token(WANG)},
                   headers=login(app, "gulou-manager")).status_code == 403


def test_a_ready_case_found_by_card_gets_its_pickup_ticket(app: TestClient, ledger: Ledger) -> None:
    dept = login(app, "dept-scjg")
    for status in ("approved", "ready"):
        assert app.post(f"/api/v1/cases/{ledger.r1}/events", json={"status": status}, headers=dept).status_code == 200
    url = f"{H}/cases/by-card/pickup-ticket"
    ticket = app.post(url, json={"card_token": card_token(WANG), "receipt_no": ledger.r1}, headers=KIOSK)
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["queue"] == "L" and ticket.json()["case_receipt"] == ledger.r1
    someone_else = app.post(url, json={"card_token": card_token(LI), "receipt_no": ledger.r1}, headers=KIOSK)
    assert someone_else.status_code == 404  # not their case: as if it did not exist
    not_ready = app.post(url, json={"card_token": card_token(WANG), "receipt_no": ledger.r3}, headers=KIOSK)
    assert not_ready.status_code == 409


def test_a_card_read_naming_a_counter_goes_there_only_if_the_agent_drives_it(app: TestClient,
                                                                             ledger: Ledger) -> None:
    """The kiosk's agent drives counters 1–3 (the demo's counter bus): a read it says was made at
    counter 2 goes to counter 2's clerk; one it says was made at counter 4 is refused and goes nowhere."""
    clerk = login(app, "clerk02")
    assert app.post(f"{H}/counters/2/open", headers=clerk).status_code == 200
    token = demo_token(SECRET, "agent", "kiosk-1")
    with app.websocket_connect("/ws/halls/jinan/counters/2", headers=clerk) as feed, \
            app.websocket_connect(f"/ws/agent?token={token}") as agent:
        assert feed.receive_json()["type"] == "snapshot"
        agent.send_json({"type": "hello", "counters": [1, 2, 3], "devices": {}})
        while agent.receive_json()["type"] != "welcome":
            pass
        for number, event_id in ((4, "card-read-0004"), (2, "card-read-0002")):
            agent.send_json({"type": "event", "id": event_id,
                             "event": {"type": "card.read", "counter": number, **card_body(WANG)}})
            while (ack := agent.receive_json())["type"] != "ack":
                pass
            assert ack["ok"] is (number == 2), ack
        while (message := feed.receive_json())["type"] != "card.cases":
            pass
    assert message["counter"] == 2 and [c["receipt_no"] for c in message["cases"]] == [ledger.r3, ledger.r1]
