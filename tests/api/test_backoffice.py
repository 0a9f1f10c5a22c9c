"""The department's workbench (/backoffice/{hall}): its page, its board (GET /halls/{hall}/backoffice)
and its live feed (/ws/halls/{hall}/departments/{code}). A department sees only the cases it decides,
with the applicant as the counter has them (name, phone, the ID number's last four: never the number)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.auth import hash_password
from server.channels import department_channel
from server.demo import DEMO_PASSWORD
from server.domain.clock import FakeClock
from server.store import accounts
from server.store.db import open_database
from tests.api.conftest import login
from tests.api.test_cases import APPLICANT, PHONE, _serve, move, receive

HALL = "/api/v1/halls/jinan"
SAME_ORIGIN = {"Origin": "http://testserver"}


def joint_hall(url: str, clock: FakeClock) -> Iterator[TestClient]:
    """The demo hall with a 区税务局 account and B04 (营业执照注销登记) decided by 市场监管 and 税务."""
    served = _serve(url, clock)
    client = next(served)
    db = open_database(url)
    with db.writer.begin() as conn:
        accounts.upsert_user(conn, "dept-swj", hash_password(DEMO_PASSWORD), "department", "jinan", None,
                             "区税务局", "SWJ", department="SWJ")
    db.dispose()
    manager = login(client, "manager")
    b04 = next(i for i in client.get(f"{HALL}/items").json() if i["code"] == "B04")
    body = {k: b04[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    assert client.put(f"{HALL}/items/B04", json={**body, "departments": ["SWJ"]}, headers=manager).status_code == 200
    yield client
    next(served, None)


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    yield from joint_hall(sqlite_url, clock)


@pytest.fixture
def clerk(app: TestClient) -> dict[str, str]:
    headers = login(app, "clerk04")
    assert app.post(f"{HALL}/counters/4/open", headers=headers).status_code == 200
    return headers


def next_update(ws: Any) -> dict[str, Any]:
    """The next case.updated; the department's messages (department.notice) on the way are passed by."""
    message: dict[str, Any] = ws.receive_json()
    while message["type"] == "department.notice":
        message = ws.receive_json()
    assert message["type"] == "case.updated", message
    case: dict[str, Any] = message["case"]
    return case


def receipts(cases: list[dict[str, Any]]) -> list[str]:
    return [c["receipt_no"] for c in cases]


# ---------------------------------------------------------------- the feed
def test_the_feed_shows_only_the_departments_cases_then_each_change(app: TestClient, clerk: dict[str, str]) -> None:
    earlier_joint = receive(app, clerk, item="B04")["receipt_no"]
    market_only = receive(app, clerk, item="B02")["receipt_no"]  # 市场监管 alone
    swj = login(app, "dept-swj")
    with app.websocket_connect("/ws/halls/jinan/departments/SWJ", headers=swj) as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and first["department"] == {"code": "SWJ", "name": "区税务局"}
        assert receipts(first["cases"]) == [earlier_joint] and market_only not in str(first)
        assert first["cases"][0]["lists"] == ["new"]

        joint = receive(app, clerk, item="B04")
        case = next_update(ws)
        assert case["receipt_no"] == joint["receipt_no"] and case["lists"] == ["new"]
        assert case["applicant"] == {"masked_name": "王*明", "name": "王小明", "phone": PHONE,
                                     "id_last4": APPLICANT.id_number[-4:]}
        assert APPLICANT.id_number not in str(case)
        assert [p["department"] for p in case["parts"]] == ["SCJG", "SWJ"] and case["part"]["status"] == "pending"

        receive(app, clerk, item="B02")  # not this department's: nothing comes
        assert move(app, login(app, "dept-scjg"), joint["receipt_no"], "approved", note="同意").status_code == 200
        decided = next_update(ws)  # another department decided its part: this one sees it
        assert decided["receipt_no"] == joint["receipt_no"]
        assert {p["department"]: p["status"] for p in decided["parts"]} == {"SCJG": "approved", "SWJ": "pending"}

        asked = move(app, swj, joint["receipt_no"], "supplement", missing=["清税证明原件"])
        assert asked.status_code == 200, asked.text
        held = next_update(ws)
        assert held["status"] == "supplement" and held["lists"] == ["supplement"]
        assert held["materials"] == [{"name": "营业执照正副本", "received": True},
                                     {"name": "注销登记申请书", "received": True},
                                     {"name": "清税证明", "received": True},
                                     {"name": "清税证明原件", "received": False}]


def test_the_feed_carries_what_the_department_is_told(app: TestClient) -> None:
    told = {"type": "department.notice", "notice": {"id": 7, "kind": "due_tomorrow", "department": "SWJ",
                                                     "text": "办件 JA202611250001 明日到期", "receipt_no": None}}
    with app.websocket_connect("/ws/halls/jinan/departments/SWJ", headers=login(app, "dept-swj")) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        assert app.portal is not None
        app.portal.call(app.app_state["ctx"].bus.publish, department_channel("jinan", "SWJ"), told)
        assert ws.receive_json() == told


