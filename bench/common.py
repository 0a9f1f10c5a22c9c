"""What the load generators share: a lean HTTP/1.1 client, starting and stopping `onewindow serve`
processes, a throwaway PostgreSQL database, /proc readings (CPU, RSS), the machine description and
the marker-based rewriting of docs/benchmarks.md. Only 127.0.0.1 is ever targeted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DOC = ROOT / "docs" / "benchmarks.md"
HOST = "127.0.0.1"
HALL = "/api/v1/halls/jinan"
SECRET = "bench"
MAX_OPS = 1_000_000  # hard cap per worker, beside the deadline
IDLE_CLOSE_S = 4.0  # uvicorn closes a keep-alive connection idle for 5 s: reopen before that, off the clock


# ---------------------------------------------------------------------- HTTP client
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


@dataclass
class Link:
    """A keep-alive connection to one server. ``ready`` opens a fresh one, off the clock, when uvicorn
    may have closed it for idling; ``send`` reopens and resends once if the server closed it anyway."""

    port: int
    conn: Conn | None = None
    used: float = 0.0
    resent: int = 0

    async def ready(self) -> None:
        if self.conn is None or time.monotonic() - self.used > IDLE_CLOSE_S or self.conn.reader.at_eof():
            self.close()
            self.conn = await Conn.open(self.port)
            self.used = time.monotonic()

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        await self.ready()
        assert self.conn is not None
        try:
            answer = await self.conn.send(raw)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.resent += 1
            self.close()
            self.conn = await Conn.open(self.port)
            answer = await self.conn.send(raw)
        self.used = time.monotonic()
        return answer

    def close(self) -> None:
        if self.conn is not None:
            self.conn.writer.close()
            self.conn = None



def request(port: int, path: str, body: object = None, token: str | None = None) -> bytes:
    data = json.dumps(body if body is not None else {}).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{auth}Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def quantiles(values: list[float]) -> tuple[float, float, float] | None:
    """p50, p99 and max, or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], ordered[-1]


@dataclass
class Stats:
    lat: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    cpu: str = " | "  # "server % | client %" of one core during the phase

    def row(self, name: str) -> str:
        ops = f"{len(self.lat) / self.elapsed:,.0f}" if self.elapsed else "-"
        p50, p99, _ = quantiles([x * 1e3 for x in self.lat]) or (float("nan"),) * 3
        return f"| {name} | {len(self.lat):,} | {ops} | {p50:.2f} | {p99:.2f} | {self.errors} | {self.cpu} |"


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
                   count: int = MAX_OPS, stats: Stats | None = None) -> Stats:
    """``conns`` keep-alive connections issuing back to back."""
    stats = stats if stats is not None else Stats()
    t0 = time.perf_counter()
    await asyncio.gather(*(issuer(port, kiosk, t0 + duration, stats, queues, count) for _ in range(conns)))
    stats.elapsed = time.perf_counter() - t0
    return stats


async def sign_in_as(port: int, username: str, conn: Conn | None = None) -> str:
    """A demo user's session token (Argon2, ~0.2 s: before any clock starts)."""
    conn = conn or await Conn.open(port)
    status, body = await conn.send(request(port, "/api/v1/auth/login", {"username": username, "password": "demo1234"}))
    if status != 200:
        raise RuntimeError(f"{username} cannot sign in: {status} {body[:200]!r}")
    return str(json.loads(body)["token"])


