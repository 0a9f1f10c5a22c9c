"""Whole-database copies: SQLite's online backup API, PostgreSQL's ``pg_dump``/``pg_restore``, a
copy table by table from one backend into the other, and the rows a restore reads and writes
(where the copy ends, the restored hall's jump). The rules are server/domain/backups.py's.

A SQLite copy is taken in one step of the backup API: one read transaction, which in WAL mode
never holds up the hall's writer (it only keeps the WAL from being reset until it ends); the
step-wise form would start over whenever the hall wrote, and a busy hall writes all the time.
PostgreSQL's pg_dump reads one snapshot and locks nothing that issuing a ticket needs.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Integer, Table, desc, func, insert, inspect, select, text, update
from sqlalchemy.engine import make_url

from server.domain.model import FINAL_STATUSES, Event
from server.domain.views import event_state

from . import tables as t
from .db import normalise_url
from .tables_audit import audit_log

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
BACKUP_ACTOR = "backup"  # the scheduled backups' entries in the audit trail
DONE, FAILED = "backup.scheduled", "backup.failed"
COPY_BATCH = 1000


class BackupError(Exception):
    """A copy or a restore that could not be made; the message says why, in one line."""


# ---------------------------------------------------------------------------- the files
def kind_of_url(url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return "sqlite" if make_url(normalise_url(url)).get_backend_name() == "sqlite" else "postgresql"


def kind_of_file(path: Path) -> str | None:
    """What a backup file holds, by its first bytes: ``sqlite``, ``postgresql`` or None."""
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    return None


def sqlite_path(url: str) -> str:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to copy")
    return database


def _partial(target: Path) -> Path:
    return target.with_name(target.name + ".partial")


def _settle(partial: Path, target: Path) -> None:
    """The finished copy under its name, on disk: never a half-written file under the real name."""
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def sqlite_backup(source: str, target: Path) -> None:
    """A consistent copy of the SQLite database ``source`` into ``target``, a self-contained file."""
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step, one read snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            checked = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite backup failed: {error}") from None
    finally:
        src.close()
    if checked != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy does not check out: {checked}")
    _settle(partial, target)


def sqlite_restore(backup: Path, target: str) -> None:
    """Replace the whole SQLite database ``target`` (created if need be) with the backup's pages."""
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")  # as the server keeps it
        finally:
            dst.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite restore failed: {error}") from None
    finally:
        src.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump takes it, the password in the environment rather than on the command line."""
    parsed = make_url(normalise_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(tool: str, args: Sequence[str], env: dict[str, str]) -> None:
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(f"{tool} is not installed: install the PostgreSQL client (apt install postgresql-client)")
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{tool} failed: {lines[0] if lines else f'exit {done.returncode}'}")


def pg_backup(url: str, target: Path) -> None:
    """pg_dump's custom format (compressed, restored with pg_restore), from one snapshot."""
    dbname, env = _libpq(url)
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    try:
        _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
                         f"--dbname={dbname}"], env)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    _settle(partial, target)


def pg_restore(backup: Path, url: str) -> None:
    """Everything in the dump into ``url``, in one transaction: what it holds is dropped first."""
    dbname, env = _libpq(url)
    _run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                        "--exit-on-error", f"--dbname={dbname}", str(backup)], env)


# ---------------------------------------------------------------------------- the rows
def tables_with_rows(conn: Connection) -> list[str]:
    """The tables that hold anything (Alembic's own aside): none, and the database is empty."""
    names = sorted(n for n in inspect(conn).get_table_names() if n != "alembic_version")
    return [n for n in names if conn.execute(text(f'SELECT 1 FROM "{n}" LIMIT 1')).first() is not None]


