"""`onewindow backup` and `onewindow restore` on SQLite, as a hall lives through them: a kiosk issues
flat out while the copy is taken, the host dies after more tickets, the copy is restored on a fresh
database, and the hall and its screens carry on in a new history (CONTRACT v2 "Operating")."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from server.store.db import open_database
from server.store.tables_audit import audit_log
from tests.live.hallkit import assert_quiet, display_path, feed, hall_api, receive
from tests.servers import ServerProcess, seeded

from .kit import Kiosk, onewindow, read_report, snapshot_seq

PADDING_ROWS = 60_000  # some megabytes, so that the copy takes a while as a real hall's would


def pad(url: str) -> None:
    """A hall with a history: audit entries enough to make the copy take tens of milliseconds."""
    db = open_database(url)
    at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    rows = [{"at": at, "actor": f"clerk{i % 12:02d}", "kind": "user", "role": "clerk", "hall": "jinan",
             "action": "counter.call-next", "target": f"counter {i % 12 + 1}", "detail": {"n": i}}
            for i in range(PADDING_ROWS)]
    with db.writer.begin() as conn:
        conn.execute(insert(audit_log), rows)
    db.dispose()


def copy_of(path: Path) -> tuple[int, set[str]]:
    """The hall's seq and every ticket number in a backup file, read as a plain SQLite database."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seq = conn.execute("SELECT seq FROM halls WHERE code = 'jinan'").fetchone()[0]
        numbers = {row[0] for row in conn.execute("SELECT number FROM tickets WHERE hall = 'jinan'")}
    return int(seq), numbers


def test_a_backup_taken_while_issuing_restores_into_a_new_history(tmp_path: Path) -> None:
    url = seeded(f"sqlite:///{tmp_path}/hall.db")
    pad(url)
    server = ServerProcess(url, tmp_path).start()
    kiosk = Kiosk(server).start()
    try:
        kiosk.wait_for(30)
        began = time.monotonic()
        made = onewindow(["backup", str(tmp_path / "copy.sqlite3")], server.env)
        ended = time.monotonic()
        assert made.returncode == 0, made.stderr
        assert "written to" in made.stdout
        kiosk.wait_for(len(kiosk.issued) + 20)  # the lost part: tickets the copy never saw
        kiosk.stop()

        copy_seq, in_copy = copy_of(tmp_path / "copy.sqlite3")
        acknowledged = kiosk.acknowledged_before(began)
        assert acknowledged <= in_copy, f"acknowledged before the backup, missing: {acknowledged - in_copy}"
        assert {i.number for i in kiosk.issued} - in_copy, "the lost part is not lost"
        # The copy held nothing up: the kiosk kept issuing while it was taken, none waited long.
        assert kiosk.issued_during(began, ended) > 0
        slowest = kiosk.slowest_during(began, ended)
        assert slowest < 0.5, f"an issue waited {slowest:.3f} s during the backup"

        async def lost_part() -> int:
            """A wall display of the old server sees the lost part's events: its last seq."""
            async with hall_api(server) as api, feed(server, display_path()) as wall:
                await receive(wall)
                await api.issue("B")
                message = await receive(wall)
                assert message["type"] == "ticket.issued"
                return int(message["seq"])

        lost_seq = asyncio.run(lost_part())
        assert lost_seq > copy_seq
    finally:
        kiosk.stop()
        server.stop(signal.SIGKILL)  # the host dies

    restored_url = f"sqlite:///{tmp_path}/restored.db"
    env = {**server.env, "DATABASE_URL": restored_url}
    done = onewindow(["restore", str(tmp_path / "copy.sqlite3")], env)
    assert done.returncode == 0, done.stderr
    report = read_report(done.stdout)
    last_a = max((n for n in in_copy if n.startswith("A")), key=lambda n: int(n[1:]))
    assert (report.copy_seq, report.last_numbers["A"]) == (copy_seq, last_a)
    assert report.new_seq > copy_seq + 1_000_000
    assert int(report.next_numbers["A"][1:]) > int(last_a[1:]) + 100

    refused = onewindow(["restore", str(tmp_path / "copy.sqlite3")], env)
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "not empty" in refused.stderr and "--force" in refused.stderr

    revived = ServerProcess(restored_url, tmp_path).start()
    try:
        assert snapshot_seq(revived) == report.new_seq

        async def carry_on() -> None:
            async with hall_api(revived) as api:
                for since in (lost_seq, copy_seq, copy_seq - 1):  # the lost part, and the copy's own past
                    async with feed(revived, display_path(), since=since) as wall:
                        first = await receive(wall)
                        assert (first["type"], first["seq"]) == ("snapshot", report.new_seq), since
                ticket = await api.issue("A")
                assert ticket["number"] == report.next_numbers["A"]  # never a number from the lost part
                assert (await api.issue("B"))["number"] == report.next_numbers["B"]
                current = await api.seq()
                assert current == report.new_seq + 2
                async with feed(revived, display_path(), since=current) as wall:  # this history: events
                    await assert_quiet(wall)
                    await api.issue("A")
                    message = await receive(wall)
                    assert (message["type"], message["seq"]) == ("ticket.issued", current + 1)

        asyncio.run(carry_on())
    finally:
        revived.stop()


def test_restore_refuses_what_is_not_a_backup_and_a_folder_to_back_up_into(tmp_path: Path) -> None:
    url = seeded(f"sqlite:///{tmp_path}/hall.db")
    env = {**ServerProcess(url, tmp_path).env}
    (tmp_path / "notes.txt").write_text("not a backup")
    for args, says in ((["restore", str(tmp_path / "notes.txt")], "not a OneWindow backup"),
                       (["restore", str(tmp_path / "missing.sqlite3")], "no backup file"),
                       (["backup", str(tmp_path)], "is a folder"),
                       (["backup", str(tmp_path / "hall.db")], "the database itself"),
                       (["backup", str(tmp_path / "no" / "such" / "x.sqlite3")], "no folder")):
        done = onewindow(args, env)
        assert done.returncode == 1, (args, done.stdout)
        assert len(done.stderr.strip().splitlines()) == 1 and says in done.stderr, (args, done.stderr)
    # --force replaces a database that is not empty
    assert onewindow(["backup", str(tmp_path / "copy.sqlite3")], env).returncode == 0
    forced = onewindow(["restore", "--force", "--skip-numbers", "0", str(tmp_path / "copy.sqlite3")], env)
    assert forced.returncode == 0, forced.stderr
    assert read_report(forced.stdout).next_numbers["A"] == "A001"
