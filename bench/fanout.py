"""Live fan-out benchmark: how long a call takes to reach the LAST of D wall displays.

Starts real `onewindow serve` processes, connects D display sockets (/ws/halls/jinan/display) from
separate client processes, has clerk01 call tickets at counter 1 one at a time, and measures for
each call the time from writing the call-next request to the moment the last display has the
`ticket.called` event. Scenarios, each at D = 100, 1,000, 2,000 and 5,000 displays:

(a) one server, embedded mode (SQLite, in-process bus);
(b) the same while a separate process issues tickets flat out over keep-alive connections;
(c) two servers sharing one PostgreSQL database and Redis, the displays split between them, the
    calls made through the first;
(d) server memory per idle display connection (RSS, measured in (a)).

Every run gets a fresh database and fresh server processes; the results go between the
`bench:fanout` markers of docs/benchmarks.md. Only 127.0.0.1 is targeted.

    .venv/bin/python bench/fanout.py                 # everything, about 10 minutes
    .venv/bin/python bench/fanout.py --quick         # D = 100 and 1,000, fewer calls
    .venv/bin/python bench/fanout.py --scenarios a --displays 2000 --profile /tmp/prof --output /tmp/x.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

# `python bench/fanout.py` puts only bench/ on the path; bench.common needs the root
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DOC,
    HOST,
    PYTHON,
    Link,
    Stats,
    busy_seconds,
    cpu_seconds,
    load_demo,
    loop_name,
    machine_lines,
    postgres_db,
    py_spy,
    raise_nofile,
    rss_kib,
    run,
    saturate,
    server_env,
    serving,
    sign_in,
    stop,
    write_doc,
)

START, END = "<!-- bench:fanout:start -->", "<!-- bench:fanout:end -->"
DISPLAY = "/ws/halls/jinan/display"
COUNTER = 1  # clerk01's counter; it serves queue A
WAIT_S = 10.0  # longest wait for one event to reach every display before it counts as missed
SETTLE_S = 2.0  # after connecting, before the idle RSS reading
WATCHED = (b'"ticket.called"', b'"ticket.done"')


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    servers: int = 1
    issuing: bool = False
    postgres: bool = False


SCENARIOS = {s.key: s for s in (
    Scenario("a", "(a) 1 server, SQLite"),
    Scenario("b", "(b) 1 server, SQLite, issuing flat out", issuing=True),
    Scenario("c", "(c) 2 servers, PostgreSQL + Redis", servers=2, postgres=True),
)}


# ---------------------------------------------------------------------- child: display sockets
def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Tally:
    """When the watched events reached this process's sockets: per event, [sockets, first, last]."""

    def __init__(self) -> None:
        self.seen: dict[str, list[float]] = {}
        self.expected = 0  # sockets open: an event all of them have is reported at once
        self.closed = 0

    def note(self, data: bytes) -> None:
        if not any(word in data[:40] for word in WATCHED):
            return
        now = time.monotonic()
        message = orjson.loads(data)
        key = f"{message['type']} {message['ticket']['id']}"
        entry = self.seen.get(key)
        if entry is None:
            entry = self.seen[key] = [0, now, now]
        entry[0] += 1
        entry[2] = now
        if entry[0] == self.expected:
            emit({"done": key})


def check_snapshot(data: bytes) -> None:
    first = orjson.loads(data)
    if first.get("type") != "snapshot" or not isinstance(first.get("seq"), int):
        raise RuntimeError(f"the first message is not a snapshot: {str(first)[:200]}")


async def websockets_display(url: str, tally: Tally) -> Callable[[], None]:
    """A display on the `websockets` asyncio client; returns how to drop it."""
    ws = await connect(url, compression=None, ping_interval=None, max_size=None, open_timeout=60)
    check_snapshot(await ws.recv(decode=False))

    async def follow() -> None:
        try:
            while True:
                tally.note(await ws.recv(decode=False))
        except ConnectionClosed:
            tally.closed += 1

    READERS.add(asyncio.create_task(follow()))
    return ws.transport.abort


