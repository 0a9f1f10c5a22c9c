"""The report API on a seeded day: tickets issued, called and finished through the API with a
FakeClock, cases and a rating; the roll-up of that day equals its live figures; exports; charts."""

from __future__ import annotations

import io
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed

H = "/api/v1/halls/jinan"


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    seed(database_url)
    with TestClient(create_app(Settings(database_url, None, SECRET, True, "NORMAL", "warning"), clock),
                    base_url="http://testserver") as client:
        yield client


def seeded_day(app: TestClient, clock: FakeClock) -> dict[str, str]:
    """09:00: three A tickets; A001 waits 5 min, served 5 min (started 1 min after the call);
    A002 waits 11 min, no-show; A003 still waiting. Two cases, one rating 满意."""
    clerk = login(app, "clerk01")
    assert app.post(f"{H}/counters/1/open", headers=clerk).status_code == 200
    tickets = [app.post(f"{H}/tickets", headers=KIOSK, json={"queue": "A"}).json() for _ in range(3)]
    clock.advance(300)
    assert app.post(f"{H}/counters/1/call-next", headers=clerk).json()["number"] == "A001"
    clock.advance(60)
    assert app.post(f"{H}/counters/1/start", headers=clerk).status_code == 200
    r = app.post(f"{H}/cases", headers=clerk, json={
        "item": "A01", "applicant": {"name": "王小明"}, "ticket_id": tickets[0]["id"], "channel": "online",
        "departments": ["区医保局"], "paperless": True})
    assert r.status_code == 201, r.text
    r = app.post(f"{H}/cases", headers=clerk, json={"item": "A05", "applicant": {"name": "李四"},
                                                     "ticket_id": tickets[0]["id"]})
    assert r.status_code == 201, r.text
    clock.advance(240)
    assert app.post(f"{H}/counters/1/finish", headers=clerk).status_code == 200
    r = app.post(f"/api/v1/tickets/{tickets[0]['status_token']}/rating", json={"level": 4})
    assert r.status_code == 201, r.text
    clock.advance(60)
    assert app.post(f"{H}/counters/1/call-next", headers=clerk).json()["number"] == "A002"
    clock.advance(30)
    assert app.post(f"{H}/counters/1/no-show", headers=clerk).status_code == 200
    return clerk


def test_report_totals_for_a_seeded_day_and_the_rollup_equals_live(app: TestClient, clock: FakeClock) -> None:
    clerk = seeded_day(app, clock)
    manager = login(app, "manager")
    assert app.get(f"{H}/reports", headers=clerk).status_code == 403
    live = app.get(f"{H}/reports?period=day&date=2026-11-25&by=queue", headers=manager)
    assert live.status_code == 200, live.text
    body = live.json()
    assert (body["period"], body["from"], body["to"], body["by"]) == ("day", "2026-11-25", "2026-11-25", "queue")
    total = body["total"]
    assert (total["tickets"], total["served"], total["no_shows"]) == (3, 1, 1)
    assert total["avg_wait_s"] == (300 + 660) / 2
    assert total["avg_service_s"] == 240.0
    assert total["within_15"] == round(2 / 3, 4)  # A003, never called, counts against
    assert total["no_show_rate"] == 0.5
    assert (total["ratings"], total["satisfaction_rate"]) == (1, 1.0)
    assert total["cases"] == 2 and total["immediate_rate"] == 0.0  # neither decided the day it was accepted
    # A05's paper question was not answered: 无纸化率 counts A01 only (docs/kpis.md)
    assert (total["online_rate"], total["joint_rate"], total["paperless_rate"]) == (0.5, 0.5, 1.0)
    assert total["comprehensive_rate"] == 1.0  # counter 1 accepts for several departments
    assert [r["key"] for r in body["rows"]] == ["A"]
    items = app.get(f"{H}/reports?date=2026-11-25&by=item", headers=manager).json()
    assert {r["key"]: r["tickets"] for r in items["rows"]} == {"A01": 1, "A05": 1}
    clerks = app.get(f"{H}/reports?date=2026-11-25&by=clerk", headers=manager).json()
    assert [(r["key"], r["label"], r["served"]) for r in clerks["rows"]] == [("clerk01", "林晓燕", 1)]

    dims = ("hall", "queue", "counter", "clerk", "item")
    before = {by: app.get(f"{H}/reports?date=2026-11-25&by={by}", headers=manager).json() for by in dims}
    clock.advance(86400)  # the next day: 2026-11-25 now comes from its roll-up
    for by in dims:
        assert app.get(f"{H}/reports?date=2026-11-25&by={by}", headers=manager).json() == before[by]
    rolled = app.get(f"{H}/reports?period=week&date=2026-11-25&by=item", headers=manager).json()
    assert (rolled["from"], rolled["to"]) == ("2026-11-23", "2026-11-29")
    assert rolled["rows"] == items["rows"] and rolled["total"] == items["total"]
    month = app.get(f"{H}/reports?period=month&date=2026-11-03", headers=manager).json()
    assert (month["from"], month["to"]) == ("2026-11-01", "2026-11-30") and month["total"] == total


