"""Fees (收费, seed art. 3(二), 12): a clerk records what a case was charged at acceptance or pickup and
how it was settled; the receipt shows it; the reports sum each day per item and per counter."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.domain.clock import FakeClock
from tests.api.conftest import KIOSK, login
from tests.api.test_cases import _serve, receive


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    """On SQLite and PostgreSQL: the sums are SQL."""
    yield from _serve(database_url, clock)


@pytest.fixture
def clerk(app: TestClient) -> dict[str, str]:
    headers = login(app, "clerk04")
    assert app.post("/api/v1/halls/jinan/counters/4/open", headers=headers).status_code == 200
    return headers


def set_fee(app: TestClient, code: str, fee: str) -> None:
    """The manager writes the item's 收费标准 in the catalog, as the admin page does."""
    manager = login(app, "manager")
    items = app.get("/api/v1/halls/jinan/items").json()
    item = next(i for i in items if i["code"] == code)
    body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    response = app.put(f"/api/v1/halls/jinan/items/{code}", headers=manager, json={**body, "fee": fee})
    assert response.status_code in (200, 201), response.text


def charge(app: TestClient, headers: dict[str, str], receipt: str, **body: Any) -> Any:
    return app.post(f"/api/v1/cases/{receipt}/fees", headers=headers, json=body)


def test_a_clerk_records_charges_and_the_case_lists_them(app: TestClient, clerk: dict[str, str]) -> None:
    set_fee(app, "B02", "工本费10元")
    receipt = receive(app, clerk)["receipt_no"]
    paid = charge(app, clerk, receipt, amount=10, settlement="window", stage="acceptance")
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount_fen"] == 1000 and paid.json()["settlement_label"] == "窗口缴费"
    assert paid.json()["counter"] == 4
    waived = charge(app, clerk, receipt, amount="5.50", settlement="waived", waived_reason="低保户减免", stage="pickup")
    assert waived.status_code == 201, waived.text

    listed = app.get(f"/api/v1/cases/{receipt}/fees", headers=clerk)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["standard"] == "工本费10元" and body["free"] is False
    assert [(c["amount_text"], c["settlement"], c["stage"]) for c in body["charges"]] == [
        ("10.00元", "window", "acceptance"), ("5.50元", "waived", "pickup")]
    assert body["charges"][1]["waived_reason"] == "低保户减免"
    assert body["collected_text"] == "10.00元"  # a waiver is not money collected

    manager = login(app, "manager")
    sentences = [e["sentence"] for e in app.get("/api/v1/audit?action=case.fees", headers=manager).json()["entries"]]
    assert any("收取了费用 10.00元（窗口缴费）" in s for s in sentences), sentences


def test_bad_charges_are_refused_naming_the_field(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]

    def field(**body: Any) -> str:
        response = charge(app, clerk, receipt, **{"settlement": "window", "stage": "acceptance", **body})
        assert response.status_code == 422, response.text
        return str(response.json()["error"]["field"])

    assert field(settlement="waived", amount=10) == "waived_reason"
    assert field(settlement="waived", amount=10, waived_reason="  ") == "waived_reason"
    assert field(amount=-1) == "amount"
    assert field(amount="10.005") == "amount"
    assert field(amount=10, settlement="cash") == "settlement"
    assert field(amount=10, stage="later") == "stage"
    unknown = charge(app, clerk, "JA209901010001", amount=1, settlement="window", stage="acceptance")
    assert unknown.status_code == 404


def test_only_the_halls_clerks_at_a_counter_and_managers_record(app: TestClient, clerk: dict[str, str]) -> None:
    receipt = receive(app, clerk)["receipt_no"]
    body = {"amount": 10, "settlement": "window", "stage": "acceptance"}
    assert charge(app, login(app, "clerk05"), receipt, **body).status_code == 403  # not signed in at a counter
    assert charge(app, login(app, "guide"), receipt, **body).status_code == 403
    assert charge(app, login(app, "dept-scjg"), receipt, **body).status_code == 403
    assert charge(app, KIOSK, receipt, **body).status_code == 403
    assert app.get(f"/api/v1/cases/{receipt}/fees", headers=KIOSK).status_code == 403
    app.cookies.clear()  # the last sign-in's session cookie
    assert app.get(f"/api/v1/cases/{receipt}/fees").status_code == 401
    assert charge(app, login(app, "manager"), receipt, **body).status_code == 201


def test_the_receipt_shows_the_standard_and_the_charge(app: TestClient, clerk: dict[str, str]) -> None:
    set_fee(app, "B02", "工本费10元")
    case = receive(app, clerk)
    assert charge(app, clerk, case["receipt_no"], amount=10, settlement="online", stage="acceptance").status_code == 201
    page = app.get(case["receipt_url"])
    assert page.status_code == 200
    assert "工本费10元" in page.text and "10.00元（网上缴费）" in page.text
    printed = app.post(f"/api/v1/cases/{case['receipt_no']}/print", headers=clerk,
                       json={"what": "receipt", "counter": 4})
    assert printed.status_code == 202 and "10.00元（网上缴费）" in printed.json()["document"]["fee"]


def test_the_report_sums_each_day_per_item_and_counter(app: TestClient, clerk: dict[str, str]) -> None:
    first, second = receive(app, clerk)["receipt_no"], receive(app, clerk, item="B10")["receipt_no"]
    charge(app, clerk, first, amount=10, settlement="window", stage="acceptance")
    charge(app, clerk, first, amount="2.50", settlement="online", stage="pickup")
    charge(app, clerk, second, amount=20, settlement="waived", waived_reason="依规定减免", stage="acceptance")
    manager = login(app, "manager")
    report = app.get("/api/v1/halls/jinan/reports", params={"by": "item"}, headers=manager)
    assert report.status_code == 200, report.text
    fees = report.json()["fees"]
    by_item = {r["key"]: r for r in fees["by_item"]}
    assert by_item["B02"]["window"] == "10.00" and by_item["B02"]["online"] == "2.50"
    assert by_item["B02"]["collected"] == "12.50" and by_item["B02"]["day"] == "2026-11-25"
    assert by_item["B10"]["waived"] == 1 and by_item["B10"]["waived_amount"] == "20.00"
    assert by_item["B10"]["collected"] == "0.00"
    assert [(r["label"], r["collected"], r["waived"]) for r in fees["by_counter"]] == [("4号窗口", "12.50", 1)]
    assert fees["total"]["collected"] == "12.50" and fees["total"]["charges"] == 3

    r = app.post("/api/v1/halls/jinan/reports/exports", headers=manager, json={"date": "2026-11-25", "format": "csv"})
    assert r.status_code == 202
    state = wait_done(app, manager, r.json()["id"])
    lines = list(csv.reader(io.StringIO(app.get(state["file_url"], headers=manager).content.decode("utf-8-sig"))))
    assert ["收费日汇总（按窗口）"] in lines
    assert ["2026-11-25", "4", "4号窗口", "10.00", "2.50", "12.50", "1", "20.00", "3"] in lines


def wait_done(app: TestClient, headers: dict[str, str], job: int) -> dict[str, Any]:
    import time
    for _ in range(200):
        state = app.get(f"/api/v1/halls/jinan/reports/exports/{job}", headers=headers).json()
        if state["status"] in ("done", "failed"):
            return dict(state)
        time.sleep(0.05)
    raise AssertionError("export did not finish")