class RawDisplay(asyncio.Protocol):
    """A display with no WebSocket library: the handshake by hand, server frames (never masked,
    never fragmented by our server) parsed in place, pings answered. Costs a fraction of the
    `websockets` client per message, so the figures show more of the server and less of the clients."""

    def __init__(self, tally: Tally, request: bytes) -> None:
        self.tally, self.request, self.buffer = tally, request, b""
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # create_connection's: a stream transport
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data
        if not self.upgraded:
            head, sep, buf = buf.partition(b"\r\n\r\n")
            if not sep:
                self.buffer = head
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(RuntimeError(f"no upgrade: {head[:200]!r}"))
                return
            self.upgraded = True
        pos, end = 0, len(buf)
        while end - pos >= 2:
            opcode, size, start = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, pos + 2
            if size >= 126:
                start += 2 if size == 126 else 8
                size = int.from_bytes(buf[pos + 2:start], "big")
            if start + size > end:
                break
            pos = start + size
            self.frame(opcode, buf[start:pos])
        self.buffer = buf[pos:]

    def frame(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        if opcode == 1 and self.opened.done():
            self.tally.note(payload)
        elif opcode == 1:
            try:
                check_snapshot(payload)
                self.opened.set_result(None)
            except Exception as exc:
                self.opened.set_exception(exc)
        elif opcode == 9:  # ping: a pong, masked with a zero key
            self.transport.write(bytes((0x8A, 0x80 | len(payload))) + bytes(4) + payload)
        elif opcode == 8:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.tally.closed += 1
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the snapshot"))


async def raw_display(url: str, tally: Tally) -> Callable[[], None]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    request = (f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode()
    transport, display = await asyncio.get_running_loop().create_connection(
        lambda: RawDisplay(tally, request), parts.hostname, parts.port)
    await asyncio.wait_for(display.opened, 60)
    return transport.abort


CLIENTS = {"websockets": websockets_display, "raw": raw_display}
READERS: set[asyncio.Task[None]] = set()


async def displays_role(url: str, count: int, batch: int, client: str) -> None:
    """Hold ``count`` display sockets; report on stdin's "report", leave at end of input."""
    raise_nofile()
    tally, opener = Tally(), CLIENTS[client]
    opened: list[Callable[[], None] | BaseException] = []
    for start in range(0, count, batch):  # gradually: the server's accept backlog is finite
        size = min(batch, count - start)
        opened += await asyncio.gather(*(opener(url, tally) for _ in range(size)), return_exceptions=True)
    drops = [drop for drop in opened if not isinstance(drop, BaseException)]
    errors = [repr(e) for e in opened if isinstance(e, BaseException)]
    tally.expected = len(drops)
    emit({"connected": len(drops), "failed": len(errors), "error": errors[0] if errors else None})
    stdin = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while line := await stdin.readline():
        if line.strip() == b"report":
            emit({"report": tally.seen, "closed": tally.closed})
    for drop in drops:
        drop()  # the end of the run: no closing handshakes for thousands of sockets


# ---------------------------------------------------------------------- child: issuing load
async def issue_role(port: int, token: str, conns: int) -> None:
    """Issue into queue A flat out; on each stdin line print how many so far; stop at end of input."""
    stats = Stats()
    load = asyncio.create_task(saturate(port, token, conns, 3600, ("A",), stats=stats))
    stdin = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while await stdin.readline():
        emit({"issued": len(stats.lat), "errors": stats.errors, "at": time.monotonic()})
    load.cancel()


# ---------------------------------------------------------------------- parent
async def child(role: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        PYTHON, __file__, "--role", role, *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        limit=1 << 24, preexec_fn=raise_nofile)


async def ask(proc: asyncio.subprocess.Process, line: bytes = b"\n") -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line)
    return dict(json.loads(await proc.stdout.readline()))


async def end(proc: asyncio.subprocess.Process) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()


class Fleet:
    """The display client processes of one run, and what they say."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []
        self.done: defaultdict[str, int] = defaultdict(int)
        self.changed = asyncio.Event()
        self.reports: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.listeners: list[asyncio.Task[None]] = []

    @classmethod
    @contextlib.asynccontextmanager
    async def connected(cls, urls: list[str], count: int, procs: int, batch: int,
                        client: str) -> AsyncIterator[Fleet]:
        """``count`` displays from ``procs`` processes, process i on ``urls[i % len(urls)]``."""
        fleet = cls()
        try:
            shares = [count // procs + (i < count % procs) for i in range(procs)]
            for i, share in enumerate(s for s in shares if s):
                fleet.procs.append(await child("displays", "--url", urls[i % len(urls)], "--count", str(share),
                                               "--batch", str(max(1, batch // procs)), "--client", client))
            hello = [await p.stdout.readline() for p in fleet.procs if p.stdout is not None]
            exited = {"connected": 0, "failed": 1, "error": "exited"}
            said: list[dict[str, Any]] = [json.loads(line) if line else exited for line in hello]
            failed = sum(s["failed"] for s in said)
            if failed:
                raise RuntimeError(f"{failed} of {count} displays could not connect: {said}")
            fleet.listeners = [asyncio.create_task(fleet._listen(p)) for p in fleet.procs]
            yield fleet
        finally:
            for task in fleet.listeners:
                task.cancel()
            await asyncio.gather(*(end(p) for p in fleet.procs))

    async def _listen(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            message = json.loads(line)
            if "done" in message:
                self.done[message["done"]] += 1
                self.changed.set()
            else:
                self.reports.put_nowait(message)

    async def wait(self, key: str, timeout: float = WAIT_S) -> bool:
        """Until every process says all its displays have the event ``key``; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while self.done[key] < len(self.procs):
                    self.changed.clear()
                    await self.changed.wait()
            return True
        except TimeoutError:
            print(f"  {key}: {self.done[key]} of {len(self.procs)} display processes had it after "
                  f"{timeout:.0f} s", flush=True)
            return False

    async def report(self) -> tuple[dict[str, list[float]], int]:
        """Per watched event: [displays that got it, first arrival, last arrival]; and sockets closed."""
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(b"report\n")
        merged: dict[str, list[float]] = {}
        closed = 0
        for _ in self.procs:
            message = await asyncio.wait_for(self.reports.get(), 60)
            closed += message["closed"]
            for key, (count, first, last) in message["report"].items():
                entry = merged.setdefault(key, [0, first, last])
                entry[0] += count
                entry[1], entry[2] = min(entry[1], first), max(entry[2], last)
        return merged, closed

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)


