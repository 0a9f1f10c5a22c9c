"""What the backup tests share: the command line as a process, a kiosk issuing flat out from a thread
(each acknowledgement timed), and the restore's report read back."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.api.conftest import KIOSK
from tests.servers import ServerProcess


def onewindow(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@dataclass
class Issued:
    number: str
    sent: float  # monotonic
    acknowledged: float


@dataclass
class Kiosk:
    """Issues tickets back to back in queue A until stopped; every acknowledged ticket is kept."""

    server: ServerProcess
    queue: str = "A"
    issued: list[Issued] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Kiosk:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(base_url=self.server.base, headers=KIOSK, timeout=10) as http:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    response = http.post("/api/v1/halls/jinan/tickets", json={"queue": self.queue})
                except httpx.HTTPError as error:
                    self.errors.append(repr(error))
                    return
                if response.status_code != 201:
                    self.errors.append(f"{response.status_code} {response.text}")
                    return
                self.issued.append(Issued(response.json()["number"], sent, time.monotonic()))

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.issued) < count:
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"only {len(self.issued)} tickets issued"
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        assert not self.errors, self.errors

    def acknowledged_before(self, instant: float) -> set[str]:
        return {i.number for i in self.issued if i.acknowledged < instant}

    def slowest_during(self, start: float, end: float) -> float:
        """The longest any issue overlapping [start, end] waited for its answer."""
        return max((i.acknowledged - i.sent for i in self.issued if i.acknowledged >= start and i.sent <= end),
                   default=0.0)

    def issued_during(self, start: float, end: float) -> int:
        return sum(1 for i in self.issued if start <= i.acknowledged <= end)


@dataclass(frozen=True)
class Report:
    """What `onewindow restore` says of the hall jinan."""

    copy_seq: int
    last_numbers: dict[str, str]
    new_seq: int
    next_numbers: dict[str, str]
    text: str


def read_report(stdout: str) -> Report:
    ends = re.search(r"hall jinan \(.*\): the copy ends (?:at .*|before any event), seq (\d+)", stdout)
    last = re.search(r"last numbers of \S+: (.*)", stdout)
    new = re.search(r"seq continues from (\d+) .*continue from (.*)", stdout)
    assert ends and new, stdout

    def numbers(line: str) -> dict[str, str]:
        return {re.sub(r"\d+$", "", n): n for n in line.split()}

    return Report(int(ends.group(1)), numbers(last.group(1)) if last else {}, int(new.group(1)),
                  numbers(new.group(2)), stdout)


def snapshot_seq(server: ServerProcess) -> int:
    response = httpx.get(f"{server.base}/api/v1/halls/jinan/snapshot", timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return int(body["seq"])
