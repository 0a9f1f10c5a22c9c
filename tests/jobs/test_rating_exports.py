"""好差评 to the province, end to end: ratings given through the app (tablet, phone page, kiosk) on SQLite,
the provincial platform a real HTTP receiver on a free loopback port that checks the signature, the
job run as the day's end, the command line and an rq worker run it. What the province sees: each
rating exactly once, in the national layout, never the applicant's name, ID number or phone."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from rq import Worker
from starlette.testclient import TestClient

from server.app import create_app
from server.context import AppContext
from server.domain.clock import FakeClock
from server.jobs.providers import IDEMPOTENCY_HEADER
from server.jobs.rating_export import ExportConfig, Outcome, RqRatingExports, export_day
from server.services import days
from server.settings import Hcp, Settings
from server.store import rating_exports as store
from server.store.db import open_database
from tests.api.conftest import KIOSK, SECRET, counter_tablet, login, seed
from tests.jobs.conftest import Receiver

HALL = "/api/v1/halls/jinan"
AT_0950 = datetime(2026, 11, 25, 1, 50, tzinfo=UTC)  # Wednesday 09:50 in the hall
DAY = "2026-11-25"
HCP_SECRET = "province-hcp-secret-0123456789abcdef"
REGION = "350111"
FAST: dict[str, Any] = {"max_attempts": 4, "base_delay": 0.01, "timeout": 5.0}


# ---------------------------------------------------------------- the provincial platform
class Province(Receiver):
    """The 好差评 platform: it checks each batch's signature (HCP_SECRET)."""

    def accepted(self) -> list[dict[str, Any]]:
        """Every record the platform took (answered 2xx), in the order received."""
        with self.lock:
            return [r for req in self.requests if req["status"] == 200 for r in req["json"]["records"]]


@pytest.fixture
def province() -> Iterator[Province]:
    with Province("/hcp/records", secret=HCP_SECRET) as province:
        yield province


# ---------------------------------------------------------------- the hall
@dataclass
class Hall:
    client: TestClient
    clock: FakeClock
    url: str
    folder: Path

    @property
    def context(self) -> AppContext:
        context: AppContext = self.client.app_state["ctx"]
        return context


def open_hall(sqlite_url: str, tmp_path: Path, hcp: Hcp) -> Iterator[Hall]:
    seed(sqlite_url)
    clock = FakeClock(AT_0950)
    settings = replace(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning"),
                       upload_dir=str(tmp_path / "uploads"), hcp=hcp)
    with TestClient(create_app(settings, clock), base_url="http://testserver") as client:
        yield Hall(client, clock, sqlite_url, tmp_path / "hcp")


@pytest.fixture
def hall(sqlite_url: str, tmp_path: Path) -> Iterator[Hall]:
    yield from open_hall(sqlite_url, tmp_path, Hcp(region=REGION))


@pytest.fixture
def any_hall(database_url: str, tmp_path: Path) -> Iterator[Hall]:
    """On SQLite and on PostgreSQL."""
    yield from open_hall(database_url, tmp_path, Hcp(region=REGION))


def serve(hall: Hall, queue: str, counter: int, clerk: str) -> dict[str, Any]:
    """A ticket issued, called to the counter by its clerk; the ticket (with its status token)."""
    client, headers = hall.client, login(hall.client, clerk)
    issued = client.post(f"{HALL}/tickets", json={"queue": queue}, headers=KIOSK)
    assert issued.status_code == 201, issued.text
    assert client.post(f"{HALL}/counters/{counter}/open", headers=headers).status_code == 200
    called = client.post(f"{HALL}/counters/{counter}/call-next", headers=headers)
    assert called.status_code == 200 and called.json()["id"] == issued.json()["id"], called.text
    return dict(issued.json())


def finish(hall: Hall, counter: int, clerk: str) -> None:
    response = hall.client.post(f"{HALL}/counters/{counter}/finish", headers=login(hall.client, clerk))
    assert response.status_code == 200, response.text


