"""The art. 22 rates from recorded facts (docs/kpis.md): a day of four cases received through the API —
at a comprehensive window, with and without paper, a joint item, an online pre-review that passed, a
case at a department's own window (专窗) — and each rate moves as defined, by every dimension; a rate
with no facts is null (—), never 0%; the day's roll-up reads the same; the export carries them."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import SECRET, login, seed
from tests.api.test_applications import review, submitted

H = "/api/v1/halls/jinan"
DAY = "2026-11-25"
RATES = ("immediate_rate", "online_rate", "comprehensive_rate", "joint_rate", "paperless_rate", "standard_rate")
STANDARD = {"fee": "不收费", "legal_basis": "《就业促进法》第三十八条", "acceptance_standard": "材料齐全、符合法定形式"}


@pytest.fixture
def app(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[TestClient]:
    seed(database_url)
    settings = replace(Settings(database_url, None, SECRET, True, "NORMAL", "warning"), upload_dir=str(tmp_path))
    with TestClient(create_app(settings, clock), base_url="http://testserver") as client:
        yield client


def put_item(app: TestClient, code: str, **changes: Any) -> None:
    manager = login(app, "manager")
    item = next(i for i in app.get(f"{H}/items").json() if i["code"] == code)
    body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials", "departments",
                                 "fee", "legal_basis", "acceptance_standard", "online", "star")}
    response = app.put(f"{H}/items/{code}", headers=manager, json={**body, **changes})
    assert response.status_code in (200, 201), response.text


def receive(app: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = app.post(f"{H}/cases", headers=headers, json={"applicant": {"name": "王小明"}, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def the_day(app: TestClient) -> None:
    """Four accepted cases on 2026-11-25:
    1. A04 (a complete standard: materials, limit, basis, acceptance standard, fee) at counter 1 (a
       comprehensive window) by clerk01, on paper, approved the same day;
    2. B01, decided by 区市场监管局 and 区税务局 (the catalog's 联审联办), at counter 1, paperless;
    3. A04 applied for online, its pre-review passed by clerk05 (channel online, paperless, at no counter);
    4. E01 at counter 13, a department's own window (only 区市场监管局's items), by the manager, the
       paper question not answered (unknown)."""
    manager = login(app, "manager")
    put_item(app, "A04", **STANDARD, online=True, star=5)
    put_item(app, "B01", departments=["SCJG", "SWJ"])
    assert app.put(f"{H}/queues/E", headers=manager, json={"name": "市场监管专窗"}).status_code == 201
    assert app.put(f"{H}/counters/13", headers=manager, json={"queues": ["E"]}).status_code == 201
    response = app.put(f"{H}/items/E01", headers=manager, json={
        "name": "食品小作坊登记", "queue": "E", "department": "SCJG", "time_limit_days": 5, "materials": ["申请书"]})
    assert response.status_code == 201, response.text
    app.cookies.clear()

    clerk = login(app, "clerk01")
    assert app.post(f"{H}/counters/1/open", headers=clerk).status_code == 200
    first = receive(app, clerk, item="A04", channel="counter", paperless=False)
    joint = receive(app, clerk, item="B01", channel="counter", paperless=True)
    assert joint["departments"] == ["SCJG", "SWJ"]
    approved = app.post(f"/api/v1/cases/{first['receipt_no']}/events", headers=manager,
                        json={"status": "approved", "note": "当场办结"})
    assert approved.status_code == 200, approved.text

    app.cookies.clear()
    made = submitted(app)
    assert review(app, login(app, "clerk05"), made["id"], result="pass", note="材料齐全").status_code == 200
    receive(app, manager, item="E01", counter=13)


def report(app: TestClient, by: str) -> dict[str, Any]:
    response = app.get(f"{H}/reports?period=day&date={DAY}&by={by}", headers=login(app, "manager"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def rates(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[k] for k in RATES)


def by_key(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {r["key"]: (r["cases"], *rates(r)) for r in body["rows"]}


def test_each_rate_moves_as_defined_by_every_dimension(app: TestClient, clock: FakeClock) -> None:
    the_day(app)
    hall = report(app, "hall")
    #                  即办    网上   综合    联合   无纸化          标准化
    assert rates(hall["total"]) == (0.25, 0.25, 0.75, 0.25, round(2 / 3, 4), 0.5)
    assert hall["total"]["cases"] == 4 and rates(hall["rows"][0]) == rates(hall["total"])

    assert by_key(report(app, "counter")) == {
        "1": (2, 0.5, 0.0, 1.0, 0.5, 0.5, 0.5),
        "13": (1, 0.0, 0.0, 0.0, 0.0, None, 0.0),  # 专窗; paperless never said: unknown, not 0%
        "online": (1, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0),  # the online hall's acceptance (art. 4(二))
    }
    assert {r["key"]: r["label"] for r in report(app, "counter")["rows"]}["online"] == "网上受理"
    assert by_key(report(app, "clerk")) == {
        "clerk01": (2, 0.5, 0.0, 1.0, 0.5, 0.5, 0.5),
        "clerk05": (1, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0),
        "manager": (1, 0.0, 0.0, 0.0, 0.0, None, 0.0),
    }
    assert by_key(report(app, "item")) == {
        "A04": (2, 0.5, 0.5, 1.0, 0.0, 0.5, 1.0),
        "B01": (1, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0),
        "E01": (1, 0.0, 0.0, 0.0, 0.0, None, 0.0),
    }
    assert by_key(report(app, "queue")) == {
        "A": (2, 0.5, 0.5, 1.0, 0.0, 0.5, 1.0),
        "B": (1, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0),
        "E": (1, 0.0, 0.0, 0.0, 0.0, None, 0.0),
    }
    # by department: a case counts for each department that decides it (a joint case for both)
    departments = report(app, "department")
    assert by_key(departments) == {
        "RSJ": (2, 0.5, 0.5, 1.0, 0.0, 0.5, 1.0),
        "SCJG": (2, 0.0, 0.0, 0.5, 0.5, 1.0, 0.0),
        "SWJ": (1, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0),
    }
    assert rates(departments["total"]) == rates(hall["total"])

    # the next day the 25th is read from its roll-up: the same figures
    before = {by: report(app, by) for by in ("hall", "counter", "clerk", "item", "queue")}
    clock.advance(86400)
    for by, body in before.items():
        assert report(app, by) == body, by

    # the export has a column per rate; an unknown figure is blank, not 0
    manager = login(app, "manager")
    started = app.post(f"{H}/reports/exports", headers=manager,
                       json={"period": "day", "date": DAY, "by": "counter", "format": "csv"})
    assert started.status_code == 202, started.text
    for _ in range(100):
        job = app.get(f"{H}/reports/exports/{started.json()['id']}", headers=manager).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    lines = list(csv.reader(io.StringIO(app.get(job["file_url"], headers=manager).content.decode("utf-8-sig"))))
    header = lines[0]
    for name in ("即办率", "网上办理率", "综合办理率", "联合办理率", "无纸化率", "标准化率"):
        assert name in header
    thirteen = next(line for line in lines if line[0] == "13")
    assert thirteen[header.index("无纸化率")] == "" and thirteen[header.index("综合办理率")] == "0.0"


def test_a_rate_with_no_facts_is_null_not_zero(app: TestClient) -> None:
    empty = report(app, "hall")["total"]
    assert empty["cases"] == 0 and all(empty[k] is None for k in RATES)
    manager = login(app, "manager")
    receive(app, manager, item="A01")  # at no counter, paperless not said
    total = report(app, "hall")["total"]
    assert total["cases"] == 1
    assert total["paperless_rate"] is None and total["comprehensive_rate"] is None  # unknown facts
    assert total["online_rate"] == 0.0 and total["joint_rate"] == 0.0  # known: at the hall, one department
    assert total["standard_rate"] == 0.0  # A01 publishes no fee, basis or acceptance standard
