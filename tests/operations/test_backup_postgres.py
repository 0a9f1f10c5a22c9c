"""`onewindow backup` and `onewindow restore` on the real PostgreSQL (pg_dump's custom format), and
`onewindow copy-database` moving a hall from SQLite to PostgreSQL; each on scratch databases."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.store import tables as t
from server.store.db import open_database
from server.store.tables_audit import audit_log
from tests.conftest import scratch_database
from tests.live.hallkit import display_path, feed, hall_api, receive
from tests.servers import ServerProcess, seeded

from .kit import Kiosk, onewindow, read_report, snapshot_seq


@pytest.fixture
def second_postgres_url(postgres_server: str) -> Iterator[str]:
    """Another fresh, empty database for one test (the host the copy is restored on)."""
    yield from scratch_database(postgres_server)


def tickets_and_seqs(url: str) -> tuple[set[str], list[int]]:
    db = open_database(url)
    with db.reader.connect() as conn:
        numbers = set(conn.scalars(select(t.tickets.c.number).where(t.tickets.c.hall == "jinan")))
        seqs = list(conn.scalars(select(t.events.c.seq).where(t.events.c.hall == "jinan").order_by(t.events.c.seq)))
    db.dispose()
    return numbers, seqs


def test_a_postgresql_backup_taken_while_issuing_restores_into_a_new_history(
        postgres_url: str, second_postgres_url: str, tmp_path: Path) -> None:
    server = ServerProcess(seeded(postgres_url), tmp_path).start()
    kiosk = Kiosk(server).start()
    dump = tmp_path / "hall.pgdump"
    try:
        kiosk.wait_for(30)
        began = time.monotonic()
        made = onewindow(["backup", str(dump)], server.env)
        assert made.returncode == 0, made.stderr
        assert "postgresql" in made.stdout
        kiosk.wait_for(len(kiosk.issued) + 20)
        kiosk.stop()

        async def lost_part() -> int:
            async with hall_api(server) as api, feed(server, display_path()) as wall:
                await receive(wall)
                await api.issue("B")
                return int((await receive(wall))["seq"])

        lost_seq = asyncio.run(lost_part())
    finally:
        kiosk.stop()
        server.stop(signal.SIGKILL)
    assert dump.read_bytes().startswith(b"PGDMP")

    env = {**server.env, "DATABASE_URL": second_postgres_url}
    done = onewindow(["restore", str(dump)], env)
    assert done.returncode == 0, done.stderr
    report = read_report(done.stdout)
    numbers, seqs = tickets_and_seqs(second_postgres_url)
    assert kiosk.acknowledged_before(began) <= numbers
    assert seqs[-1] == report.new_seq and seqs[-2] == report.copy_seq < lost_seq  # the jump, in the log
    assert seqs[:-1] == list(range(1, report.copy_seq + 1))
    last_a = max((n for n in numbers if n.startswith("A")), key=lambda n: int(n[1:]))
    assert report.last_numbers["A"] == last_a and report.new_seq > report.copy_seq + 1_000_000

    refused = onewindow(["restore", str(dump)], env)
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "not empty" in refused.stderr

    revived = ServerProcess(second_postgres_url, tmp_path).start()
    try:
        assert snapshot_seq(revived) == report.new_seq

        async def carry_on() -> None:
            async with hall_api(revived) as api:
                async with feed(revived, display_path(), since=lost_seq) as wall:
                    first = await receive(wall)
                    assert (first["type"], first["seq"]) == ("snapshot", report.new_seq)
                assert (await api.issue("A"))["number"] == report.next_numbers["A"]
                assert await api.seq() == report.new_seq + 1

        asyncio.run(carry_on())
    finally:
        revived.stop()

    # a PostgreSQL backup does not go into SQLite: one line says how to move instead
    into_sqlite = onewindow(["restore", str(dump)], {**env, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert into_sqlite.returncode == 1 and "copy-database" in into_sqlite.stderr
    assert len(into_sqlite.stderr.strip().splitlines()) == 1


def test_copy_database_moves_a_sqlite_hall_to_postgresql(postgres_url: str, tmp_path: Path) -> None:
    source = seeded(f"sqlite:///{tmp_path}/hall.db")
    server = ServerProcess(source, tmp_path).start()
    try:
        async def day() -> list[str]:
            async with hall_api(server) as api:
                issued = [(await api.issue(q))["number"] for q in "AAB"]
                clerk = await api.open_counter(1, "clerk01")
                await api.act(1, "call-next", clerk)
                return issued

        issued = asyncio.run(day())
        seq = snapshot_seq(server)
    finally:
        server.stop()
    env = {**server.env, "DATABASE_URL": source}
    moved = onewindow(["copy-database", "--to", postgres_url], env)
    assert moved.returncode == 0, moved.stderr
    assert "now set DATABASE_URL" in moved.stdout
    again = onewindow(["copy-database", "--to", postgres_url], env)
    assert again.returncode == 1 and "not empty" in again.stderr

    db = open_database(postgres_url)
    with db.reader.connect() as conn:
        users = conn.scalar(select(func.count()).select_from(t.users))
        entries = conn.scalar(select(func.count()).select_from(audit_log))
    db.dispose()
    assert users and users > 5 and entries

    moved_server = ServerProcess(postgres_url, tmp_path).start()
    try:
        assert snapshot_seq(moved_server) == seq  # the same history: no jump

        async def carry_on() -> None:
            async with hall_api(moved_server) as api:
                assert (await api.issue("A"))["number"] == "A003"
                clerk = await api.login("clerk01")  # accounts and sign-ins moved too
                response = await api.http.post("/halls/jinan/counters/1/finish", headers={
                    "Authorization": f"Bearer {clerk}"})
                assert response.status_code == 200, response.text
                assert response.json()["number"] == issued[0]

        asyncio.run(carry_on())
    finally:
        moved_server.stop()
    db = open_database(postgres_url)  # new rows got new ids: the id sequences moved past the copied rows
    with db.reader.connect() as conn:
        signed_in = conn.scalar(select(func.count()).select_from(audit_log).where(audit_log.c.action == "auth.login"))
        assert (conn.scalar(select(func.count()).select_from(audit_log)) or 0) > entries
    db.dispose()
    assert signed_in
