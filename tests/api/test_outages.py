"""An outage is answered honestly (issue 14): the database away or its disk full gives every
request a 503 with Retry-After (never a 500), the log says so once when it starts and once when it
ends (never a traceback per request), and /healthz reports 503 while writes fail."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed
from tests.conftest import unavailable
from tests.netcut import NetCut

HALL = "/api/v1/halls/jinan"


def app(url: str) -> TestClient:
    return TestClient(create_app(Settings(url, None, SECRET, True, "NORMAL", "warning")),
                      base_url="http://testserver")


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """OneWindow's own warnings. (psycopg may add one line of its own when the cut catches a
    pipelined executemany, the audit entries', in flight: "error ignored terminating Pipeline".)"""
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("onewindow")]


def assert_503(response: object, what: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status < 500 or status == 503, f"{what}: {status} {response.text}"  # type: ignore[attr-defined]
    if status == 503:
        assert response.headers["Retry-After"]  # type: ignore[attr-defined]
        assert response.json()["error"]["code"] == "storage_unavailable"  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_postgresql_away_is_503_on_every_path_and_logged_once(postgres_url: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    seed(postgres_url)
    parsed = make_url(postgres_url)
    relay = NetCut(parsed.host or "127.0.0.1", parsed.port or 5432)
    try:
        with app(parsed.set(port=relay.port).render_as_string(hide_password=False)) as client:
            clerk = login(client, "clerk01")
            assert client.post(f"{HALL}/counters/1/open", headers=clerk).status_code == 200
            ticket = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK).json()
            caplog.clear()
            relay.cut()
            with caplog.at_level(logging.INFO):
                answers = []
                for _ in range(5):
                    for what, response in (
                        ("issue", client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK)),
                        ("snapshot", client.get(f"{HALL}/snapshot")),
                        ("hall", client.get(HALL)),
                        ("items", client.get(f"{HALL}/items")),
                        ("ticket", client.get(f"/api/v1/tickets/{ticket['status_token']}")),
                        ("call-next", client.post(f"{HALL}/counters/1/call-next", headers=clerk)),
                        ("login", client.post("/api/v1/auth/login", json={"username": "clerk02", "password": "x"})),
                    ):
                        assert_503(response, what)
                        answers.append((what, response.status_code))
                health = client.get("/healthz")
                assert health.status_code == 503 and health.json()["failing"] == ["database"]
                assert health.json()["causes"]["database"]
                assert ("issue", 503) in answers and ("snapshot", 503) in answers and ("login", 503) in answers
                during = outage_lines(caplog)
                assert [r.getMessage().split(":")[0] for r in during] == ["database unavailable"], during
                assert not any(r.exc_info for r in caplog.records)

                relay.restore()
                again = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK)
                assert again.status_code == 201, again.text
                assert client.get("/healthz").status_code == 200
                # The audit entries of just before (clerk01's sign-in and opening) are there: written before
                # the cut, or kept through the outage and written once the database was back.
                trail = client.get("/api/v1/audit?actor=clerk01", headers=login(client, "manager")).json()
                assert {"auth.login", "counter.open"} <= {e["action"] for e in trail["entries"]}
            ended = [r.getMessage() for r in outage_lines(caplog)[len(during):]]
            assert len(ended) == 1 and ended[0].startswith("database back after"), ended
    finally:
        relay.close()


@contextlib.contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A real filesystem of ``size`` (tmpfs) that a test can fill."""
    where.mkdir()
    if os.geteuid() != 0:
        unavailable("mounting a small tmpfs to fill needs root", "run the tests as root, as CI does")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        unavailable(f"cannot mount a tmpfs here ({mounted.stderr.strip()})", "run the tests as root, as CI does")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    # Unbuffered: a chunk that only partly fits leaves nothing in a buffer for close() to fail on
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                os.fsync(out.fileno())
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_fails_writes_with_503_and_healthz_says_so(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    with small_disk(tmp_path / "disk", "4m") as disk:
        url = f"sqlite:///{disk}/onewindow.db"
        seed(url)
        with app(url) as client:
            first = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK)
            assert first.status_code == 201 and first.json()["number"] == "A001"
            assert client.get("/healthz").status_code == 200
            filler = fill(disk)
            with caplog.at_level(logging.INFO):
                for _ in range(5):
                    refused = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK)
                    assert refused.status_code == 503, refused.text
                    assert refused.headers["Retry-After"] and refused.json()["error"]["code"] == "storage_unavailable"
                assert client.get(f"{HALL}/snapshot").status_code == 200  # reads go on
                health = client.get("/healthz")
                assert health.status_code == 503, health.text
                assert "full" in health.json()["causes"]["database"]
                assert len(outage_lines(caplog)) == 1 and not any(r.exc_info for r in caplog.records)
                filler.unlink()
                assert client.get("/healthz").status_code == 200  # its probe wrote: the hall can write again
                again = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=KIOSK)
                assert again.status_code == 201 and again.json()["number"] == "A002"  # nothing half-written
            assert [r.getMessage().split(" after")[0] for r in outage_lines(caplog)] == [
                "database unavailable: database or disk is full (answering 503 until it is back)", "database back"]