@dataclass
class Point:
    """The figures for one scenario at one D."""

    scenario: Scenario
    displays: int
    latency: list[float] = field(default_factory=list)  # ms, send → last display
    first: list[float] = field(default_factory=list)  # ms, send → first display
    response: list[float] = field(default_factory=list)  # ms, send → call-next response read
    misses: int = 0
    errors: int = 0
    server_cpu: float = 0.0  # % of one core, all server processes
    client_cpu: float = 0.0  # % of one core, all display processes
    other_cpu: float = 0.0  # % of one core, every process on the machine outside this benchmark
    issues: float | None = None  # tickets issued per second by the load process, (b) only
    rss: tuple[int, int] | None = None  # KiB before connecting and with the displays connected, idle

    def row(self) -> str:
        lat = sorted(self.latency)
        if not lat:
            return (f"| {self.scenario.label} | {self.displays:,} | 0 | - | - | - | - | - | "
                    f"{self.misses} | - | - | - | - |")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        issues = f"{self.issues:,.0f}" if self.issues is not None else "-"
        return (f"| {self.scenario.label} | {self.displays:,} | {len(lat)} | {statistics.median(lat):.1f} | "
                f"{p99:.1f} | {lat[-1]:.1f} | {statistics.median(self.first):.1f} | "
                f"{statistics.median(self.response):.1f} | {self.misses} | {self.server_cpu:.0f}% | "
                f"{self.client_cpu:.0f}% | {self.other_cpu:.0f}% | {issues} |")


async def one_display(port: int) -> None:
    """Warm the server's display path (the hall's fan-out starts with its first socket)."""
    async with connect(f"ws://{HOST}:{port}{DISPLAY}", compression=None) as ws:
        await ws.recv()