def schema_version(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    version = conn.scalar(text("SELECT version_num FROM alembic_version"))
    return None if version is None else str(version)


@dataclass(frozen=True)
class HallRow:
    code: str
    name: str
    seq: int
    timezone: str
    queues: tuple[str, ...]
    last_at: datetime | None  # the time of its last event


def halls(conn: Connection) -> list[HallRow]:
    out = []
    for row in conn.execute(select(t.halls).order_by(t.halls.c.code)):
        at = conn.scalar(select(t.events.c.at).where(t.events.c.hall == row.code, t.events.c.seq == row.seq))
        config = row.config or {}
        out.append(HallRow(row.code, row.name, int(row.seq), str(config.get("timezone") or "Asia/Shanghai"),
                           tuple(q["code"] for q in config.get("queues", ())),
                           at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at))
    return out


def first_timezone(conn: Connection) -> str:
    """The halls' time zone (the first hall's; Asia/Shanghai before there is one)."""
    config = conn.scalar(select(t.halls.c.config).order_by(t.halls.c.code).limit(1))
    return str((config or {}).get("timezone") or "Asia/Shanghai")


def ticket_numbers(conn: Connection, hall: str, since: date) -> list[tuple[date, str]]:
    """Every (day, number) the hall issued from ``since`` on."""
    rows = conn.execute(select(t.tickets.c.day, t.tickets.c.number)
                        .where(t.tickets.c.hall == hall, t.tickets.c.day >= since))
    return [(day, number) for day, number in rows]


def last_ticket_day(conn: Connection, hall: str) -> date | None:
    day: date | None = conn.scalar(select(func.max(t.tickets.c.day)).where(t.tickets.c.hall == hall))
    return day


def open_tickets(conn: Connection, hall: str) -> dict[str, int]:
    """Tickets still waiting, called or being served, by queue."""
    final = [s.value for s in FINAL_STATUSES]
    rows = conn.execute(select(t.tickets.c.queue, func.count()).where(t.tickets.c.hall == hall,
                                                                      t.tickets.c.status.not_in(final))
                        .group_by(t.tickets.c.queue))
    return {queue: int(count) for queue, count in rows}


def mark_restored(conn: Connection, hall: str, event: Event, public: dict[str, Any],
                  floor: dict[str, Any]) -> None:
    """The restored hall's first event (its seq the jump), its seq, and today's number floor,
    kept in its config so that loading the hall needs no search through the log."""
    conn.execute(insert(t.events).values(hall=hall, seq=event.seq, type=event.type, at=event.at,
                                         data=event_state(event), public=public))
    config = dict(conn.scalar(select(t.halls.c.config).where(t.halls.c.code == hall)) or {})
    config["serial_floor"] = floor
    conn.execute(update(t.halls).where(t.halls.c.code == hall).values(seq=event.seq, config=config))


def latest_scheduled(conn: Connection, since: datetime) -> dict[str, Any] | None:
    """The scheduled backups' latest entry since ``since``: {ok, at, detail}, or None."""
    row = conn.execute(select(audit_log.c.action, audit_log.c.at, audit_log.c.detail)
                       .where(audit_log.c.actor == BACKUP_ACTOR, audit_log.c.at >= since.astimezone(UTC))
                       .order_by(desc(audit_log.c.at), desc(audit_log.c.id)).limit(1)).first()
    if row is None:
        return None
    at = row.at.replace(tzinfo=UTC) if row.at.tzinfo is None else row.at
    return {"ok": row.action == DONE, "at": at, "detail": dict(row.detail or {})}


# ---------------------------------------------------------------------------- one backend into another
def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _rows(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    times = [c.name for c in table.columns if isinstance(c.type, DateTime)]
    batch: list[dict[str, Any]] = []
    for row in conn.execute(select(table)).mappings():
        values = dict(row)
        for name in times:  # SQLite hands back naive UTC; PostgreSQL would read naive as its own zone
            values[name] = _utc(values[name])
        batch.append(values)
        if len(batch) >= COPY_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_tables(source: Connection, target: Connection, tables: Sequence[Table]) -> dict[str, int]:
    """Every row of ``tables`` (parents first) from ``source`` into the same tables of ``target``."""
    counts = {}
    for table in tables:
        count = 0
        for batch in _rows(source, table):
            target.execute(insert(table), batch)
            count += len(batch)
        counts[table.name] = count
    if target.dialect.name == "postgresql":
        _advance_sequences(target, tables)
    return counts


def _advance_sequences(conn: Connection, tables: Sequence[Table]) -> None:
    """Rows copied with their ids leave PostgreSQL's id sequences behind: move each past its table's ids."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer) or keys[0].autoincrement is False:
            continue
        column = keys[0].name
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column})
        if sequence is None:
            continue
        top = conn.scalar(select(func.max(table.c[column])))
        conn.execute(text("SELECT setval(:s, :v, :called)"),
                     {"s": sequence, "v": top if top is not None else 1, "called": top is not None})