async def sign_in(port: int, number: int) -> tuple[Conn, bytes, bytes]:
    """clerkNN signs in and opens counter NN. Returns the connection and the counter's call-next
    and finish requests."""
    conn, path = await Conn.open(port), f"{HALL}/counters/{number}"
    token = await sign_in_as(port, f"clerk{number:02d}", conn)
    status, body = await conn.send(request(port, f"{path}/open", token=token))
    if status != 200:
        raise RuntimeError(f"clerk{number:02d} cannot open counter {number}: {status} {body[:200]!r}")
    return conn, request(port, f"{path}/call-next", token=token), request(port, f"{path}/finish", token=token)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def raise_nofile() -> None:
    """Thousands of sockets: lift the soft limit on open files to the hard one (also a preexec_fn)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def server_env(url: str, **extra: str) -> dict[str, str]:
    """The servers run this tree's code (PYTHONPATH), or that of ONEWINDOW_BENCH_CODE: bench/compare.py
    points it at a git worktree of another commit, so both sides are driven by the same scripts."""
    return {**os.environ, "ONEWINDOW_DEMO": "1", "SECRET_KEY": SECRET, "DATABASE_URL": url,
            "PYTHONPATH": os.environ.get("ONEWINDOW_BENCH_CODE", str(ROOT)),
            "ONEWINDOW_KIOSK_ISSUES_PER_MIN": "0",  # load, not a stuck screen
            "ONEWINDOW_MAX_CONNECTIONS": "1000000", **extra}  # thousands of screens per process (raise_nofile)


def load_demo(env: dict[str, str], workdir: Path, kind: str = "kiosk") -> str:
    """`onewindow demo` into the database of ``env``; returns the device token of that kind."""
    demo = subprocess.run([PYTHON, "-m", "server.cli", "demo"], env=env, cwd=workdir, check=True,
                          capture_output=True, text=True)
    found = re.search(rf"device token {kind}\s+\S+\s+(\S+)", demo.stdout)
    if found is None:
        raise RuntimeError(f"no {kind} token in the demo output:\n{demo.stdout}")
    return found.group(1)


async def wait_ready(port: int, proc: subprocess.Popen[bytes], tries: int = 300,
                     ready: tuple[int, ...] = (200,)) -> None:
    """Until GET {HALL} answers with a status in ``ready`` (a server without that route: 404)."""
    for _ in range(tries):  # 0.1 s apart
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            conn = await Conn.open(port)
            status, _ = await conn.send(f"GET {HALL} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
            conn.writer.close()
            if status in ready:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not answer on port {port} within {tries / 10:.0f} s")


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], workdir: Path, name: str) -> AsyncIterator[tuple[subprocess.Popen[bytes], int]]:
    """One `onewindow serve` process on a free port, its output in ``workdir/server-NAME.log``;
    stopped with SIGINT (as Ctrl-C would) on the way out."""
    port = free_port()
    with (workdir / f"server-{name}.log").open("wb") as log:
        proc = subprocess.Popen([PYTHON, "-m", "server.cli", "serve", "--host", HOST, "--port", str(port)],
                                env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
        try:
            await wait_ready(port, proc)
            yield proc, port
        finally:
            if proc.poll() is not None:  # it did not wait for us: say why, the log goes with the work dir
                tail = (workdir / f"server-{name}.log").read_text(errors="replace").splitlines()[-20:]
                print(f"server {name} exited by itself with {proc.returncode}:", *tail, sep="\n  ", flush=True)
            stop(proc)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def postgres_db(tag: str = "") -> Iterator[tuple[str, str]]:
    """A fresh database for the run, dropped after: (URL, server version)."""
    name = f"onewindow_bench_{os.getpid()}{tag and '_' + tag}"
    psql = ["psql", "-h", HOST, "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qtAc"]
    subprocess.run([*psql, f"create database {name}"], check=True)
    try:
        version = subprocess.run([*psql, "show server_version"], capture_output=True, text=True).stdout.strip()
        yield f"postgresql://postgres@{HOST}:5432/{name}", version
    finally:
        subprocess.run([*psql, f"drop database if exists {name} with (force)"], check=False)


def py_spy(pid: int, out: Path, duration: float, rate: int = 250) -> subprocess.Popen[bytes]:
    """py-spy samples ``pid`` for ``duration`` seconds into ``out`` as raw folded stacks (for flamegraphs)."""
    exe = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--format", "raw", "-r", str(rate), "--nonblocking",
                             "--threads", "-d", str(int(duration)), "-o", str(out)], stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------------- /proc
def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time the whole machine has spent in user and system mode since boot (all cores; irq and
    softirq left out: loopback traffic books the receiver's work there)."""
    user, nice, system = (int(v) for v in Path("/proc/stat").read_text().split()[1:4])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    return tree


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and its descendants, in KiB."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            match = re.search(r"VmRSS:\s*(\d+)", Path(f"/proc/{member}/status").read_text())
            total += int(match.group(1)) if match else 0
    return total


# ---------------------------------------------------------------------- report
def machine_lines(script: str, setup: str) -> list[str]:
    """Date, machine, Python with ``setup`` (what ran where) and the exact command: the first lines
    of every results block."""
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    env = [f"{k}={shlex.quote(v)}" for k, v in sorted(os.environ.items()) if k.startswith("ONEWINDOW_")]
    argv = [os.path.relpath(sys.executable, ROOT), os.path.relpath(script, ROOT), *sys.argv[1:]]
    return [f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {cpu.group(1).strip() if cpu else platform.processor()}, {os.cpu_count()} cores, "
            f"{platform.system()} {platform.release()}; 1-minute load average at the start "
            f"{os.getloadavg()[0]:.2f} (anything else running skews the figures)",
            f"- Python {platform.python_version()}; {setup}",
            f"- server code: {revision()}",
            f"- command: `{' '.join([*env, shlex.join(argv)])}`"]


def revision() -> str:
    """The commit measured, and the files of server/ that differ from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    changed = subprocess.run([*git, "status", "--porcelain", "--", "server"], capture_output=True,
                             text=True).stdout.split("\n")
    changed = [line[3:] for line in changed if line.strip()]
    return f"commit {head or '?'}" + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")


def write_doc(doc: Path, lines: list[str], start: str, end: str) -> None:
    """Replace the results between the markers ``start`` and ``end`` (appended at the end of the
    file the first time); the hand-written text around them stays."""
    block = "\n".join([start, *lines, end])
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n" + start + "\n" + end + "\n"
    head, found, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(head + block + tail if found else text.rstrip("\n") + "\n\n" + block + "\n")


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop (the server's event loop too, through uvicorn[standard]) when it is installed."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main)


def loop_name() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]
