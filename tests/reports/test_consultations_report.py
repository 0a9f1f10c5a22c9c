"""Consultations (咨询, seed art. 15(一), 16(一)) in every report: counted per day (on site, by phone,
escalated, answered by the department, overdue) and per key of the report's dimension, on SQLite and
PostgreSQL, and in the exports (docs/kpis.md "Consultations")."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import SECRET, login, seed

H = "/api/v1/halls/jinan"
DAY = 24 * 3600
FIGURES = ("onsite", "phone", "total", "escalated", "answered", "overdue")


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    seed(database_url)
    with TestClient(create_app(Settings(database_url, None, SECRET, True, "NORMAL", "warning"), clock),
                    base_url="http://testserver") as client:
        yield client


def ask(app: TestClient, who: str, **body: Any) -> dict[str, Any]:
    made = app.post(f"{H}/consultations", headers=login(app, who), json={"topic": "营业执照怎么办", **body})
    assert made.status_code == 201, made.text
    return dict(made.json())


def answer(app: TestClient, consultation: dict[str, Any]) -> None:
    done = app.patch(f"{H}/consultations/{consultation['id']}", headers=login(app, "dept-scjg"),
                     json={"escalation_answer": "可以在经营地申请"})
    assert done.status_code == 200, done.text


def a_week_of_questions(app: TestClient, clock: FakeClock) -> None:
    """Wednesday 2026-11-25: clerk01 (counter 1) takes two on site (one about B01) and one by phone sent
    to 区市场监管局 (due Friday), which answers it at once; the guide sends one to 区税务局 due the next
    day; the manager takes one by phone. Thursday: clerk01 sends one to 区市场监管局 due Friday, answered
    on Monday (late). The report is read on Monday 2026-11-30: 区税务局 never answered (overdue)."""
    ask(app, "clerk01", channel="onsite", item="B01", answer="带身份证")
    ask(app, "clerk01", channel="onsite")
    answer(app, ask(app, "clerk01", channel="phone", item="B02", escalated=True, department="SCJG"))
    ask(app, "guide", channel="onsite", escalated=True, department="SWJ", due_days=1)
    ask(app, "manager", channel="phone")
    clock.advance(DAY)
    late = ask(app, "clerk01", channel="phone", escalated=True, department="SCJG", due_days=1)
    clock.advance(4 * DAY)
    answer(app, late)


def report(app: TestClient, by: str, period: str = "week", day: str = "2026-11-25") -> dict[str, Any]:
    got = app.get(f"{H}/reports", params={"period": period, "date": day, "by": by}, headers=login(app, "manager"))
    assert got.status_code == 200, got.text
    return dict(got.json())


def figures(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(row[k] for k in FIGURES)


def test_every_report_counts_the_periods_consultations_per_day(app: TestClient, clock: FakeClock) -> None:
    a_week_of_questions(app, clock)
    asked = report(app, "hall")["consultations"]
    assert figures(asked["total"]) == (3, 3, 6, 3, 2, 2)
    assert [(d["day"], *figures(d)) for d in asked["days"]] == [
        ("2026-11-25", 3, 2, 5, 2, 1, 1), ("2026-11-26", 0, 1, 1, 1, 1, 1)]
    assert [(r["key"], r["label"], r["total"]) for r in asked["rows"]] == [("jinan", "晋安区行政服务中心", 6)]
    one_day = report(app, "queue", period="day", day="2026-11-26")["consultations"]
    assert figures(one_day["total"]) == (0, 1, 1, 1, 1, 1)
    assert report(app, "hall", period="day", day="2026-11-24")["consultations"] == {
        "days": [], "rows": [], "total": dict.fromkeys(FIGURES, 0)}


def test_each_dimension_has_its_own_rows(app: TestClient, clock: FakeClock) -> None:
    a_week_of_questions(app, clock)
    rows = {by: [(r["key"], r["label"], *figures(r)) for r in report(app, by)["consultations"]["rows"]]
            for by in ("counter", "clerk", "item", "queue", "department")}
    assert rows["counter"] == [("1", "1号窗口", 2, 2, 4, 2, 2, 1), ("", "未在窗口", 1, 1, 2, 1, 0, 1)]
    assert rows["clerk"] == [("clerk01", "林晓燕", 2, 2, 4, 2, 2, 1), ("guide", "导办员", 1, 0, 1, 1, 0, 1),
                             ("manager", "督查科", 0, 1, 1, 0, 0, 0)]
    assert rows["item"] == [("B01", "个体工商户设立登记", 1, 0, 1, 0, 0, 0),
                            ("B02", "有限责任公司设立登记", 0, 1, 1, 1, 1, 0), ("", "未关联事项", 2, 2, 4, 2, 1, 2)]
    assert rows["queue"] == [("B", "B 注册登记类", 1, 1, 2, 1, 1, 0), ("", "未关联事项", 2, 2, 4, 2, 1, 2)]
    # by department: those escalated to it, the department's answers and delays
    assert rows["department"] == [("SCJG", "区市场监管局", 0, 2, 2, 2, 2, 1), ("SWJ", "区税务局", 1, 0, 1, 1, 0, 1)]


def test_exports_carry_the_consultations(app: TestClient, clock: FakeClock) -> None:
    a_week_of_questions(app, clock)
    manager = login(app, "manager")
    csv_lines = list(csv.reader(io.StringIO(export(app, manager, "csv", "counter").decode("utf-8-sig"))))
    assert ["咨询日汇总"] in csv_lines
    assert ["2026-11-25", "3", "2", "5", "2", "1", "1"] in csv_lines
    assert ["合计", "3", "3", "6", "3", "2", "2"] in csv_lines
    assert ["咨询（按窗口）"] in csv_lines
    assert ["", "未在窗口", "1", "1", "2", "1", "0", "1"] in csv_lines

    book = load_workbook(io.BytesIO(export(app, manager, "xlsx", "department")))
    assert "咨询日汇总" in book.sheetnames and "咨询按部门" in book.sheetnames
    sheet = [list(line) for line in book["咨询按部门"].iter_rows(values_only=True)]
    assert sheet[1] == ["编号", "名称", "现场咨询", "电话咨询", "咨询合计", "转办部门", "部门已答复", "转办超期"]
    assert ["SWJ", "区税务局", 1, 0, 1, 1, 0, 1] in sheet


def export(app: TestClient, headers: dict[str, str], fmt: str, by: str) -> bytes:
    started = app.post(f"{H}/reports/exports", headers=headers,
                       json={"period": "week", "date": "2026-11-25", "by": by, "format": fmt})
    assert started.status_code == 202, started.text
    for _ in range(200):
        state = app.get(f"{H}/reports/exports/{started.json()['id']}", headers=headers).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "done", state
    return bytes(app.get(state["file_url"], headers=headers).content)
