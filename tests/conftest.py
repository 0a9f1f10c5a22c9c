"""Shared fixtures. Real services only: SQLite files, the PostgreSQL at 127.0.0.1:5432 and the
Redis at 127.0.0.1:6379 (``make test`` starts them where they are not running)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text

from server.domain.clock import FakeClock

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI") == "true"


def unavailable(what: str, remedy: str = "`make system` installs and starts it") -> NoReturn:
    """Something a test needs from the machine is missing: in CI that is a failure (nothing may
    skip there); elsewhere the test skips, saying what is missing and how to get it."""
    if IN_CI:
        pytest.fail(f"{what}; {remedy}")
    pytest.skip(f"{what} (outside CI: {remedy})")

# 09:00 in the hall (Asia/Shanghai) on an ordinary Wednesday.
HALL_MORNING = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(HALL_MORNING)


def _pg_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not _pg_reachable():
        unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    return PG_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    yield from scratch_database(postgres_server)


def scratch_database(postgres_server: str) -> Iterator[str]:
    """Creates an empty database on the test server, yields its URL, drops it (fixtures use it)."""
    name = f"ow_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server.replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = postgres_server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis (database 3), for tests that need a real one but no restart."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        unavailable(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/onewindow.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Store tests run once on each backend."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))
