"""Cases (办件): receiving at a counter, the department's progress, the applicant's lookup and live
feed, the pickup ticket, collection and mailing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from starlette.testclient import TestClient

from devices.idcard.emulator import demo_card
from server.app import create_app
from server.cli import demo_token
from server.domain.clock import FakeClock
from server.services import cases
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed

TODAY = date(2026, 11, 25)  # the FakeClock's hall-local day, a Wednesday
APPLICANT = demo_card(40, name="王小明", today=TODAY, sequence=321)
OTHER = demo_card(35, name="李四", today=TODAY, sequence=456)
PHONE = "13812345678"
B02_MATERIALS = ["公司章程", "股东身份证明", "住所使用证明", "设立登记申请书"]


def _serve(url: str, clock: FakeClock) -> Iterator[TestClient]:
    seed(url)
    settings = Settings(url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings, clock), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    yield from _serve(sqlite_url, clock)


@pytest.fixture
def clerk(app: TestClient) -> dict[str, str]:
    headers = login(app, "clerk04")
    assert app.post("/api/v1/halls/jinan/counters/4/open", headers=headers).status_code == 200
    return headers


def receive(client: TestClient, clerk: dict[str, str], item: str = "B02", **extra: Any) -> dict[str, Any]:
    body = {"item": item, "applicant": {"name": "王小明", "id_number": APPLICANT.id_number, "phone": PHONE}, **extra}
    response = client.post("/api/v1/halls/jinan/cases", json=body, headers=clerk)
    assert response.status_code == 201, response.text
    return dict(response.json())


def move(client: TestClient, headers: dict[str, str], receipt: str, status: str, **extra: Any) -> Any:
    return client.post(f"/api/v1/cases/{receipt}/events", json={"status": status, **extra}, headers=headers)


def to_ready(client: TestClient, receipt: str) -> None:
    dept = login(client, "dept-scjg")
    for status in ("in_review", "approved", "ready"):
        response = move(client, dept, receipt, status)
        assert response.status_code == 200, response.text


def test_a_complete_case_is_accepted_with_its_due_date(app: TestClient, clerk: dict[str, str]) -> None:
    case = receive(app, clerk)
    assert case["department_name"] == "区市场监管局"
    assert case["status"] == "accepted" and case["item"] == "B02" and case["department"] == "SCJG"
    assert case["receipt_no"] == "JA202611250001"
    # Wednesday + 3 working days (the day itself not counted) → Monday
    assert case["due_at"] == "2026-11-30" and case["due_provisional"] is False
    assert case["accepted_at"].startswith("2026-11-25T09:00") and case["accepted_at"].endswith("+08:00")
    assert case["notice"] is None and case["receipt_url"] == f"/c/{case['status_token']}/receipt"
    assert APPLICANT.id_number not in str(case) and PHONE not in str(case)
    assert case["applicant"] == {"masked_name": "王*明"}
    assert receive(app, clerk)["receipt_no"] == "JA202611250002"


def test_an_applicant_born_in_1950_in_jinan_is_accepted(app: TestClient, clerk: dict[str, str]) -> None:
    elder = demo_card(76, name="林阿婆", today=TODAY, region="350111", sequence=222)
    response = app.post("/api/v1/halls/jinan/cases", headers=clerk, json={
        "item": "B02", "applicant": {"name": elder.name, "id_number": elder.id_number}})
    assert response.status_code == 201, response.text


def test_an_immediate_item_is_due_the_same_day(app: TestClient, clerk: dict[str, str]) -> None:
    assert receive(app, clerk, item="B10")["due_at"] == "2026-11-25"


def test_an_incomplete_case_lists_every_missing_material_then_is_accepted(app: TestClient,
                                                                          clerk: dict[str, str]) -> None:
    missing = ["公司章程", "住所使用证明"]
    case = receive(app, clerk, materials_missing=missing)
    assert case["status"] == "incomplete" and case["due_at"] is None and case["accepted_at"] is None
    notice = case["notice"]
    assert notice["title"] == "一次性告知书" and notice["missing"] == missing
    assert all(m in notice["text"] for m in missing)
    response = move(app, clerk, case["receipt_no"], "accepted", note="材料已补齐")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted" and response.json()["due_at"] == "2026-11-30"
    assert response.json()["materials_missing"] == []


def test_receiving_refuses_bad_input(app: TestClient, clerk: dict[str, str]) -> None:
    url = "/api/v1/halls/jinan/cases"
    unknown = app.post(url, json={"item": "X99", "applicant": {"name": "王小明"}}, headers=clerk)
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "item"
    stray = app.post(url, json={"item": "B02", "applicant": {"name": "王小明"}, "materials_missing": ["户口簿"]},
                     headers=clerk)
    assert stray.status_code == 422 and stray.json()["error"]["field"] == "materials_missing"
    bad_id = demo_card(40, today=TODAY, valid_id=False).id_number
    wrong = app.post(url, json={"item": "B02", "applicant": {"name": "王小明", "id_number": bad_id}}, headers=clerk)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "applicant.id_number"
    ticket = app.post(url, json={"item": "B02", "applicant": {"name": "王小明"}, "ticket_id": "nope"}, headers=clerk)
    assert ticket.status_code == 404 and ticket.json()["error"]["field"] == "ticket_id"
    assert app.post(url, json={"item": "B02", "applicant": {"name": "王小明"}},
                    headers=login(app, "clerk05")).status_code == 403  # not signed in at a counter
    app.cookies.clear()  # the logins' session cookie
    assert app.post(url, json={"item": "B02", "applicant": {"name": "王小明"}}).status_code == 401


def test_a_served_ticket_links_to_the_case(app: TestClient, clerk: dict[str, str]) -> None:
    ticket = app.post("/api/v1/halls/jinan/tickets", json={"queue": "B"}, headers=KIOSK).json()
    app.post("/api/v1/halls/jinan/counters/4/call-next", headers=clerk)
    case = receive(app, clerk, ticket_id=ticket["id"])
    assert case["ticket_number"] == ticket["number"] == "B001"


def test_the_department_moves_its_case_and_the_lookup_shows_every_step(app: TestClient,
                                                                      clerk: dict[str, str]) -> None:
    case = receive(app, clerk, materials_missing=["公司章程"])
    receipt = case["receipt_no"]
    assert move(app, clerk, receipt, "accepted").status_code == 200
    to_ready(app, receipt)
    for check in (APPLICANT.id_number[-4:], PHONE[-4:], APPLICANT.id_number[-4:].lower()):
        response = app.get(f"/api/v1/cases/{receipt}", params={"check": check})
        assert response.status_code == 200, response.text
        body = response.json()
        assert [e["status"] for e in body["timeline"]] == ["incomplete", "accepted", "in_review", "approved",
                                                           "ready"]
        assert body["status"] == "ready" and body["item"] == {"code": "B02", "name": "有限责任公司设立登记",
                                                               "department": "SCJG", "department_name": "区市场监管局"}
        assert APPLICANT.id_number not in response.text and PHONE not in response.text
    by_token = app.get(f"/api/v1/case-status/{case['status_token']}")
    assert by_token.status_code == 200 and by_token.json()["status"] == "ready"


def test_another_department_may_not_report(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk, item="A04")["receipt_no"]  # 区人社局
    assert move(app, login(app, "dept-scjg"), receipt, "in_review").status_code == 403


def test_an_illegal_transition_is_409_naming_the_current_state(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    response = move(app, login(app, "dept-scjg"), receipt, "ready")
    assert response.status_code == 409 and "已受理" in response.json()["error"]["message"]
    assert move(app, clerk, receipt, "shipped").status_code == 422
    assert move(app, clerk, "JA000000000000", "in_review").status_code == 404


def test_a_wrong_check_is_the_same_404_as_an_unknown_receipt(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    wrong = app.get(f"/api/v1/cases/{receipt}", params={"check": "0000"})
    missing = app.get(f"/api/v1/cases/{receipt}")
    unknown = app.get("/api/v1/cases/JA209901010001", params={"check": APPLICANT.id_number[-4:]})
    assert wrong.status_code == missing.status_code == unknown.status_code == 404
    assert wrong.json() == missing.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "unknown_case"


def test_wrong_checks_throttle_that_receipt_from_that_address_only(app: TestClient, clerk: dict[str, str],
                                                                    clock: FakeClock) -> None:
    """Five typos at the shared kiosk lock out that receipt from that kiosk, with growing delays;
    every other visitor's receipt, and the same receipt from elsewhere, still answer."""
    receipt, other = receive(app, clerk)["receipt_no"], receive(app, clerk)["receipt_no"]
    right = {"check": APPLICANT.id_number[-4:]}

    def look(number: str, check: dict[str, str]) -> Any:
        return app.get(f"/api/v1/cases/{number}", params=check)

    for _ in range(5):
        assert look(receipt, {"check": "0000"}).status_code == 404
    limited = look(receipt, right)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "too_many_attempts"
    first_wait = int(limited.headers["Retry-After"])
    assert first_wait > 0
    assert look(other, right).status_code == 200  # the next visitor at the same kiosk
    assert look("JA209901010001", {"check": "0000"}).status_code == 404  # still the plain 404
    assert app.portal is not None  # the same receipt from another address
    elsewhere = app.portal.call(cases.lookup, app.app_state["ctx"], receipt, right["check"], "10.0.0.2")
    assert elsewhere["receipt_no"] == receipt

    clock.advance(first_wait)
    assert look(receipt, {"check": "0000"}).status_code == 404  # one more miss: a longer wait
    again = look(receipt, right)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > first_wait
    clock.advance(int(again.headers["Retry-After"]))
    assert look(receipt, right).status_code == 200


