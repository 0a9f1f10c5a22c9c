"""The bus backends under test: the in-process MemoryBus and the RedisBus against the real Redis
at 127.0.0.1:6379 (database 3, one fresh channel name per test)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(params=["memory", "redis"])
def bus_url(request: pytest.FixtureRequest) -> str:
    """Every contract test runs once on each backend, chosen by URL as the server chooses it."""
    return "memory://" if request.param == "memory" else str(request.getfixturevalue("redis_url"))


@pytest.fixture
def channel() -> str:
    return f"test:{uuid.uuid4().hex}"
