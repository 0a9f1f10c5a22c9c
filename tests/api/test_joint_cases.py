"""Joint cases (联审联办, seed art. 6) and 补正: a case that several departments must decide is
approved only once each has approved its part and rejected once one rejects; a department that
asks for more material holds the case and its time limit until the material arrives at a counter,
then the due date moves on by the working days it stood still. The visitor's case shows each
department's step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.auth import hash_password
from server.demo import DEMO_PASSWORD
from server.domain.clock import FakeClock
from server.store import accounts
from server.store.db import open_database
from tests.api.test_cases import _serve, move, receive

HALL = "/api/v1/halls/jinan"


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    served = _serve(sqlite_url, clock)
    client = next(served)
    db = open_database(sqlite_url)
    with db.writer.begin() as conn:  # a second department's account, as the 人员 tab makes one
        accounts.upsert_user(conn, "dept-swj", hash_password(DEMO_PASSWORD), "department", "jinan", None,
                             "区税务局", "SWJ", department="SWJ")
    db.dispose()
    manager = login_as(client, "manager")
    item = client.get(f"{HALL}/items").json()
    b04 = next(i for i in item if i["code"] == "B04")  # 营业执照注销登记: 市场监管 leads, 税务 decides too
    body = {k: b04[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    assert client.put(f"{HALL}/items/B04", json={**body, "departments": ["SWJ"]}, headers=manager).status_code == 200
    yield client
    next(served, None)


def login_as(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def clerk(app: TestClient) -> dict[str, str]:
    headers = login_as(app, "clerk04")
    assert app.post(f"{HALL}/counters/4/open", headers=headers).status_code == 200
    return headers


def parts(case: dict[str, Any]) -> dict[str, str]:
    return {p["department"]: p["status"] for p in case["parts"]}


def test_a_joint_case_is_approved_only_when_every_department_approves(app: TestClient,
                                                                       clerk: dict[str, str]) -> None:
    case = receive(app, clerk, item="B04")
    receipt = case["receipt_no"]
    assert case["departments"] == ["SCJG", "SWJ"]
    assert parts(case) == {"SCJG": "pending", "SWJ": "pending"}
    scjg, swj = login_as(app, "dept-scjg"), login_as(app, "dept-swj")
    approved = move(app, scjg, receipt, "approved", note="材料齐全，同意注销")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "in_review" and parts(approved.json())["SCJG"] == "approved"
    again = move(app, scjg, receipt, "rejected", note="改主意")
    assert again.status_code == 409  # a department's decision stands
    done = move(app, swj, receipt, "approved", note="已清税")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    steps = [(e["status"], e["department_name"]) for e in done.json()["timeline"]]
    assert ("approved", "区市场监管局") in steps and ("approved", "区税务局") in steps
    assert steps[-1] == ("approved", None)  # the case itself, once both agreed
    labels = [e["status_label"] for e in done.json()["timeline"][-3:]]
    assert labels == ["同意", "同意", "已批准"]  # each department's decision, then the case's
    visitor = app.get(f"/api/v1/case-status/{case['status_token']}").json()
    assert [(p["department_name"], p["status_label"]) for p in visitor["parts"]] == [
        ("区市场监管局", "已同意"), ("区税务局", "已同意")]


def test_one_rejection_rejects_the_case_and_needs_a_reason(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk, item="B04")["receipt_no"]
    swj = login_as(app, "dept-swj")
    silent = move(app, swj, receipt, "rejected")
    assert silent.status_code == 422 and silent.json()["error"]["field"] == "note"
    rejected = move(app, swj, receipt, "rejected", note="存在欠税，不予注销")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert move(app, login_as(app, "dept-scjg"), receipt, "approved").status_code == 409


def test_a_department_decides_only_cases_it_is_part_of(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk, item="B02")["receipt_no"]  # 市场监管 alone
    refused = move(app, login_as(app, "dept-swj"), receipt, "in_review")
    assert refused.status_code == 403 and "本部门" in refused.json()["error"]["message"]


def test_supplement_pauses_the_time_limit_until_the_material_arrives(app: TestClient, clerk: dict[str, str],
                                                                      clock: FakeClock) -> None:
    case = receive(app, clerk, item="B04")
    receipt, due = case["receipt_no"], case["due_at"]
    swj = login_as(app, "dept-swj")
    empty = move(app, swj, receipt, "supplement")
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "missing"
    asked = move(app, swj, receipt, "supplement", missing=["清税证明原件", "近三个月纳税申报表"])
    assert asked.status_code == 200, asked.text
    held = asked.json()
    assert held["status"] == "supplement" and held["status_label"] == "补正中"
    assert held["materials_missing"] == ["清税证明原件", "近三个月纳税申报表"]
    assert move(app, login_as(app, "dept-scjg"), receipt, "approved").json()["status"] == "supplement"
    clock.advance(2 * 24 * 3600)  # Wednesday → Friday: two working days stood still
    back = move(app, clerk, receipt, "in_review", note="申请人已补交清税证明和纳税申报表")
    assert back.status_code == 200, back.text
    resumed = back.json()
    assert resumed["status"] == "in_review" and resumed["materials_missing"] == []
    assert parts(resumed) == {"SCJG": "approved", "SWJ": "in_review"}
    assert resumed["due_at"] > due and "顺延 2 个工作日" in resumed["timeline"][-1]["note"]
    done = move(app, swj, receipt, "approved")
    assert done.json()["status"] == "approved"


def test_the_clerk_decides_every_part_at_once_for_an_immediate_case(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk, item="B04")["receipt_no"]
    approved = move(app, clerk, receipt, "approved", note="即办")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert set(parts(approved.json()).values()) == {"approved"}


def test_the_clerk_who_received_the_case_answers_for_it(app: TestClient, clerk: dict[str, str]) -> None:
    case = receive(app, clerk, item="B04")
    assert "首问负责：郑伟" in case["timeline"][0]["note"]  # clerk04's name, in the first step
    found = app.get(f"{HALL}/cases?q={case['receipt_no']}", headers=login_as(app, "manager")).json()["cases"]
    assert found[0]["first_responder"] == "clerk04"
