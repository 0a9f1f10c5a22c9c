"""Device tests: emulators on real ptys, a real `onewindow serve` and a real `onewindow agent`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.cli import demo_token
from tests.api.conftest import SECRET
from tests.servers import ServerProcess, seeded, stop_process

AGENT_TOKEN = demo_token(SECRET, "agent", "kiosk-1")


@pytest.fixture
def hall_server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(seeded(sqlite_url), tmp_path).start()
    yield server
    server.stop()


class AgentProcess:
    """`onewindow agent --config FILE` as a kiosk PC runs it, its log kept for failure reports."""

    def __init__(self, config: str, folder: Path) -> None:
        self.config_path = folder / "agent.toml"
        self.config_path.write_text(config, encoding="utf-8")
        self.log_path = folder / "agent.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it until it exits
        self.proc = subprocess.Popen([sys.executable, "-m", "server.cli", "agent", "--config", str(self.config_path)],
                                     stdout=log, stderr=subprocess.STDOUT,
                                     env={"ONEWINDOW_LOG_LEVEL": "info", "PATH": "/usr/bin:/bin",
                                          "PYTHONUNBUFFERED": "1"})
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def start_agent(tmp_path: Path) -> Iterator[Callable[[str], AgentProcess]]:
    agents: list[AgentProcess] = []

    def start(config: str) -> AgentProcess:
        agent = AgentProcess(config, tmp_path).start()
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        agent.stop()


def eventually(check: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