def test_only_the_department_and_the_halls_managers_may_open_its_feed(app: TestClient) -> None:
    for who in ("clerk04", "dept-scjg"):
        with pytest.raises(WebSocketDisconnect) as closed, \
                app.websocket_connect("/ws/halls/jinan/departments/SWJ", headers=login(app, who)) as ws:
            ws.receive_json()
        assert closed.value.code == 1008 and "部门" in str(closed.value.reason)
    with pytest.raises(WebSocketDisconnect) as closed, app.websocket_connect("/ws/halls/jinan/departments/SWJ") as ws:
        ws.receive_json()
    assert closed.value.code == 1008
    with app.websocket_connect("/ws/halls/jinan/departments/SWJ", headers=login(app, "manager")) as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_a_cookie_opens_the_feed_only_from_our_own_pages(app: TestClient) -> None:
    app.post("/api/v1/auth/login", json={"username": "dept-swj", "password": DEMO_PASSWORD})
    with app.websocket_connect("/ws/halls/jinan/departments/SWJ", headers=SAME_ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
    with pytest.raises(WebSocketDisconnect) as closed, app.websocket_connect(
            "/ws/halls/jinan/departments/SWJ", headers={"Origin": "http://evil.example"}) as ws:
        ws.receive_json()
    assert closed.value.code == 1008


# ---------------------------------------------------------------- the board
def test_the_board_groups_the_departments_work(app: TestClient, clerk: dict[str, str], clock: FakeClock) -> None:
    fresh = receive(app, clerk, item="B04")["receipt_no"]  # due in 5 working days
    reviewing = receive(app, clerk, item="B04")["receipt_no"]
    today = receive(app, clerk, item="B08")["receipt_no"]  # 税务登记信息确认, 即办: due today
    held = receive(app, clerk, item="B04")["receipt_no"]
    done = receive(app, clerk, item="B04")["receipt_no"]
    receive(app, clerk, item="B02")
    swj = login(app, "dept-swj")
    assert move(app, swj, reviewing, "in_review").status_code == 200
    assert move(app, swj, held, "supplement", missing=["近三个月纳税申报表"]).status_code == 200
    assert move(app, swj, done, "approved", note="已清税").status_code == 200

    board = app.get(f"{HALL}/backoffice", headers=swj)
    assert board.status_code == 200, board.text
    body = board.json()
    lists = body["lists"]
    assert body["department"] == {"code": "SWJ", "name": "区税务局"}
    assert receipts(lists["new"]) == [today, fresh] and receipts(lists["in_review"]) == [reviewing]
    assert receipts(lists["supplement"]) == [held] and receipts(lists["decided_recently"]) == [done]
    assert receipts(lists["due_soon"]) == [today] and lists["overdue"] == []
    assert body["counts"]["new"] == 2
    first = lists["new"][1]
    assert first["applicant"]["name"] == "王小明" and first["working_days_left"] == 5
    assert [e["status"] for e in first["timeline"]] == ["accepted"]
    assert APPLICANT.id_number not in board.text

    clock.advance(24 * 3600)  # Thursday: the 即办 case is a day late
    later = app.get(f"{HALL}/backoffice", headers=swj).json()
    assert receipts(later["lists"]["overdue"]) == [today] and later["lists"]["overdue"][0]["working_days_left"] == -1


def test_the_board_is_for_the_department_and_the_halls_managers(app: TestClient) -> None:
    refused = app.get(f"{HALL}/backoffice", headers=login(app, "clerk04"))
    assert refused.status_code == 403 and "部门" in refused.json()["error"]["message"]
    other = app.get(f"{HALL}/backoffice", params={"department": "SWJ"}, headers=login(app, "dept-scjg"))
    assert other.status_code == 403
    manager = login(app, "manager")
    assert app.get(f"{HALL}/backoffice", params={"department": "SWJ"}, headers=manager).status_code == 200
    named = app.get(f"{HALL}/backoffice", headers=manager)
    assert named.status_code == 422 and named.json()["error"]["field"] == "department"
    unknown = app.get(f"{HALL}/backoffice", params={"department": "NOPE"}, headers=manager)
    assert unknown.status_code == 404


def test_the_board_reads_the_same_on_postgresql(postgres_url: str, clock: FakeClock) -> None:
    served = joint_hall(postgres_url, clock)
    client = next(served)
    try:
        clerk = login(client, "clerk04")
        client.post(f"{HALL}/counters/4/open", headers=clerk)
        joint = receive(client, clerk, item="B04")["receipt_no"]
        body = client.get(f"{HALL}/backoffice", headers=login(client, "dept-swj")).json()
        assert receipts(body["lists"]["new"]) == [joint]
    finally:
        next(served, None)


# ---------------------------------------------------------------- the page
def test_the_page_is_the_department_accounts(app: TestClient) -> None:
    assert app.get("/backoffice/jinan").status_code == 403  # the manager the fixture signed in: not a department
    app.cookies.clear()
    away = app.get("/backoffice/jinan", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/login?next=/backoffice/jinan"
    app.post("/api/v1/auth/login", json={"username": "clerk04", "password": DEMO_PASSWORD})
    clerk = app.get("/backoffice/jinan")
    assert clerk.status_code == 403 and "没有权限" in clerk.text and "部门" in clerk.text
    app.post("/api/v1/auth/login", json={"username": "dept-swj", "password": DEMO_PASSWORD})
    page = app.get("/backoffice/jinan")
    assert page.status_code == 200 and "区税务局" in page.text and "/prereview/jinan" in page.text
    assert "Content-Security-Policy" in page.headers
    assert app.get("/backoffice/nowhere").status_code == 404
