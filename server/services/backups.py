"""Backups, restores and moving to another database: the use cases behind ``onewindow backup``,
``onewindow restore``, ``onewindow copy-database`` and the scheduled backups (server/jobs/backups.py).
docs/operations.md says how a manager uses them.

A restore starts a new history (server/domain/backups.py): each hall's seq jumps, written in the
log as a ``hall.restored`` event, and today's numbers continue from a round number past the copy's.
What the restore returns says where the copy ends, so the manager knows which paper tickets it
never saw.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table

from server import store as store_package
from server.domain import backups as rules
from server.domain.model import Event
from server.store import audit
from server.store import backup as store
from server.store.backup import BackupError
from server.store.db import open_database
from server.store.migrate import migrate
from server.store.tables import metadata

log = logging.getLogger("onewindow.backup")

__all__ = ["BackupError", "BackupMade", "HallEnd", "Restored", "backup", "copy_database", "restore",
           "scheduled_backup"]


@dataclass(frozen=True)
class BackupMade:
    path: Path
    kind: str  # sqlite | postgresql
    size: int
    took_s: float


@dataclass(frozen=True)
class HallEnd:
    """Where the copy ends for one hall, and where the restored hall carries on."""

    code: str
    name: str
    tz: ZoneInfo
    copy_seq: int
    last_change: datetime | None  # the copy's last event in this hall
    last_day: date | None  # the copy's last day with tickets …
    last_numbers: dict[str, int]  # … and each queue's last serial that day
    open_tickets: dict[str, int]  # still waiting, called or served in the copy, by queue
    new_seq: int
    today: date
    floors: dict[str, int]  # today's numbers continue after these


@dataclass(frozen=True)
class Restored:
    kind: str
    halls: list[HallEnd] = field(default_factory=list)


def _checked_target(target: Path) -> Path:
    target = target.expanduser().absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file, e.g. {target}/onewindow.backup")
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent}")
    return target


def backup(database_url: str, target: Path) -> BackupMade:
    """A consistent copy of the whole database while the server runs."""
    kind = store.kind_of_url(database_url)
    target = _checked_target(target)
    started = time.perf_counter()
    if kind == "sqlite":
        source = Path(store.sqlite_path(database_url)).absolute()
        if not source.is_file():
            raise BackupError(f"no database at {source}")
        if source.resolve() == target.resolve():
            raise BackupError("the backup file is the database itself: name another file")
        store.sqlite_backup(str(source), target)
    else:
        store.pg_backup(database_url, target)
    return BackupMade(target, kind, target.stat().st_size, time.perf_counter() - started)


def restore(database_url: str, source: Path, now: datetime, force: bool = False,
            skip_numbers: int | None = None, actor: str = "cli") -> Restored:
    """The backup into ``database_url``, which must be empty unless ``force``; then every hall starts
    its new history. Every server on that database must be stopped (docs/operations.md)."""
    kind = store.kind_of_url(database_url)
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    held = store.kind_of_file(source)
    if held is None:
        raise BackupError(f"{source} is not a OneWindow backup (neither a SQLite file nor a pg_dump archive)")
    if held != kind:
        raise BackupError(f"{source} is a {held} backup and the database is {kind}: restore it into a {held} "
                          f"database, then move with onewindow copy-database --to URL")
    target = Path(store.sqlite_path(database_url)).absolute() if kind == "sqlite" else None
    if target is not None and target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup file is the database itself")
    db = open_database(database_url)
    try:
        with db.reader.connect() as conn:
            filled = store.tables_with_rows(conn)
    finally:
        db.dispose()
    if filled and not force:
        shown = ", ".join(filled[:4]) + (", …" if len(filled) > 4 else "")
        raise BackupError(f"the database is not empty ({len(filled)} tables hold rows: {shown}); "
                          "restore replaces everything in it only with --force")
    if target is not None:
        store.sqlite_restore(source, str(target))
    else:
        store.pg_restore(source, database_url)
    db = open_database(database_url)
    try:
        with db.writer.begin() as conn:
            ends = [_new_history(conn, row, now, skip_numbers, actor) for row in store.halls(conn)]
    finally:
        db.dispose()
    for end in ends:
        log.warning("hall %s restored: the copy ends at seq %d; the new history starts at seq %d",
                    end.code, end.copy_seq, end.new_seq)
    return Restored(kind, ends)


def _new_history(conn: Connection, row: store.HallRow, now: datetime, skip: int | None, actor: str) -> HallEnd:
    tz = ZoneInfo(row.timezone)
    today = now.astimezone(tz).date()
    last_day = store.last_ticket_day(conn, row.code)
    since = min(last_day or today, today) - timedelta(days=rules.HISTORY_DAYS)
    by_day = rules.last_numbers(store.ticket_numbers(conn, row.code, since))
    busiest: dict[str, int] = {}
    for per_queue in by_day.values():
        for queue, serial in per_queue.items():
            busiest[queue] = max(busiest.get(queue, 0), serial)
    copy_today = by_day.get(today, {})
    queues = sorted(set(row.queues) | set(busiest))
    floors = {q: rules.number_floor(copy_today.get(q, 0), busiest.get(q, 0), skip) for q in queues}
    new_seq = rules.restored_seq(row.seq, now)
    at = row.last_at or now
    # at: the copy's last instant, so that a later day still rolls the copy's day over when it loads
    floor = {"day": today.isoformat(), "serials": floors}
    event = Event("hall.restored", new_seq, at, extra={"copy_seq": row.seq, "restored_at": now.isoformat(),
                                                       **floor})
    public = {"type": "hall.restored", "seq": new_seq, "at": at.astimezone(tz).isoformat(timespec="seconds"),
              "copy_seq": row.seq}
    store.mark_restored(conn, row.code, event, public, floor)
    audit.add_entry(conn, at=now, actor=actor, kind="cli", role="cli", hall=row.code,
                    action="backup.restore", target=f"hall {row.code}",
                    detail={"copy_seq": row.seq, "new_seq": new_seq,
                            "numbers_from": " ".join(f"{q}{n + 1:03d}" for q, n in floors.items())})
    return HallEnd(row.code, row.name, tz, row.seq, row.last_at, last_day,
                   by_day.get(last_day, {}) if last_day else {}, store.open_tickets(conn, row.code), new_seq,
                   today, floors)


# ---------------------------------------------------------------------------- moving
def all_tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    for module in pkgutil.iter_modules(store_package.__path__):
        if module.name.startswith("tables"):
            importlib.import_module(f"{store_package.__name__}.{module.name}")
    return list(metadata.sorted_tables)


def copy_database(source_url: str, target_url: str) -> dict[str, int]:
    """Every row of the database at ``source_url`` into the empty one at ``target_url`` (migrated
    first), read from one snapshot; rows copied per table."""
    source, target = open_database(source_url), open_database(target_url)
    try:
        if source.url == target.url:
            raise BackupError("the target is the database itself")
        migrate(target)
        with target.reader.connect() as conn:
            filled = store.tables_with_rows(conn)
            version = store.schema_version(conn)
        if filled:
            raise BackupError(f"the target database is not empty ({', '.join(filled[:4])}): copy into an empty one")
        with source.reader.connect() as conn:
            if store.schema_version(conn) != version:
                raise BackupError("the source database's schema is not the newest: run onewindow migrate on it first")
        tables = all_tables()
        reading = source.reader.connect()
        if not source.is_sqlite:  # one snapshot for every table
            reading = reading.execution_options(isolation_level="REPEATABLE READ")
        with reading as src, src.begin(), target.writer.begin() as dst:
            return store.copy_tables(src, dst, tables)
    finally:
        source.dispose()
        target.dispose()


# ---------------------------------------------------------------------------- scheduled
def scheduled_backup(database_url: str, folder: str, keep: int, tz_name: str, at: str) -> str:
    """The daily job (in-process or on rq): a dated backup in ``folder``, the newest ``keep`` kept.
    ``at``: the instant the schedule started it (ISO 8601), which names the file and dates the
    outcome's entry in the audit trail (actor ``backup``), where the dashboards' alert reads it.
    Returns ``done`` or ``failed``."""
    started = datetime.fromisoformat(at).astimezone(UTC)  # as every time is stored
    kind = store.kind_of_url(database_url)
    name = rules.backup_name(started.astimezone(ZoneInfo(tz_name)), kind)
    detail: dict[str, Any] = {"folder": folder}
    try:
        made = backup(database_url, Path(folder) / name)
        pruned = _prune(Path(folder), keep)
        detail.update(file=name, bytes=made.size, seconds=round(made.took_s, 3), pruned=pruned)
        action, outcome = store.DONE, "done"
        log.info("scheduled backup %s written (%d bytes, %.2f s); %d old ones removed", made.path, made.size,
                 made.took_s, len(pruned))
    except Exception as error:  # a full disk, a missing folder, pg_dump gone: the alert says it
        log.exception("scheduled backup into %s failed", folder)
        detail["error"] = (str(error) or type(error).__name__)[:300]
        action, outcome = store.FAILED, "failed"
    db = open_database(database_url)
    try:
        with db.writer.begin() as conn:
            audit.add_entry(conn, at=started, actor=store.BACKUP_ACTOR, kind="system", role=None, hall=None,
                            action=action, target=name, detail=detail)
    except Exception:  # no outcome on record: the alert says so two hours on, and it is tried again
        log.exception("scheduled backup %s (%s): its outcome could not be recorded", name, outcome)
    finally:
        db.dispose()
    return outcome


def _prune(folder: Path, keep: int) -> list[str]:
    old = rules.to_prune((p.name for p in folder.iterdir()), keep)
    for name in old:
        (folder / name).unlink(missing_ok=True)
    return old
