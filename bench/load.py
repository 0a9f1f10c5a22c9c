"""Load generator: starts `onewindow serve` (one process) on SQLite and/or PostgreSQL, drives it over
HTTP with a raw asyncio HTTP/1.1 keep-alive client and updates docs/benchmarks.md. Scenarios: (a) light:
one client issuing sequentially; (b) saturation: N connections issuing flat out; (c) mixed: 12 clerks
calling+finishing while kiosks issue. Only 127.0.0.1 is targeted; every loop is bounded in time and count.

    .venv/bin/python bench/load.py --backend all --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / ".venv" / "bin" / "onewindow")
DOC = ROOT / "docs" / "benchmarks.md"
HOST = "127.0.0.1"
HALL = "/api/v1/halls/jinan"
QUEUES = ("A", "B", "C", "D", "L", "Z", "V")
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
MAX_OPS = 1_000_000  # hard cap per worker, beside the deadline


@dataclass
class Conn:
    """One keep-alive HTTP/1.1 connection: pre-built request bytes in, (status, body) out."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @classmethod
    async def open(cls, port: int) -> Conn:
        return cls(*await asyncio.open_connection(HOST, port))

    async def send(self, raw: bytes, lat: list[float] | None = None) -> tuple[int, bytes]:
        t0 = time.perf_counter()
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        match = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
        body = await self.reader.readexactly(int(match.group(1))) if match else b""
        if lat is not None:
            lat.append(time.perf_counter() - t0)
        return int(head[9:12]), body


def request(port: int, path: str, body: object = None, token: str | None = None) -> bytes:
    data = json.dumps(body if body is not None else {}).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{auth}Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Stats:
    lat: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    cpu: str = " | "  # "server % | client %" of one core during the phase

    def row(self, name: str) -> str:
        lat = sorted(self.lat)
        ops = f"{len(lat) / self.elapsed:,.0f}" if self.elapsed else "-"
        p50 = lat[len(lat) // 2] * 1e3 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3 if lat else float("nan")
        return f"| {name} | {len(lat):,} | {ops} | {p50:.2f} | {p99:.2f} | {self.errors} | {self.cpu} |"


class Meter:
    """CPU of the server and of this client over one phase, as % of one core."""

    def __init__(self, pid: int) -> None:
        self.pid, self.t0, self.server, self.client = pid, time.perf_counter(), cpu_seconds(pid), time.process_time()

    def put(self, stats: Stats) -> Stats:
        wall = time.perf_counter() - self.t0
        stats.cpu = (f"{100 * (cpu_seconds(self.pid) - self.server) / wall:.0f}% | "
                     f"{100 * (time.process_time() - self.client) / wall:.0f}%")
        return stats


async def issuer(port: int, kiosk: str, deadline: float, stats: Stats, queues: tuple[str, ...],
                 count: int = MAX_OPS) -> None:
    conn = await Conn.open(port)
    raws = [request(port, f"{HALL}/tickets", {"queue": q}, kiosk) for q in queues]
    for i in range(count):
        if time.perf_counter() >= deadline:
            break
        status, _ = await conn.send(raws[i % len(raws)], stats.lat)
        stats.errors += status != 201
    conn.writer.close()


async def saturate(port: int, kiosk: str, conns: int, duration: float, queues: tuple[str, ...],
                   count: int = MAX_OPS) -> Stats:
    """``conns`` keep-alive connections issuing back to back; (a) light is one connection."""
    stats = Stats()
    t0 = time.perf_counter()
    await asyncio.gather(*(issuer(port, kiosk, t0 + duration, stats, queues, count) for _ in range(conns)))
    stats.elapsed = time.perf_counter() - t0
    return stats


async def sign_in(port: int, number: int) -> tuple[Conn, bytes, bytes]:
    """clerkNN signs in and opens counter NN (before the clock starts: sign-in is Argon2, ~0.2 s)."""
    conn, path = await Conn.open(port), f"{HALL}/counters/{number}"
    login = {"username": f"clerk{number:02d}", "password": "demo1234"}
    status, body = await conn.send(request(port, "/api/v1/auth/login", login))
    token = json.loads(body)["token"] if status == 200 else ""
    if token:
        status, body = await conn.send(request(port, f"{path}/open", token=token))
    if status != 200:
        raise RuntimeError(f"clerk{number:02d} cannot open counter {number}: {status} {body[:200]!r}")
    return conn, request(port, f"{path}/call-next", token=token), request(port, f"{path}/finish", token=token)


async def clerk(conn: Conn, call: bytes, finish: bytes, deadline: float, calls: Stats, finishes: Stats) -> None:
    for _ in range(MAX_OPS):
        if time.perf_counter() >= deadline:
            break
        status, _ = await conn.send(call, calls.lat)
        if status == 204:
            await asyncio.sleep(0.005)  # nobody waiting: do not spin
        elif status in (200, 409):  # 409: a ticket is still current, finish it first
            calls.errors += status == 409
            status, _ = await conn.send(finish, finishes.lat)
            finishes.errors += status != 200
        else:
            calls.errors += 1
    conn.writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def wait_ready(port: int, proc: subprocess.Popen[bytes], tries: int = 300) -> None:
    for _ in range(tries):  # 0.1 s apart
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            conn = await Conn.open(port)
            status, _ = await conn.send(f"GET {HALL} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
            conn.writer.close()
            if status == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not answer on port {port} within {tries / 10:.0f} s")


@contextlib.contextmanager
def postgres_db() -> Iterator[tuple[str, str]]:
    """A fresh database for the run, dropped after: (URL, server version)."""
    name = f"onewindow_bench_{os.getpid()}"
    psql = ["psql", "-h", HOST, "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qtAc"]
    subprocess.run([*psql, f"create database {name}"], check=True)
    try:
        version = subprocess.run([*psql, "show server_version"], capture_output=True, text=True).stdout.strip()
        yield f"postgresql://postgres@{HOST}:5432/{name}", version
    finally:
        subprocess.run([*psql, f"drop database if exists {name} with (force)"], check=False)


def profiler(args: argparse.Namespace, pid: int, label: str, phase: str) -> subprocess.Popen[bytes] | None:
    """With --profile DIR: py-spy samples the server for the phase (raw folded stacks, for flamegraphs)."""
    if not args.profile:
        return None
    exe = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    out = Path(args.profile) / f"{re.sub(r'[^a-z0-9]+', '-', label.split('(')[0].strip().lower())}-{phase}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--format", "raw", "-r", "250", "--nonblocking",
                             "--threads", "-d", str(int(args.duration)), "-o", str(out)], stdout=subprocess.DEVNULL)


