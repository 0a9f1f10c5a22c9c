"""Load generator: starts `onewindow serve` (one process) on SQLite and/or PostgreSQL, drives it over
HTTP with a raw asyncio HTTP/1.1 keep-alive client and updates docs/benchmarks.md. Scenarios: (a) light:
one client issuing sequentially; (b) saturation: N connections issuing flat out; (c) mixed: 12 clerks
calling+finishing while kiosks issue; (d) staff: a guide's sign-in token issuing flat out, and the 12
clerks calling+finishing flat out over full queues. Only 127.0.0.1 is targeted; every loop is bounded in time and count.

    .venv/bin/python bench/load.py --backend all --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# `python bench/load.py` puts only bench/ on the path; bench.common needs the root
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DOC,
    MAX_OPS,
    Conn,
    Stats,
    cpu_seconds,
    issuer,
    load_demo,
    loop_name,
    machine_lines,
    postgres_db,
    py_spy,
    run,
    saturate,
    server_env,
    serving,
    sign_in,
    sign_in_as,
    write_doc,
)

QUEUES = ("A", "B", "C", "D", "L", "Z", "V")
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


class Meter:
    """CPU of the server and of this client over one phase, as % of one core."""

    def __init__(self, pid: int) -> None:
        self.pid, self.t0, self.server, self.client = pid, time.perf_counter(), cpu_seconds(pid), time.process_time()

    def put(self, stats: Stats) -> Stats:
        wall = time.perf_counter() - self.t0
        stats.cpu = (f"{100 * (cpu_seconds(self.pid) - self.server) / wall:.0f}% | "
                     f"{100 * (time.process_time() - self.client) / wall:.0f}%")
        return stats


async def clerk(conn: Conn, call: bytes, finish: bytes, deadline: float, calls: Stats, finishes: Stats,
                pause: float = 0.005) -> None:
    for _ in range(MAX_OPS):
        if time.perf_counter() >= deadline:
            break
        status, _ = await conn.send(call, calls.lat)
        if status == 204:
            calls.errors += not pause  # (d) fills the queues first: a dry counter there is a fault
            await asyncio.sleep(pause or 0.005)  # nobody waiting: do not spin
        elif status in (200, 409):  # 409: a ticket is still current, finish it first
            calls.errors += status == 409
            status, _ = await conn.send(finish, finishes.lat)
            finishes.errors += status != 200
        else:
            calls.errors += 1


def profiler(args: argparse.Namespace, pid: int, label: str, phase: str) -> subprocess.Popen[bytes] | None:
    """With --profile DIR: py-spy samples the server for the phase (raw folded stacks, for flamegraphs)."""
    if not args.profile:
        return None
    out = Path(args.profile) / f"{re.sub(r'[^a-z0-9]+', '-', label.split('(')[0].strip().lower())}-{phase}.txt"
    return py_spy(pid, out, args.duration)


async def run_backend(label: str, url: str, env_extra: dict[str, str], args: argparse.Namespace,
                      workdir: Path) -> list[str]:
    env = server_env(url, **env_extra)
    token = load_demo(env, workdir)
    spy: subprocess.Popen[bytes] | None = None
    rows: list[str] = []
    async with serving(env, workdir, label.split()[0]) as (proc, port):
        try:
            await saturate(port, token, 1, 30, QUEUES, 200)  # warm-up: hall loaded, token cached, code paths hot
            print(f"[{label}] pid {proc.pid} port {port}: light, {args.light} issues", flush=True)
            spy, meter = profiler(args, proc.pid, label, "light"), Meter(proc.pid)
            rows.append(meter.put(await saturate(port, token, 1, args.duration * 3, QUEUES, args.light)).row(
                "(a) light: 1 client, sequential issue"))
            if spy is not None:
                spy.wait(timeout=args.duration + 30)
            for conns in args.conns:
                print(f"[{label}] saturation, {conns} connections, {args.duration:.0f} s", flush=True)
                spy, meter = profiler(args, proc.pid, label, f"saturation-{conns}"), Meter(proc.pid)
                stats = meter.put(await saturate(port, token, conns, args.duration, ("A",)))
                rows.append(stats.row(f"(b) saturation: {conns} connections, issue"))
                if spy is not None:
                    spy.wait(timeout=args.duration + 30)
            print(f"[{label}] mixed, 12 counters + {args.kiosks} kiosks, {args.duration:.0f} s", flush=True)
            clerks = [await sign_in(port, n) for n in range(1, 13)]
            spy, meter = profiler(args, proc.pid, label, "mixed"), Meter(proc.pid)
            issues, calls, finishes, t0 = Stats(), Stats(), Stats(), time.perf_counter()
            await asyncio.gather(*(clerk(*c, t0 + args.duration, calls, finishes) for c in clerks),
                                 *(issuer(port, token, t0 + args.duration, issues, QUEUES) for _ in range(args.kiosks)))
            issues.elapsed = calls.elapsed = finishes.elapsed = time.perf_counter() - t0
            rows += [meter.put(issues).row(f"(c) mixed: issue ({args.kiosks} kiosk connections)"),
                     calls.row("(c) mixed: call-next (12 counters)"), finishes.row("(c) mixed: finish (12 counters)")]
            if spy is not None:
                spy.wait(timeout=args.duration + 30)
            rows += await staff(port, proc.pid, token, clerks, args, label)
        finally:
            if spy is not None and spy.poll() is None:
                spy.terminate()
    return [f"\n### {label}\n", "| scenario | requests | ops/s | p50 ms | p99 ms | errors | server CPU | client CPU |",
            "|---|---:|---:|---:|---:|---:|---:|---:|", *rows]


async def staff(port: int, pid: int, kiosk: str, clerks: list[tuple[Conn, bytes, bytes]],
                args: argparse.Namespace, label: str) -> list[str]:
    """(d) The staff paths at full speed: a guide's token (a session from signing in, not a device
    token) issuing like (b), then the 12 counters calling and finishing back to back. The queues are
    filled first (not timed) so that no counter runs dry and sleeps."""
    conns = args.conns[0]
    guide = await sign_in_as(port, "guide")
    print(f"[{label}] staff: guide token, {conns} connections, {args.duration:.0f} s", flush=True)
    spy, meter = profiler(args, pid, label, "staff-issue"), Meter(pid)
    rows = [meter.put(await saturate(port, guide, conns, args.duration, ("A",))).row(
        f"(d) staff: guide's token, {conns} connections, issue")]
    if spy is not None:
        spy.wait(timeout=args.duration + 30)
    await saturate(port, kiosk, 8, 60, QUEUES, int(args.duration * 300))
    print(f"[{label}] staff: 12 counters calling flat out, {args.duration:.0f} s", flush=True)
    fresh = [await Conn.open(port) for _ in clerks]  # uvicorn has closed the clerks' idle keep-alives
    spy, meter = profiler(args, pid, label, "staff-calls"), Meter(pid)
    calls, finishes, t0 = Stats(), Stats(), time.perf_counter()
    await asyncio.gather(*(clerk(conn, call, finish, t0 + args.duration, calls, finishes, pause=0.0)
                           for conn, (_, call, finish) in zip(fresh, clerks, strict=True)))
    if spy is not None:
        spy.wait(timeout=args.duration + 30)
    calls.elapsed = finishes.elapsed = time.perf_counter() - t0
    return [*rows, meter.put(calls).row("(d) staff: call-next (12 counters flat out)"),
            finishes.row("(d) staff: finish (12 counters flat out)")]


def machine(args: argparse.Namespace) -> list[str]:
    return [*machine_lines(__file__, "server: one `onewindow serve` process (uvicorn, 1 worker); "
                                     f"client: raw asyncio HTTP/1.1 keep-alive ({loop_name()}) "
                                     "in one process on the same machine"),
            f"- light: {args.light} issues after 200 warm-up; saturation and mixed: {args.duration:.0f} s each; "
            "the saturation scenario issues into queue A, the mixed one round-robin over all 7 queues",
            "- latency is the client's, from writing the request to reading the whole response; CPU is % of one "
            "core over the phase (server: all its threads, from /proc; client: this process); in (c) "
            "the CPU columns cover all three rows; (d) fills every queue (not timed) before the counters call"]


async def main_async(args: argparse.Namespace) -> None:
    out = machine(args)
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-") as tmp:
        workdir = Path(tmp)
        if args.backend in ("sqlite", "all"):
            for sync in args.sqlite_sync.split(","):
                url = f"sqlite:///{workdir}/ow-{sync.lower()}.db"
                label = f"SQLite {sync.upper()} (ONEWINDOW_SQLITE_SYNCHRONOUS={sync.upper()})"
                out += await run_backend(label, url, {"ONEWINDOW_SQLITE_SYNCHRONOUS": sync.upper()}, args, workdir)
        if args.backend in ("postgresql", "all"):
            with postgres_db() as (url, version):
                out += await run_backend(f"PostgreSQL {version}", url, {}, args, workdir)
    write_doc(Path(args.output), out, START, END)
    print("\n".join(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds for saturation and mixed (max 120)")
    parser.add_argument("--conns", default="32,64", help="saturation connections, comma-separated (max 256)")
    parser.add_argument("--kiosks", type=int, default=8, help="issuing connections in the mixed scenario")
    parser.add_argument("--light", type=int, default=2000, help="sequential issues in the light scenario")
    parser.add_argument("--sqlite-sync", default="FULL,NORMAL", help="comma-separated: NORMAL, FULL, EXTRA")
    parser.add_argument("--output", default=str(DOC), help="markdown file to update (default docs/benchmarks.md)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy record the server during each scenario into DIR")
    args = parser.parse_args()
    args.duration = min(max(args.duration, 1.0), 120.0)
    args.conns = [min(max(int(c), 1), 256) for c in args.conns.split(",")]
    args.light, args.kiosks = min(max(args.light, 1), 100_000), min(max(args.kiosks, 1), 256)
    run(main_async(args))


if __name__ == "__main__":
    main()