def with_a_case(hall: Hall) -> tuple[dict[str, Any], str]:
    """B at counter 4 (clerk04 郑伟): a case of B01 received for the ticket, rated 5 on the counter's tablet."""
    ticket = serve(hall, "B", 4, "clerk04")
    case = hall.client.post(f"{HALL}/cases", headers=login(hall.client, "clerk04"), json={
        "item": "B01", "ticket_id": ticket["id"],
        "applicant": {"name": "王小明", "id_number": "11010519491231002X", "phone": "13912345678"}})
    assert case.status_code == 201, case.text
    finish(hall, 4, "clerk04")
    rated = hall.client.post(f"{HALL}/counters/4/rating", headers=counter_tablet(4),
                             json={"ticket_id": ticket["id"], "level": 5})
    assert rated.status_code == 201, rated.text
    return ticket, str(case.json()["receipt_no"])


def from_the_phone(hall: Hall) -> dict[str, Any]:
    """A at counter 1 (clerk01), no case; the visitor rates it 不满意 on their phone, typing a number."""
    ticket = serve(hall, "A", 1, "clerk01")
    finish(hall, 1, "clerk01")
    hall.client.cookies.clear()
    rated = hall.client.post(f"/api/v1/tickets/{ticket['status_token']}/rating", json={
        "level": 2, "reasons": ["等候时间长"], "comment": "请回电 139 1234 5678"})
    assert rated.status_code == 201, rated.text
    return ticket


def at_the_kiosk(hall: Hall, level: int = 4) -> dict[str, Any]:
    ticket = serve(hall, "A", 1, "clerk01")
    finish(hall, 1, "clerk01")
    rated = hall.client.post(f"{HALL}/ratings", headers=KIOSK, json={"ticket_number": ticket["number"],
                                                                      "level": level})
    assert rated.status_code == 201, rated.text
    return ticket


def run(hall: Hall, province: Province, **more: Any) -> Outcome:
    return export_day("jinan", DAY, hall.url, url=province.url, secret=HCP_SECRET, region=REGION,
                      folder=str(hall.folder), **{**FAST, **more})


def rows(url: str) -> list[dict[str, Any]]:
    db = open_database(url)
    try:
        with db.reader.connect() as conn:
            return store.of_hall(conn, "jinan")
    finally:
        db.dispose()