async def run_backend(label: str, url: str, env_extra: dict[str, str], args: argparse.Namespace,
                      workdir: Path) -> list[str]:
    env = {**os.environ, "ONEWINDOW_DEMO": "1", "SECRET_KEY": "bench", "DATABASE_URL": url, **env_extra}
    demo = subprocess.run([CLI, "demo"], env=env, cwd=workdir, check=True, capture_output=True, text=True)
    kiosk = re.search(r"device token kiosk\s+\S+\s+(\S+)", demo.stdout)
    if kiosk is None:
        raise RuntimeError(f"no kiosk token in the demo output:\n{demo.stdout}")
    port = free_port()
    log = (workdir / f"server-{label.split()[0]}.log").open("wb")
    proc = subprocess.Popen([CLI, "serve", "--host", HOST, "--port", str(port)], env=env, cwd=workdir,
                            stdout=log, stderr=subprocess.STDOUT)
    spy: subprocess.Popen[bytes] | None = None
    rows: list[str] = []
    try:
        await wait_ready(port, proc)
        token = kiosk.group(1)
        await saturate(port, token, 1, 30, QUEUES, 200)  # warm-up: hall loaded, token cached, code paths hot
        print(f"[{label}] pid {proc.pid} port {port}: light, {args.light} issues", flush=True)
        meter = Meter(proc.pid)
        rows.append(meter.put(await saturate(port, token, 1, args.duration * 3, QUEUES, args.light)).row(
            "(a) light: 1 client, sequential issue"))
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
    finally:
        if spy is not None and spy.poll() is None:
            spy.terminate()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    return [f"\n### {label}\n", "| scenario | requests | ops/s | p50 ms | p99 ms | errors | server CPU | client CPU |",
            "|---|---:|---:|---:|---:|---:|---:|---:|", *rows]


def machine(args: argparse.Namespace) -> list[str]:
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    env = [f"{k}={shlex.quote(v)}" for k, v in sorted(os.environ.items()) if k.startswith("ONEWINDOW_")]
    argv = [os.path.relpath(sys.executable, ROOT), os.path.relpath(__file__, ROOT), *sys.argv[1:]]
    command = " ".join([*env, shlex.join(argv)])
    return [f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {cpu.group(1).strip() if cpu else platform.processor()}, {os.cpu_count()} cores, "
            f"{platform.system()} {platform.release()}; 1-minute load average at the start "
            f"{os.getloadavg()[0]:.2f} (anything else running skews the figures)",
            f"- Python {platform.python_version()}; server: one `onewindow serve` process (uvicorn, 1 worker); "
            f"client: raw asyncio HTTP/1.1 keep-alive ({type(asyncio.get_running_loop()).__module__}) "
            "in one process on the same machine",
            f"- command: `{command}`",
            f"- light: {args.light} issues after 200 warm-up; saturation and mixed: {args.duration:.0f} s each; "
            "the saturation scenario issues into queue A, the mixed one round-robin over all 7 queues",
            "- latency is the client's, from writing the request to reading the whole response; CPU is % of one "
            "core over the phase (server: all its threads, from /proc; client: this process); in (c) "
            "the CPU columns cover all three rows"]


def write_doc(doc: Path, lines: list[str]) -> None:
    """Replace the results between the markers; the hand-written text around them stays."""
    block = "\n".join([START, *lines, END])
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n" + START + "\n" + END + "\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(head + block + tail)


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
    write_doc(Path(args.output), out)
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
    parser.add_argument("--profile", metavar="DIR", help="py-spy record the server during (b) and (c) into DIR")
    args = parser.parse_args()
    args.duration = min(max(args.duration, 1.0), 120.0)
    args.conns = [min(max(int(c), 1), 256) for c in args.conns.split(",")]
    args.light, args.kiosks = min(max(args.light, 1), 100_000), min(max(args.kiosks, 1), 256)
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    with contextlib.suppress(ImportError):
        import uvloop  # the server's event loop too (uvicorn[standard]); optional

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main_async(args))


if __name__ == "__main__":
    main()
