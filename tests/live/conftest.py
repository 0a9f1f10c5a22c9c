"""Real `onewindow serve` processes for the live feed tests (each on its own SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ServerProcess, seeded

from .hallkit import Launch


@pytest.fixture
def launch(sqlite_url: str, tmp_path: Path) -> Iterator[Launch]:
    """Start a server on this test's fresh demo database, with extra environment if given;
    every server started is stopped at the end of the test."""
    started: list[ServerProcess] = []

    def start(extra_env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(seeded(sqlite_url) if not started else sqlite_url, tmp_path,
                               extra_env=extra_env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(launch: Launch) -> ServerProcess:
    return launch()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for a module's tests that only read (connect, sign in, get refused)."""
    folder = tmp_path_factory.mktemp("shared")
    server = ServerProcess(seeded(f"sqlite:///{folder}/onewindow.db"), folder).start()
    yield server
    server.stop()
