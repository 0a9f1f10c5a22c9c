"""Engines. Synchronous SQLAlchemy Core, kept off the event loop by the hall writer's thread
(see server/engine.py): one thread hop per batch of commands beats an async driver's hop per
statement, and SQLite serialises writes either way (docs/benchmarks.md has the figures)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# The JSON columns (events, ticket and counter states, audit details) through orjson: the standard
# library's encoder was 4% of the server's time when issuing flat out (profiled).
JSON_CODEC: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


def normalise_url(url: str) -> str:
    """Accept the plain URLs of CONTRACT and pick the drivers OneWindow ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+asyncpg"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername in ("sqlite", "sqlite+aiosqlite"):
        parsed = parsed.set(drivername="sqlite+pysqlite")
    return parsed.render_as_string(hide_password=False)


@dataclass
class Database:
    """The write engine (SQLite: ``BEGIN IMMEDIATE``, so a batch holds the write lock from its
    first read) and a read engine that never takes it."""

    url: str
    writer: Engine
    reader: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def _sqlite_engine(url: str, immediate: bool, synchronous: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **JSON_CODEC,
                           poolclass=NullPool if ":memory:" in url else None)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_database(url: str, sqlite_synchronous: str | None = None, pool: int = 20) -> Database:
    """``pool``: PostgreSQL connections kept open (ONEWINDOW_DB_POOL, up to half as many more for a
    burst). Each hall's writer holds one for every batch: with the old 5 (+10), a district's 50
    halls a process waited in the pool's queue (bench/district.py, docs/scaling.md)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        sync = (sqlite_synchronous or "FULL").upper()
        if sync not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"SQLite synchronous must be NORMAL, FULL or EXTRA, not {sync!r}")
        return Database(url, _sqlite_engine(url, True, sync), _sqlite_engine(url, False, sync))
    engine = create_engine(url, pool_size=pool, max_overflow=pool // 2, pool_pre_ping=True, **JSON_CODEC)
    return Database(url, engine, engine)