@dataclass
class Clerk:
    """clerk01 at counter 1 over one keep-alive connection, opened again if the server closed it."""

    link: Link
    call: bytes
    finish: bytes

    @classmethod
    async def sign_in(cls, port: int) -> Clerk:
        conn, call, finish = await sign_in(port, COUNTER)
        return cls(Link(port, conn, time.monotonic()), call, finish)


async def calls(clerk: Clerk, fleet: Fleet, point: Point, n: int, gap: tuple[float, float],
                rng: random.Random) -> dict[str, float]:
    """``n`` measured calls; returns each called ticket's send time. The previous ticket is
    finished first (call-next refuses while one is current) and that finish is not timed; every
    event is let reach every display before the next request, so each call is measured alone."""
    sent: dict[str, float] = {}
    for _ in range(n):
        status, body = await clerk.link.send(clerk.finish)
        if status == 200:
            await fleet.wait(f"ticket.done {json.loads(body)['id']}")
        await asyncio.sleep(rng.uniform(*gap))
        await clerk.link.ready()  # before the clock starts
        t0 = time.monotonic()
        status, body = await clerk.link.send(clerk.call)
        point.response.append((time.monotonic() - t0) * 1e3)
        if status != 200:
            point.errors += 1
            continue
        ticket = json.loads(body)["id"]
        sent[ticket] = t0
        await fleet.wait(f"ticket.called {ticket}")
    return sent


def tally(point: Point, sent: dict[str, float], seen: dict[str, list[float]]) -> None:
    for ticket, t0 in sent.items():
        count, first, last = seen.get(f"ticket.called {ticket}", (0, 0.0, 0.0))
        point.misses += point.displays - int(count)
        if count:
            point.latency.append((last - t0) * 1e3)
            point.first.append((first - t0) * 1e3)


@dataclass
class Servers:
    """The server processes of one run: (process, port) each; calls go through the first."""

    procs: list[tuple[subprocess.Popen[bytes], int]]
    kiosk: str
    issued: str  # the displays' ?issued= (counts: as the wall pages connect; events: every ticket a frame)

    @property
    def port(self) -> int:
        return self.procs[0][1]

    def urls(self) -> list[str]:
        return [f"ws://{HOST}:{port}{DISPLAY}?issued={self.issued}" for _, port in self.procs]

    def cpu(self) -> float:
        return sum(cpu_seconds(proc.pid) for proc, _ in self.procs)

    def rss(self) -> int:
        return sum(rss_kib(proc.pid) for proc, _ in self.procs)


