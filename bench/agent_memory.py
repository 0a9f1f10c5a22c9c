"""The device agent's resident memory over a long run of simulated card reads, prints and key presses.

A kiosk PC runs the agent for months, so what matters is that its memory does not grow. This
starts `onewindow serve` on the demo hall, the ID-card reader, printer and counter-bus emulators
on real ptys, and a real `onewindow agent` driving them; then, every ``--interval`` seconds, it
places an ID card, issues a ticket from the kiosk (which the agent prints), lifts the card and,
every few rounds, presses the call key at counter 1. It samples the agent's VmRSS and writes the
figures to docs/benchmarks.md.

    .venv/bin/python bench/agent_memory.py                 # one hour (the figure in the docs)
    .venv/bin/python bench/agent_memory.py --duration 120  # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DOC,
    PYTHON,
    load_demo,
    machine_lines,
    rss_kib,
    run,
    server_env,
    serving,
    stop,
    write_doc,
)
from devices.counterbus.emulator import CounterBusEmulator  # noqa: E402
from devices.idcard.emulator import IdCardEmulator, demo_card  # noqa: E402
from devices.printer.emulator import PrinterEmulator  # noqa: E402
from server.demo import DEMO_PASSWORD  # noqa: E402

START, END = "<!-- agent-memory:start -->", "<!-- agent-memory:end -->"
CALL = 0x0C


async def main(duration: float, interval: float) -> None:
    header = machine_lines(__file__, "the agent as its own process, the emulators in the benchmark process on ptys, "
                                     "SQLite server")  # read now: the run is long and the tree may change
    with tempfile.TemporaryDirectory(prefix="onewindow-agent-mem-") as tmp:
        work = Path(tmp)
        env = server_env(f"sqlite:///{work}/onewindow.db")
        kiosk = load_demo(env, work)
        token = load_demo(env, work, "agent")
        idcard = IdCardEmulator(link=str(work / "idcard"))
        printer = PrinterEmulator(link=str(work / "printer"))
        bus = CounterBusEmulator(link=str(work / "counterbus"))
        for emulator in (idcard, printer, bus):
            emulator.start()  # (it returns the base PtyEmulator type: keep the names typed as their class)
        async with serving(env, work, "agent-memory") as (_, port):
            base = f"http://127.0.0.1:{port}"
            config = work / "agent.toml"
            config.write_text(f'server = "{base}"\ntoken = "{token}"\noutbox = "{work / "outbox.sqlite3"}"\n'
                              f'[devices.idcard]\nurl = "serial://{work / "idcard"}"\n'
                              f'[devices.printer]\nurl = "serial://{work / "printer"}"\n'
                              f'[devices.counterbus]\nurl = "serial://{work / "counterbus"}"\n'
                              'counters = { 1 = 1 }\n')
            with (work / "agent.log").open("wb") as log:
                agent = subprocess.Popen([PYTHON, "-m", "server.cli", "agent", "--config", str(config)],
                                         env={**env, "ONEWINDOW_LOG_LEVEL": "warning"}, stdout=log,
                                         stderr=subprocess.STDOUT)
            try:
                samples, rounds, printed = await exercise(base, kiosk, agent.pid, idcard, printer, bus,
                                                          duration, interval)
            finally:
                stop(agent)
                for emulator in (idcard, printer, bus):
                    emulator.stop()
    report(header, samples, rounds, printed, duration, interval)


async def exercise(base: str, kiosk: str, pid: int, idcard: IdCardEmulator, printer: PrinterEmulator,
                   bus: CounterBusEmulator, duration: float, interval: float
                   ) -> tuple[list[tuple[float, int]], int, int]:
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=10) as http:
        login = await http.post("/auth/login", json={"username": "clerk01", "password": DEMO_PASSWORD})
        clerk = {"Authorization": f"Bearer {login.json()['token']}"}
        await http.post("/halls/jinan/counters/1/open", headers=clerk)
        await asyncio.sleep(3)  # the agent connects and opens its devices
        samples: list[tuple[float, int]] = []
        started = time.monotonic()
        next_sample = started
        rounds = 0
        while time.monotonic() - started < duration:
            rounds += 1
            idcard.present(demo_card(20 + rounds % 60, sequence=rounds % 900 + 1))
            await asyncio.sleep(interval * 0.4)
            issued = await http.post("/halls/jinan/tickets", json={"queue": "A"},
                                     headers={"Authorization": f"Bearer {kiosk}"})
            if issued.status_code != 201:
                raise RuntimeError(f"issuing failed: {issued.status_code} {issued.text}")
            idcard.remove()
            if rounds % 3 == 0:
                bus.press(1, CALL)
            await asyncio.sleep(interval * 0.6)
            if time.monotonic() >= next_sample:
                samples.append((time.monotonic() - started, rss_kib(pid)))
                next_sample += max(10.0, duration / 360)
                print(f"{samples[-1][0]:7.0f} s  rss {samples[-1][1] / 1024:6.1f} MiB  rounds {rounds}  "
                      f"printed {len(printer.documents())}", flush=True)
        samples.append((time.monotonic() - started, rss_kib(pid)))
        return samples, rounds, len(printer.documents())


def slope_kib_per_hour(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS against time."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_r = sum(r for _, r in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 0.0 if var == 0 else sum((t - mean_t) * (r - mean_r) for t, r in points) / var * 3600


def report(header: list[str], samples: list[tuple[float, int]], rounds: int, printed: int, duration: float,
           interval: float) -> None:
    settled = [s for s in samples if s[0] >= min(300.0, duration / 4)]
    second_half = [s for s in samples if s[0] >= duration / 2]
    rss = [r for _, r in samples]
    mib = 1024
    lines = [
        "",
        *header,
        "",
        f"{rounds} rounds in {samples[-1][0] / 60:.0f} min (one every {interval:g} s: card placed and read, ticket "
        f"issued and printed, card lifted; a call key press every third round); {printed} tickets printed.",
        "",
        "| agent VmRSS | MiB |",
        "|---|---|",
        f"| after start-up (first sample) | {rss[0] / mib:.1f} |",
        f"| median after the first {min(300.0, duration / 4) / 60:.0f} min | "
        f"{median(r for _, r in settled) / mib:.1f} |",
        f"| maximum | {max(rss) / mib:.1f} |",
        f"| at the end | {rss[-1] / mib:.1f} |",
        f"| growth over the second half (least squares) | {slope_kib_per_hour(second_half) / mib:+.2f} MiB/hour |",
        "",
        f"Samples ({len(samples)}, seconds: MiB): "
        + json.dumps({f"{t:.0f}": round(r / mib, 1) for t, r in samples[:: max(1, len(samples) // 12)]}),
        "",
    ]
    write_doc(DOC, lines, START, END)
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds (default: one hour)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between rounds")
    args = parser.parse_args()
    run(main(args.duration, args.interval))