def test_the_case_feed_sends_a_snapshot_then_every_change(app: TestClient, clerk: dict[str, str]) -> None:
    case = receive(app, clerk)
    with app.websocket_connect(f"/ws/cases/{case['status_token']}") as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and first["case"]["status"] == "accepted"
        assert move(app, login(app, "dept-scjg"), case["receipt_no"], "in_review").status_code == 200
        update = ws.receive_json()
        assert update["type"] == "case.updated" and update["case"]["status"] == "in_review"
        assert [e["status"] for e in update["case"]["timeline"]] == ["accepted", "in_review"]


def test_an_unknown_case_token_closes_the_feed(app: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed, app.websocket_connect("/ws/cases/nope") as ws:
        ws.receive_json()
    assert closed.value.code == 1008


def test_a_ready_case_gets_a_pickup_ticket_once(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    check = {"check": PHONE[-4:]}
    url = f"/api/v1/cases/{receipt}/pickup-ticket"
    not_ready = app.post(url, json=check, headers=KIOSK)
    assert not_ready.status_code == 409 and "已受理" in not_ready.json()["error"]["message"]
    assert app.post(url, json={"check": "0000"}, headers=KIOSK).status_code == 404
    to_ready(app, receipt)
    ticket = app.post(url, json=check, headers=KIOSK)
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["queue"] == "L" and ticket.json()["case_receipt"] == receipt
    again = app.post(url, json=check, headers=login(app, "guide"))
    assert again.status_code == 409 and again.json()["ticket"]["number"] == ticket.json()["number"]


def test_collection_needs_the_applicant_or_an_authorised_collector_and_a_clerk(app: TestClient,
                                                                              clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    to_ready(app, receipt)
    assert move(app, clerk, receipt, "collected").status_code == 422  # no collector
    stranger = {"name": "李四", "id_number": OTHER.id_number}
    mismatch = move(app, clerk, receipt, "collected", collector=stranger)
    assert mismatch.status_code == 422 and mismatch.json()["error"]["field"] == "collector.id_number"
    self_ = {"name": "王小明", "id_number": APPLICANT.id_number}
    assert move(app, login(app, "manager"), receipt, "collected", collector=self_).status_code == 403
    assert move(app, login(app, "dept-scjg"), receipt, "collected", collector=self_).status_code == 403
    done = move(app, clerk, receipt, "collected", collector=stranger, note="代领：李四，持委托书")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "collected" and "李*" in done.json()["timeline"][-1]["note"]
    assert "李四" not in done.text


def test_the_applicant_collects_in_person(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    to_ready(app, receipt)
    done = move(app, clerk, receipt, "collected", collector={"name": "王小明", "id_number": APPLICANT.id_number})
    assert done.status_code == 200 and done.json()["timeline"][-1]["note"] == "申请人本人领取"


def test_mailing_needs_a_tracking_number(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    to_ready(app, receipt)
    dept = login(app, "dept-scjg")
    missing = move(app, dept, receipt, "mailed")
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "tracking_no"
    mailed = move(app, dept, receipt, "mailed", tracking_no="SF1234567890")
    assert mailed.status_code == 200 and mailed.json()["tracking_no"] == "SF1234567890"
    assert move(app, clerk, receipt, "collected").status_code == 409  # final


def test_print_sends_the_receipt_and_the_notice(app: TestClient, clerk: dict[str, str]) -> None:
    case = receive(app, clerk, materials_missing=["公司章程", "设立登记申请书"])
    url = f"/api/v1/cases/{case['receipt_no']}/print"
    notice = app.post(url, json={"what": "notice", "counter": 4}, headers=clerk)
    assert notice.status_code == 202, notice.text
    document = notice.json()["document"]
    assert document["missing"] == ["公司章程", "设立登记申请书"] and document["applicant_masked"] == "王*明"
    assert set(document) == {"hall_name", "item_name", "applicant_masked", "missing", "counter", "issued_at",
                             "contact"}
    assert document["contact"] == "咨询电话：87711892"  # the hall's own line (seed art. 15), not 12345
    # Not yet accepted: the one-time notice alone, no 接件回执 (seed art. 11, 16, 26).
    early = app.post(url, json={"what": "receipt", "counter": 4}, headers=clerk)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_accepted"
    assert case["receipt_url"] is None and case["notice_url"]
    assert move(app, clerk, case["receipt_no"], "accepted", note="材料已补齐").status_code == 200
    receipt = app.post(url, json={"what": "receipt", "counter": 4}, headers=clerk).json()["document"]
    assert set(receipt) == {"hall_name", "receipt_no", "item_name", "department", "applicant_masked",
                            "accepted_at", "due_at", "materials", "qr_url", "contact", "fee"}
    assert receipt["fee"] == ""  # B02 has no fee standard and no charge was recorded
    # all received now
    assert set(receipt["materials"]) == {"股东身份证明", "住所使用证明", "公司章程", "设立登记申请书"}
    assert receipt["contact"] == "咨询电话：87711892"
    assert app.post(url, json={"what": "receipt", "counter": 5}, headers=clerk).status_code in (403, 409)


def test_an_incomplete_application_has_no_receipt_page_until_it_is_accepted(app: TestClient,
                                                                             clerk: dict[str, str]) -> None:
    case = receive(app, clerk, materials_missing=["公司章程"])
    token = case["status_token"]
    page = app.get(f"/c/{token}/receipt")
    assert page.status_code == 404 and "尚未受理，没有接件回执" in page.text and "<h1>接件回执</h1>" not in page.text
    notice = app.get(f"/c/{token}/notice")
    assert notice.status_code == 200 and "登记编号" in notice.text and "受理编号" not in notice.text
    assert "87711892" in notice.text
    status = app.get(f"/c/{token}")
    assert "登记编号" in status.text
    move(app, clerk, case["receipt_no"], "accepted", note="材料已补齐")
    receipt = app.get(f"/c/{token}/receipt")
    assert receipt.status_code == 200 and "<h1>接件回执</h1>" in receipt.text and "87711892" in receipt.text


def test_managers_list_cases_due_soon_and_overdue(app: TestClient, clerk: dict[str, str],
                                                  clock: FakeClock) -> None:
    soon = receive(app, clerk, item="B01")["receipt_no"]  # due tomorrow
    later = receive(app, clerk, item="C01")["receipt_no"]  # 10 working days
    manager = login(app, "manager")
    listed = app.get("/api/v1/halls/jinan/cases", params={"due": "soon"}, headers=manager)
    assert listed.status_code == 200 and [c["receipt_no"] for c in listed.json()] == [soon]
    assert app.get("/api/v1/halls/jinan/cases", params={"due": "soon"}, headers=clerk).status_code == 403
    assert app.get("/api/v1/halls/jinan/cases", params={"due": "x"}, headers=manager).status_code == 422
    clock.advance(3 * 86400)  # Saturday: B01 was due Thursday
    overdue = app.get("/api/v1/halls/jinan/cases", params={"due": "overdue"}, headers=manager).json()
    assert [c["receipt_no"] for c in overdue] == [soon] and later not in str(overdue)


@pytest.fixture
def pg_app(postgres_url: str, clock: FakeClock) -> Iterator[TestClient]:
    yield from _serve(postgres_url, clock)


def test_the_case_flow_on_postgresql(pg_app: TestClient) -> None:
    headers = login(pg_app, "clerk04")
    pg_app.post("/api/v1/halls/jinan/counters/4/open", headers=headers)
    receipt = receive(pg_app, headers, materials_missing=["公司章程"])["receipt_no"]
    assert move(pg_app, headers, receipt, "accepted").status_code == 200
    to_ready(pg_app, receipt)
    body = pg_app.get(f"/api/v1/cases/{receipt}", params={"check": PHONE[-4:]}).json()
    assert [e["status"] for e in body["timeline"]] == ["incomplete", "accepted", "in_review", "approved", "ready"]
    assert body["due_at"] == "2026-11-30"


def test_a_kiosk_token_is_not_a_department(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    assert move(app, KIOSK, receipt, "in_review").status_code == 403
    assert demo_token(SECRET, "kiosk", "kiosk-1") not in receipt