# ---------------------------------------------------------------- tests
def test_each_rating_reaches_the_province_once_through_a_failing_receiver(any_hall: Hall,
                                                                         province: Province) -> None:
    hall = any_hall
    _, receipt = with_a_case(hall)
    from_the_phone(hall)
    at_the_kiosk(hall)
    province.script(500, 500)  # the platform is down for the first two attempts

    done = run(hall, province)
    assert (done.ratings, done.sent, done.failed, done.pending) == (3, 3, 0, 0)
    assert [r["status"] for r in province.requests] == [500, 500, 200]
    assert all(r["signed"] for r in province.requests)
    assert len({r["headers"][IDEMPOTENCY_HEADER.lower()] for r in province.requests}) == 1  # one batch, retried
    batch = province.requests[-1]["json"]
    assert (batch["hall"], batch["areaCode"], batch["date"], batch["count"]) == ("jinan", REGION, DAY, 3)
    assert "王小明" not in province.requests[-1]["body"].decode()
    assert "13912345678" not in province.requests[-1]["body"].decode()

    by_pf = {r["pf"]: r for r in province.accepted()}
    tablet, phone, kiosk_record = by_pf["4"], by_pf["2"], by_pf["5"]
    assert {k: tablet[k] for k in ("taskCode", "taskName", "projectNo", "deptCode", "proDepart", "windowNo",
                                   "proManager", "proManagerAccount", "proManagerNo", "pfName", "satisfaction",
                                   "satisfactionName", "assessTime", "assessNumber", "areaCode", "hallCode")} == {
        "taskCode": "B01", "taskName": "个体工商户设立登记", "projectNo": receipt, "deptCode": "SCJG",
        "proDepart": "区市场监管局", "windowNo": 4, "proManager": "郑伟", "proManagerAccount": "clerk04",
        "proManagerNo": "JA004", "pfName": "政务大厅平板电脑", "satisfaction": 5, "satisfactionName": "非常满意",
        "assessTime": "2026-11-25T09:50:00+08:00", "assessNumber": 1, "areaCode": REGION, "hallCode": "jinan"}
    assert (phone["taskCode"], phone["projectNo"], phone["pfName"]) == ("", "", "移动服务端")
    assert (phone["satisfaction"], phone["satisfactionName"], phone["evalReasons"]) == (2, "不满意", ["等候时间长"])
    assert phone["writingEvaluation"] == "请回电 *************" and phone["proManager"] == "林晓燕"
    assert (kiosk_record["pfName"], kiosk_record["satisfactionName"]) == ("政务大厅其他终端", "满意")
    assert len({r["assessId"] for r in province.accepted()}) == 3
    assert all(r["status"] == "sent" and r["attempts"] == 3 for r in rows(hall.url))

    # again: nothing new to send, nothing sent
    assert run(hall, province).sent == 0 and len(province.requests) == 3
    # a rating given later that day: the next run sends it alone
    at_the_kiosk(hall, level=3)
    assert run(hall, province).sent == 1
    assert len(province.requests) == 4 and province.requests[-1]["json"]["count"] == 1
    assert province.requests[-1]["json"]["records"][0]["satisfactionName"] == "基本满意"
    assert len(province.accepted()) == len({r["assessId"] for r in province.accepted()}) == 4

    # the day's file: the Chinese header, one line per rating, every rating of the day
    [csv_file, jsonl_file] = [hall.folder / "jinan" / f"hcp-jinan-{DAY}.{fmt}" for fmt in ("csv", "jsonl")]
    raw = csv_file.read_bytes()
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0][:7] == ["评价编号", "行政区划", "大厅编码", "大厅名称", "事项编码", "事项名称", "办件编号"]
    assert len(lines) == 5 and any(receipt in line and "郑伟" in line for line in lines[1:])
    assert len(jsonl_file.read_text(encoding="utf-8").splitlines()) == 4


def test_a_refusal_marks_the_ratings_failed_and_they_are_not_sent_again(hall: Hall, province: Province) -> None:
    with_a_case(hall)
    at_the_kiosk(hall)
    province.script(400)
    done = run(hall, province)
    assert (done.sent, done.failed) == (0, 2)
    assert [r["status"] for r in province.requests] == [400]  # a refusal is final: no retry
    assert all(r["status"] == "failed" and r["attempts"] == 1 and "400" in r["last_error"] for r in rows(hall.url))
    assert run(hall, province).failed == 0 and len(province.requests) == 1


def test_a_platform_down_all_day_gets_the_ratings_on_the_next_run(any_hall: Hall, province: Province) -> None:
    hall = any_hall
    with_a_case(hall)
    province.script(503, 503, 503, 503)  # every attempt of the first run
    assert run(hall, province).pending == 1
    assert all(r["status"] == "pending" and r["attempts"] == 4 for r in rows(hall.url))
    at_the_kiosk(hall)
    assert run(hall, province).sent == 2  # what was left, and the new one
    assert len(province.accepted()) == 2 and len(province.requests) == 5


@pytest.fixture
def sending_hall(sqlite_url: str, tmp_path: Path, province: Province) -> Iterator[Hall]:
    yield from open_hall(sqlite_url, tmp_path, Hcp(province.url, HCP_SECRET, REGION, str(tmp_path / "hcp"), 0.01))


