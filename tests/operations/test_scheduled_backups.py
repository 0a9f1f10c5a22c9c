"""The daily backup (server/jobs/backups.py) in a served app on a fake clock: a dated file in the
folder, the newest N kept; a failed one stands as the managers' alert until a later one succeeds.
In embedded mode (a thread of the server) and on rq with a private Redis."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.jobs import backups as job
from server.settings import Backups, Settings
from server.store.db import open_database
from server.store.tables_audit import audit_log
from tests.api.conftest import SECRET, login, seed
from tests.servers import RedisProcess

ALERTS = "/api/v1/halls/jinan/alerts"
OLD = [f"onewindow-202611{d:02d}-020000.sqlite3" for d in range(18, 24)]  # six earlier nights


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job, "CHECK_S", 0.05)  # the loop looks every 50 ms instead of every minute


def app_for(url: str, clock: FakeClock, folder: Path, redis_url: str | None = None, fresh: bool = True) -> TestClient:
    if fresh:
        seed(url)
    settings = Settings(url, redis_url, SECRET, True, "NORMAL", "warning",
                        backups=Backups(str(folder), 3, clock_time(2, 0)))
    return TestClient(create_app(settings, clock), base_url="http://testserver")


def wait_until(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def outcomes(url: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    db = open_database(url)
    with db.reader.connect() as conn:
        rows = conn.execute(audit_log.select().where(audit_log.c.actor == "backup").order_by(audit_log.c.id)).all()
    db.dispose()
    return [(r.action, r.target, r.detail) for r in rows]


def backup_alerts(client: TestClient, manager: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(ALERTS, headers=manager)
    assert response.status_code == 200, response.text
    return [a for a in response.json()["alerts"] if a["kind"] == "backup_failed"]


def test_the_daily_backup_writes_a_dated_file_and_keeps_the_newest(sqlite_url: str, clock: FakeClock,
                                                                   tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    for name in [*OLD, "notes.txt"]:
        (folder / name).write_bytes(b"old")
    with app_for(sqlite_url, clock, folder) as client:  # 09:00 in the hall: 02:00's backup is due
        made = wait_until(lambda: [o for o in outcomes(sqlite_url) if o[0] == "backup.scheduled"])
        manager = login(client, "manager")
        assert backup_alerts(client, manager) == []
        time.sleep(0.3)  # the loop looks again and again: once a night is enough
        assert len(outcomes(sqlite_url)) == 1
    ((_, name, detail),) = made
    assert name == "onewindow-20261125-090000.sqlite3"
    assert {p.name for p in folder.iterdir()} == {*OLD[-2:], name, "notes.txt"}
    assert (folder / name).read_bytes().startswith(b"SQLite format 3")
    assert detail["bytes"] == (folder / name).stat().st_size and detail["pruned"] == OLD[:4][::-1]


def test_a_failed_backup_is_an_alert_until_a_later_one_succeeds(sqlite_url: str, clock: FakeClock,
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "backups"  # not there: the backup fails
    with app_for(sqlite_url, clock, folder) as client:
        manager = login(client, "manager")
        (alert,) = wait_until(lambda: backup_alerts(client, manager))
        assert alert["severity"] == "critical" and alert["id"] == "backup_failed:20261125"
        assert alert["title"].startswith("11月25日 02:00 的自动备份失败：no folder")
        assert "ONEWINDOW_BACKUP_DIR" in alert["action"]
        # The folder is made; an hour later the backup is tried again, and the alert goes.
        folder.mkdir()
        clock.advance(3601)
        wait_until(lambda: [o for o in outcomes(sqlite_url) if o[0] == "backup.scheduled"])
        assert backup_alerts(client, manager) == []
    assert [o[0] for o in outcomes(sqlite_url)] == ["backup.failed", "backup.scheduled"]
    assert [p.name for p in folder.iterdir()] == ["onewindow-20261125-100001.sqlite3"]


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path).start()
    yield server
    server.stop()


def test_with_redis_one_process_enqueues_it_and_an_rq_worker_makes_it(sqlite_url: str, clock: FakeClock,
                                                                      tmp_path: Path, redis: RedisProcess) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    connection = Redis.from_url(redis.url)
    queue = Queue(job.QUEUE, connection=connection)
    with app_for(sqlite_url, clock, folder, redis.url), app_for(sqlite_url, clock, folder, redis.url, fresh=False):
        wait_until(lambda: queue.count)
        time.sleep(0.3)  # both servers looked again: still the one job
        assert queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
    assert [o[0] for o in outcomes(sqlite_url)] == ["backup.scheduled"]
    assert [p.name for p in folder.iterdir()] == ["onewindow-20261125-090000.sqlite3"]
    connection.close()
