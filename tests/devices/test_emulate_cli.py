"""`onewindow emulate`: the emulators a hall demonstrates with, driven from a terminal."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from devices.idcard.reader import CardPresented, IdCardReader
from devices.printer.driver import TicketPrinter


def test_emulate_all_gives_each_device_a_stable_path_and_takes_commands(tmp_path: Path) -> None:
    folder = tmp_path / "dev"
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "emulate", "all", "--link", str(folder)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        lines: list[str] = []
        while not lines or lines[-1].strip() != "quit":
            lines.append(proc.stdout.readline())
        assert any(f"serial://{folder / 'idcard'}" in line for line in lines)
        reader = IdCardReader.open(f"serial://{folder / 'idcard'}?baud=115200")
        assert reader.poll() is None  # no card yet
        proc.stdin.write("present 70 回 马小芳\n")
        proc.stdin.flush()
        assert "card placed: age 70" in proc.stdout.readline()
        deadline = time.monotonic() + 5
        event = None
        while not isinstance(event, CardPresented) and time.monotonic() < deadline:
            event = reader.poll()
        assert isinstance(event, CardPresented)
        assert (event.card.name, event.card.nation) == ("马小芳", "回")
        reader.close()

        proc.stdin.write("paper out\n")
        proc.stdin.flush()
        assert "paper out=True" in proc.stdout.readline()
        with TicketPrinter.open(f"serial://{folder / 'printer'}?baud=9600") as printer:
            assert printer.status().state == "paper_out"
        proc.stdin.write("nonsense\n")  # a wrong command shows the help, and the emulator carries on
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (folder / "idcard").exists()  # unplugged on the way out


def test_demo_writes_the_kiosk_agent_configuration(tmp_path: Path) -> None:
    from devices.agent.config import load_config

    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/demo.db", "SECRET_KEY": "s" * 32, "ONEWINDOW_DEMO": "1",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "server.cli", "demo", "--agent-config",
                           str(tmp_path / "agent.toml")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    config = load_config(tmp_path / "agent.toml")
    assert {d.kind for d in config.devices} == {"idcard", "printer", "counterbus"}
    assert config.device("counterbus").counters == {1: 1, 2: 2, 3: 3}  # type: ignore[union-attr]
    # the hall lets that agent drive exactly its bus's counters (the agent's hello decides nothing)
    drives = subprocess.run([sys.executable, "-m", "server.cli", "agent-counters", "--hall", "jinan", "--name",
                             "kiosk-1"], env=env, capture_output=True, text=True)
    assert drives.returncode == 0 and drives.stdout.strip().endswith("counters: 1, 2, 3"), drives.stderr
    assert "/counter/jinan/1/rate?token=demo-" in done.stdout  # the rating tablet's address, with its token
    assert config.token.startswith("demo-")