def test_bad_input_is_a_422_naming_the_field(app: TestClient) -> None:
    manager = login(app, "manager")
    for query, field in (("period=year", "period"), ("by=desk", "by"), ("date=2026-13-01", "date")):
        r = app.get(f"{H}/reports?{query}", headers=manager)
        assert r.status_code == 422 and r.json()["error"]["field"] == field
    assert app.get("/api/v1/halls/nowhere/reports", headers=login(app, "admin")).status_code == 404


def wait_done(app: TestClient, headers: dict[str, str], export_id: str) -> dict[str, Any]:
    for _ in range(200):
        state: dict[str, Any] = app.get(f"{H}/reports/exports/{export_id}", headers=headers).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError("export did not finish")


def test_excel_and_csv_exports_hold_the_day_totals(app: TestClient, clock: FakeClock) -> None:
    seeded_day(app, clock)
    manager = login(app, "manager")
    r = app.post(f"{H}/reports/exports", headers=manager,
                 json={"period": "day", "date": "2026-11-25", "by": "counter", "format": "xlsx"})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    state = wait_done(app, manager, r.json()["id"])
    assert state["status"] == "done" and state["progress"] == 100 and state["rows"] == 1
    file = app.get(state["file_url"], headers=manager)
    assert file.status_code == 200
    sheet = load_workbook(io.BytesIO(file.content)).active
    assert sheet is not None
    lines = [[c.value for c in line] for line in sheet.iter_rows()]
    header, total = lines[1], lines[-1]
    assert header[:4] == ["编号", "名称", "取号数", "办结数"] and "即办率" in header
    assert total[0] == "合计" and total[2:5] == [3, 1, 1]
    assert lines[2][1] == "1号窗口"

    r = app.post(f"{H}/reports/exports", headers=manager, json={"date": "2026-11-25", "format": "csv"})
    state = wait_done(app, manager, r.json()["id"])
    content = app.get(state["file_url"], headers=manager).content
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig").splitlines()
    assert text[0].startswith("编号,名称,取号数") and text[-1].startswith("合计,晋安区行政服务中心,3,1,1")
    assert app.post(f"{H}/reports/exports", headers=manager, json={"format": "pdf"}).status_code == 422


def test_charts_are_svg_with_chinese_labels_for_managers_only(app: TestClient, clock: FakeClock) -> None:
    clerk = seeded_day(app, clock)
    manager = login(app, "manager")
    for name, words in (("arrivals", "取号"), ("waits", "等候"), ("load", "窗口")):
        r = app.get(f"{H}/charts/{name}.svg", headers=manager)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(r.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width") == "480"
        assert words in r.text
        assert app.get(f"{H}/charts/{name}.svg", headers=clerk).status_code == 403


def test_with_redis_an_export_is_an_rq_job_a_worker_runs(app: TestClient, clock: FakeClock,
                                                          database_url: str) -> None:
    """REDIS_URL set: the export is queued for `rq worker` (here a real Worker in burst mode on a
    private queue of the Redis at 127.0.0.1:6379, database 3)."""
    from redis import Redis
    from rq import Queue, Worker

    from server.reports.jobs import RqExports
    from server.store import reports as store
    from server.store.db import open_database

    seeded_day(app, clock)
    db = open_database(database_url)
    export_id = uuid.uuid4().hex[:16]
    now = clock.now()
    with db.writer.begin() as conn:
        store.create_export(conn, {"id": export_id, "hall": "jinan", "status": "queued", "progress": 0,
                                   "created_by": "manager", "created_at": now, "updated_at": now,
                                   "params": {"period": "day", "date": "2026-11-25", "by": "hall",
                                              "format": "xlsx", "now": now.isoformat()}})
    db.dispose()
    redis = Redis.from_url("redis://127.0.0.1:6379/3")
    runner = RqExports("redis://127.0.0.1:6379/3", database_url)
    runner.queue = Queue(f"onewindow-test-{uuid.uuid4().hex}", connection=redis)
    try:
        runner.enqueue(export_id)
        Worker([runner.queue], connection=redis).work(burst=True)
    finally:
        runner.queue.delete(delete_jobs=True)
    manager = login(app, "manager")
    state = app.get(f"{H}/reports/exports/{export_id}", headers=manager).json()
    assert state["status"] == "done" and state["progress"] == 100
    sheet = load_workbook(io.BytesIO(app.get(state["file_url"], headers=manager).content)).active
    assert sheet is not None
    total = [c.value for c in list(sheet.iter_rows())[-1]]
    assert total[0] == "合计" and total[2:5] == [3, 1, 1]
