"""Per-department figures (art. 22) on the dashboard's report and in its export: a week of cases
received at a counter and decided by their departments through the API, with a FakeClock.

Wednesday 2026-11-25, 09:00 in the hall, five cases are accepted:
- B02 (区市场监管局, 3 working days: due Mon 11-30), approved Thu 11-26: on time, 1 working day;
- B01 (区市场监管局, 1 day: due Thu 11-26), approved Fri 11-27: late, 2 working days;
- B02 with 区税务局 too (联审联办, due Mon 11-30): 区市场监管局 approves Thu 11-26 (on time, 1 day),
  区税务局 Tue 12-01 (late, 4 days): the case is decided late;
- A05 (区民政局, 30 days): still pending, not yet due;
- A03 (区人社局, 即办, due the same day): never decided: overdue.
Two online applications for A04 (区人社局) wait for their pre-review (2 working days: due Fri 11-27): one
is passed on Thursday, the other never is.
The report is read on Tuesday 2026-12-01 in the afternoon.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient
from stdnum.cn import ric

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import SECRET, login, seed

H = "/api/v1/halls/jinan"
DAY = 86400


@pytest.fixture
def app(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[TestClient]:
    seed(database_url)
    settings = replace(Settings(database_url, None, SECRET, True, "NORMAL", "warning"),
                       upload_dir=str(tmp_path / "uploads"))
    with TestClient(create_app(settings, clock), base_url="http://testserver") as client:
        yield client


def apply_online(app: TestClient, i: int) -> int:
    """An online application for A04 (区人社局), as a visitor's phone sends it."""
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    body = f"11010519800101{i:03d}"
    r = app.post(f"{H}/applications", data={"item": "A04", "name": "王小明", "phone": "13812345678",
                                            "id_number": body + ric.calc_check_digit(body + "0")},
                 files=[("m0", ("身份证.pdf", pdf, "application/pdf")), ("m1", ("照片.pdf", pdf, "application/pdf"))])
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def decide(app: TestClient, receipt: str, who: dict[str, str], department: str | None = None) -> None:
    body: dict[str, Any] = {"status": "approved", "note": "同意"}
    if department:
        body["department"] = department
    r = app.post(f"/api/v1/cases/{receipt}/events", json=body, headers=who)
    assert r.status_code == 200, r.text


def a_week_of_cases(app: TestClient, clock: FakeClock) -> None:
    clerk = login(app, "clerk04")
    assert app.post(f"{H}/counters/4/open", headers=clerk).status_code == 200

    def receive(item: str, **more: Any) -> str:
        r = app.post(f"{H}/cases", headers=clerk, json={"item": item, "applicant": {"name": "王小明"}, **more})
        assert r.status_code == 201, r.text
        return str(r.json()["receipt_no"])

    on_time, late, joint = receive("B02"), receive("B01"), receive("B02", departments=["区税务局"])
    receive("A05")
    receive("A03")
    manager = login(app, "manager")
    item = next(i for i in app.get(f"{H}/items").json() if i["code"] == "A04")
    body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    assert app.put(f"{H}/items/A04", headers=manager, json={**body, "online": True, "star": 3}).status_code == 200
    app.cookies.clear()
    passed, _ = apply_online(app, 1), apply_online(app, 2)
    clock.advance(DAY)  # Thursday
    r = app.post(f"{H}/applications/{passed}/review", json={"result": "pass"}, headers=login(app, "manager"))
    assert r.status_code == 200, r.text
    scjg = login(app, "dept-scjg")
    decide(app, on_time, scjg)
    decide(app, joint, scjg)
    clock.advance(DAY)  # Friday
    decide(app, late, login(app, "dept-scjg"))
    clock.advance(4 * DAY + 6 * 3600)  # Tuesday 12-01, 15:00
    decide(app, joint, login(app, "manager"), "SWJ")


def test_each_department_has_its_row_and_a_joint_case_counts_for_both(app: TestClient, clock: FakeClock) -> None:
    a_week_of_cases(app, clock)
    manager = login(app, "manager")
    r = app.get(f"{H}/reports?period=week&date=2026-11-25&by=department", headers=manager)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["by"], body["from"], body["to"]) == ("department", "2026-11-23", "2026-11-29")
    figures = ("received", "decided", "on_time", "overdue", "pending", "on_time_rate", "avg_decide_days")
    rows = {row["key"]: row for row in body["rows"]}
    # in the hall's order of departments
    assert [row["label"] for row in body["rows"]] == ["区人社局", "区民政局", "区市场监管局", "区税务局"]
    got = {key: tuple(row[f] for f in figures) for key, row in rows.items()}
    assert got == {
        "SCJG": (3, 3, 2, 1, 0, 0.6667, 1.3),
        "SWJ": (1, 1, 0, 1, 0, 0.0, 4.0),
        "MZJ": (1, 0, 0, 0, 1, None, None),
        "RSJ": (1, 0, 0, 1, 1, 0.0, None),  # never decided, past due: counts against
    }
    total = body["total"]  # the hall: each case once, decided when every department has
    assert total["label"] == "晋安区行政服务中心"
    assert tuple(total[f] for f in figures) == (5, 3, 1, 3, 2, 0.25, 2.3)
    pre = ("prereviews", "prereviews_on_time", "prereview_on_time_rate")
    assert tuple(rows["RSJ"][f] for f in pre) == (2, 1, 0.5)  # one on time, one never pre-reviewed
    assert tuple(rows["SCJG"][f] for f in pre) == (0, 0, None)
    assert tuple(total[f] for f in pre) == (2, 1, 0.5)

    other_week = app.get(f"{H}/reports?period=week&date=2026-11-18&by=department", headers=manager).json()
    assert other_week["rows"] == [] and other_week["total"]["received"] == 0
    assert app.get(f"{H}/reports?by=department", headers=login(app, "dept-scjg")).status_code == 403


def test_the_excel_export_has_the_department_rows(app: TestClient, clock: FakeClock) -> None:
    a_week_of_cases(app, clock)
    manager = login(app, "manager")
    r = app.post(f"{H}/reports/exports", headers=manager,
                 json={"period": "week", "date": "2026-11-25", "by": "department", "format": "xlsx"})
    assert r.status_code == 202, r.text
    for _ in range(200):
        state = app.get(f"{H}/reports/exports/{r.json()['id']}", headers=manager).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "done", state
    sheet = load_workbook(io.BytesIO(app.get(state["file_url"], headers=manager).content)).active
    assert sheet is not None
    lines = [[c.value for c in line] for line in sheet.iter_rows()]
    assert lines[0][0] == "周报 2026-11-23—2026-11-29 按部门"
    header = lines[1]
    assert header[:9] == ["编号", "名称", "收件数", "已办结", "按时办结", "超期", "在办", "按时办结率",
                          "平均办结用时(工作日)"]
    by_name = {line[1]: line for line in lines[2:]}
    assert by_name["区市场监管局"][2:9] == [3, 3, 2, 1, 0, 0.6667, 1.3]
    assert by_name["区税务局"][2:6] == [1, 1, 0, 1]
    assert lines[-1][0] == "合计" and lines[-1][2] == 5
    assert sheet.title == "部门"