@contextlib.asynccontextmanager
async def started(scenario: Scenario, displays: int, args: argparse.Namespace, workdir: Path) -> AsyncIterator[Servers]:
    """Fresh database, demo hall, the scenario's servers, queue A filled, the display path warm."""
    async with contextlib.AsyncExitStack() as stack:
        extra = {"ONEWINDOW_LOG_LEVEL": "warning"}
        if scenario.postgres:
            url, _ = stack.enter_context(postgres_db(f"{scenario.key}{displays}"))
            extra["REDIS_URL"] = args.redis
        else:
            url = f"sqlite:///{workdir}/{scenario.key}-{displays}.db"
        env = server_env(url, **extra)
        servers = Servers([], load_demo(env, workdir), args.issued)
        for i in range(scenario.servers):
            servers.procs.append(
                await stack.enter_async_context(serving(env, workdir, f"{scenario.key}-{displays}-{i}")))
        await saturate(servers.port, servers.kiosk, 4, 120, ("A",), count=args.calls // 4 + 10)
        for _, port in servers.procs:
            await one_display(port)
        await saturate(servers.port, servers.kiosk, 1, 10, ("A",), count=5)  # events through a warm fan-out
        await asyncio.sleep(0.5)
        yield servers


async def measure(scenario: Scenario, displays: int, args: argparse.Namespace, workdir: Path) -> Point:
    point = Point(scenario, displays)
    async with started(scenario, displays, args, workdir) as servers:
        before, t0 = servers.rss(), time.monotonic()
        async with Fleet.connected(servers.urls(), displays, args.procs, args.batch, args.client) as fleet:
            print(f"[{scenario.key} D={displays}] connected in {time.monotonic() - t0:.1f} s", flush=True)
            await asyncio.sleep(SETTLE_S)
            point.rss = before, servers.rss()
            sent = await phase(scenario, servers, fleet, point, args)
            seen, closed = await fleet.report()
            tally(point, sent, seen)
            if closed:
                print(f"[{scenario.key} D={displays}] {closed} display sockets were closed", flush=True)
    print(point.row(), flush=True)
    return point


class Meter:
    """CPU over the calls, % of one core: the servers, the display clients, and whatever else ran on
    the machine meanwhile (the rest of this benchmark, ``ours``, left out)."""

    def __init__(self, servers: Servers, fleet: Fleet, ours: list[int]) -> None:
        self.servers, self.fleet, self.ours = servers, fleet, ours
        self.t0, self.start = time.monotonic(), self.read()

    def read(self) -> tuple[float, float, float, float]:
        return (self.servers.cpu(), self.fleet.cpu(), sum(cpu_seconds(pid) for pid in self.ours),
                busy_seconds())

    def put(self, point: Point) -> None:
        wall = time.monotonic() - self.t0
        server, client, ours, machine = (b - a for a, b in zip(self.start, self.read(), strict=True))
        point.server_cpu, point.client_cpu = 100 * server / wall, 100 * client / wall
        point.other_cpu = max(0.0, 100 * (machine - server - client - ours) / wall)


async def phase(scenario: Scenario, servers: Servers, fleet: Fleet, point: Point,
                args: argparse.Namespace) -> dict[str, float]:
    """The measured calls, with the issuing load of (b) and py-spy if asked; CPU over the calls."""
    async with contextlib.AsyncExitStack() as stack:
        load = issued = None
        if scenario.issuing:
            load = await child("issue", "--port", str(servers.port), "--token", servers.kiosk,
                               "--conns", str(args.issuers))
            stack.push_async_callback(end, load)
            await asyncio.sleep(2.0)  # at full speed before the first call
            issued = await ask(load)
        if args.profile and scenario.key in "ab" and point.displays in args.profile_at:
            out = Path(args.profile) / f"fanout-{scenario.key}-{point.displays}.txt"
            stack.callback(stop, py_spy(servers.procs[0][0].pid, out, 3600, rate=args.profile_rate),
                           signal.SIGINT, 60)
        clerk = await Clerk.sign_in(servers.port)  # only now: uvicorn closes a keep-alive connection idle for 5 s
        stack.callback(clerk.link.close)
        meter = Meter(servers, fleet, [os.getpid(), *([load.pid] if load is not None else [])])
        calls_made = max(1, args.calls // 4) if scenario.issuing else args.calls  # (b) is slow: keep the run short
        sent = await calls(clerk, fleet, point, calls_made, args.gap, random.Random(point.displays))
        meter.put(point)
        if load is not None and issued is not None:
            now = await ask(load)
            point.issues = (now["issued"] - issued["issued"]) / (now["at"] - issued["at"])
    return sent


def machine(args: argparse.Namespace) -> list[str]:
    client = ("the `websockets` asyncio client (no compression)" if args.client == "websockets"
              else "a minimal asyncio frame parser (`--client raw`)")
    gap = f"{args.gap[0] * 1e3:.0f}–{args.gap[1] * 1e3:.0f} ms"
    return [*machine_lines(__file__, f"servers: `onewindow serve` processes (uvicorn, 1 worker each, {loop_name()}); "
                                     f"displays: {args.procs} processes of {client}; all on the same 2 cores"),
            f"- calls at counter 1 ({args.calls} per row, a quarter of that in (b)), each {gap} "
            "after the previous event "
            "reached every display; latency is from writing call-next to the last display reading `ticket.called`",
            f"- displays connect with `?issued={args.issued}`"
            + (" (as the wall pages do: issued tickets arrive as `queue.counts`, at most twice a second)"
               if args.issued == "counts" else " (every issued ticket a frame of its own)"),
            f"- (b): a separate process issues into queue A flat out over {args.issuers} keep-alive connections; "
            "CPU columns are % of one core over the calls (server: all processes and threads; other: "
            "everything on the machine outside this benchmark, which skews the row)"]


def report(points: list[Point]) -> list[str]:
    lines = ["", "| scenario | displays | calls | median ms | p99 ms | max ms | first display median ms | "
             "call-next response median ms | misses | server CPU | display clients CPU | other CPU | issues/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", *(p.row() for p in points)]
    memory = [p for p in points if p.scenario.key == "a" and p.rss is not None]
    if memory:
        lines += ["", "Server memory per idle display connection ((a): RSS of the server process, "
                  f"{SETTLE_S:.0f} s after the last display connected):", "",
                  "| displays | RSS before MiB | RSS with displays MiB | KiB per connection |",
                  "|---:|---:|---:|---:|"]
        for p in memory:
            assert p.rss is not None
            lines.append(f"| {p.displays:,} | {p.rss[0] / 1024:.1f} | {p.rss[1] / 1024:.1f} | "
                         f"{(p.rss[1] - p.rss[0]) / p.displays:.1f} |")
    return lines


async def main_async(args: argparse.Namespace) -> None:
    raise_nofile()
    lines = machine(args)  # the load average before anything of ours runs
    points: list[Point] = []
    with tempfile.TemporaryDirectory(prefix="onewindow-fanout-") as tmp:
        for key in args.scenarios:
            for displays in args.displays:
                points.append(await measure(SCENARIOS[key], displays, args, Path(tmp)))
    lines += report(points)
    write_doc(Path(args.output), lines, START, END)
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="D = 100 and 1,000 only, 50 calls each")
    parser.add_argument("--scenarios", default="abc", help="which of a, b, c (default all)")
    parser.add_argument("--displays", default="100,1000,2000,5000", help="values of D, comma-separated (max 10,000)")
    parser.add_argument("--calls", type=int, default=200, help="measured calls per scenario and D")
    parser.add_argument("--gap", default="50,100", help="ms between one event reaching every display and the next call")
    parser.add_argument("--procs", type=int, default=4, help="display client processes")
    parser.add_argument("--client", choices=tuple(CLIENTS), default="websockets",
                        help="display client: the websockets library, or a minimal frame parser (raw)")
    parser.add_argument("--batch", type=int, default=200, help="displays connecting at once, over all processes")
    parser.add_argument("--issuers", type=int, default=8, help="(b): issuing keep-alive connections")
    parser.add_argument("--issued", choices=("counts", "events"), default="counts",
                        help="the displays' ?issued=: counts (as the wall pages connect) or events (every ticket)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="(c): Redis URL")
    parser.add_argument("--output", default=str(DOC), help="markdown file to update (default docs/benchmarks.md)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the server of (a) and (b) during the calls into DIR")
    parser.add_argument("--profile-at", default="2000", help="values of D to profile, comma-separated")
    parser.add_argument("--profile-rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--role", choices=("displays", "issue"), help=argparse.SUPPRESS)
    for name in ("--url", "--token"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    for name in ("--count", "--port", "--conns"):
        parser.add_argument(name, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "displays":
        return run(displays_role(args.url, args.count, args.batch, args.client))
    if args.role == "issue":
        return run(issue_role(args.port, args.token, args.conns))
    if args.quick:
        args.displays, args.calls = "100,1000", min(args.calls, 50)
    args.scenarios = [k for k in args.scenarios if k in SCENARIOS]
    args.displays = [min(max(int(d), 1), 10_000) for d in args.displays.split(",")]
    args.profile_at = [int(d) for d in args.profile_at.split(",")]
    args.calls = min(max(args.calls, 1), 5000)
    low, high = (float(ms) / 1e3 for ms in args.gap.split(","))
    args.gap = (low, max(low, high))
    args.procs, args.batch = min(max(args.procs, 1), 64), max(args.batch, 1)
    run(main_async(args))


if __name__ == "__main__":
    main()