def test_the_days_end_sends_the_closed_day(sending_hall: Hall, province: Province) -> None:
    hall = sending_hall
    _, receipt = with_a_case(hall)
    province.script(500)
    hall.clock.advance(16 * 3600)  # 01:50 on Thursday: Wednesday is over

    async def close() -> bool:
        return await days.close_day(hall.context, await hall.context.engine.hall("jinan"))

    portal = hall.client.portal
    assert portal is not None
    assert portal.call(close) is True
    sent = province.at(count=2)
    assert [r["status"] for r in sent] == [500, 200] and sent[-1]["json"]["date"] == DAY
    assert [r["projectNo"] for r in province.accepted()] == [receipt]
    assert (hall.folder / "jinan" / f"hcp-jinan-{DAY}.csv").is_file()


def test_managers_download_the_days_file(hall: Hall) -> None:
    _, receipt = with_a_case(hall)
    from_the_phone(hall)
    client = hall.client
    manager = login(client, "manager")
    got = client.get(f"{HALL}/ratings/export?date={DAY}&format=csv", headers=manager)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert f"hcp-jinan-{DAY}.csv" in got.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert lines[0][0] == "评价编号" and "满意度" in lines[0] and len(lines) == 3
    assert any(receipt in line for line in lines)
    assert "王小明" not in got.content.decode("utf-8-sig")
    jsonl = client.get(f"{HALL}/ratings/export?date={DAY}&format=jsonl", headers=manager)
    assert jsonl.status_code == 200 and len(jsonl.text.splitlines()) == 2
    assert client.get(f"{HALL}/ratings/export?date=2026-11-24", headers=manager).content.decode(
        "utf-8-sig").count("\n") == 1  # the day before: the header alone

    assert client.get(f"{HALL}/ratings/export?date={DAY}", headers=login(client, "clerk01")).status_code == 403
    bad = client.get(f"{HALL}/ratings/export?date=2026-13-01", headers=manager)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "date"
    wrong = client.get(f"{HALL}/ratings/export?date={DAY}&format=xls", headers=manager)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "format"


def test_the_command_line_writes_the_days_file(hall: Hall, tmp_path: Path) -> None:
    _, receipt = with_a_case(hall)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "ONEWINDOW_"))},
           "DATABASE_URL": hall.url, "SECRET_KEY": SECRET, "ONEWINDOW_HCP_REGION": REGION}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "server.cli", "ratings", "export", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    target = tmp_path / "out" / "hcp.csv"
    done = cli("--hall", "jinan", "--date", DAY, "--file", str(target))
    assert done.returncode == 0, done.stderr
    assert "1 ratings written" in done.stdout
    lines = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert lines[0][0] == "评价编号" and len(lines) == 2 and receipt in lines[1] and REGION in lines[1]
    for args, says in ((("--hall", "jinan", "--date", "2026-02-30"), "--date"),
                       (("--hall", "atlantis", "--date", DAY), "no hall")):
        refused = cli(*args)
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
        assert says in refused.stderr


def test_an_rq_worker_runs_the_same_job(hall: Hall, province: Province, redis_url: str) -> None:
    with_a_case(hall)
    province.script(502)
    config = ExportConfig(hall.url, province.url, HCP_SECRET, REGION, str(hall.folder), **FAST)
    runner = RqRatingExports(redis_url, config, queue_name=f"onewindow-test-{uuid.uuid4().hex}")
    try:
        runner.enqueue("jinan", date.fromisoformat(DAY))
        runner.enqueue("jinan", date.fromisoformat(DAY))  # twice: each rating still sent once
        Worker([runner.queue], connection=runner.redis).work(burst=True)
    finally:
        runner.queue.delete(delete_jobs=True)
        runner.close()
    assert [r["status"] for r in province.requests] == [502, 200]
    assert len(province.accepted()) == 1
    assert [(r["status"], r["attempts"]) for r in rows(hall.url)] == [("sent", 2)]
