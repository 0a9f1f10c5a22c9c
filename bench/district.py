"""A district's load: one installation with many halls at a busy hour, on two server processes.

Two `onewindow serve` processes share one PostgreSQL database and Redis. The script writes H copies
of the demo hall (`h000`, `h001`, …: 7 queues, 12 counters each) straight into the database before
the servers start, with a kiosk device token per hall and a clerk with a bearer token per counter
used: the admin API that would create halls does not exist yet (a later issue adds `onewindow hall
create`), and signing 400 clerks in over HTTP would only measure Argon2. The demo hall `jinan` is
loaded too, because the servers' readiness check asks for it.

D displays (`/ws/halls/{hall}/display?issued=counts`, as the wall pages connect) are spread evenly
over the halls and held by separate client processes, half on each server. Each hall's kiosk talks
to one server and its clerks to the other, alternating by hall, so every call reaches half of its
hall's walls through Redis. After a warm-up (every display has its snapshot, every counter is open,
every hall has issued a ticket) come two phases:

- idle: the displays connected, no requests: CPU and RSS of each server;
- busy: per hall, tickets arrive as a Poisson process (a mean of 3 s apart) into the queues the open
  counters serve, weighted by counter; each open counter calls next (after a 204: again 1 s later),
  serves 6–14 s and finishes. Measured: issue and call-next latency, and call → last display: from
  writing call-next to the moment the last display of that hall reads the `ticket.called` event.

The aim: issue p99 ≤ 50 ms and call → display p99 ≤ 100 ms. The results go between the
`bench:district` markers of docs/benchmarks.md. Only 127.0.0.1 is targeted; every loop is bounded.

    .venv/bin/python bench/district.py                  # 100 halls, 2,000 displays, 60 s busy (about 1.5 minutes)
    .venv/bin/python bench/district.py --halls 10 --displays 200 --duration 20 --idle 5 --output /tmp/district.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

# `python bench/district.py` puts only bench/ on the path; bench.common needs the root
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DOC,
    HOST,
    MAX_OPS,
    PYTHON,
    Link,
    busy_seconds,
    cpu_seconds,
    loop_name,
    machine_lines,
    postgres_db,
    quantiles,
    raise_nofile,
    request,
    rss_kib,
    run,
    server_env,
    serving,
    write_doc,
)
from bench.fanout import WAIT_S, Fleet, Tally, emit, end, one_display, websockets_display  # noqa: E402
from server.auth import hash_password  # noqa: E402
from server.demo import JINAN, load_demo  # noqa: E402
from server.store import accounts, repo  # noqa: E402
from server.store.db import open_database  # noqa: E402

START, END = "<!-- bench:district:start -->", "<!-- bench:district:end -->"
RETRY_S = 1.0  # a counter that found nobody waiting asks again this much later
SERVE_S = (6.0, 14.0)  # how long a counter serves a called ticket
SETTLE_S = 2.0  # after the warm-up, before the idle phase
SECTION = """## A district (bench/district.py)

`bench/district.py` loads one installation the way a district would at its busy hour: 100 halls
(copies of the demo hall, written straight into a fresh PostgreSQL database because no admin API
creates halls yet) on two `onewindow serve` processes sharing that database and Redis, with 2,000
wall displays (`?issued=counts`, 20 per hall, half on each server) held by 4 client processes. Each
hall's kiosk talks to one server and its clerks to the other. After 15 s idle, for 60 s every hall
gets a ticket every 3 s on average (Poisson) while counters 1–4 call next, serve 6–14 s and finish.
Call → display is from writing call-next to the last of the hall's displays reading
`ticket.called`. The aim: issue p99 ≤ 50 ms, call → display p99 ≤ 100 ms.

```sh
.venv/bin/python bench/district.py                   # 100 halls, 2,000 displays (about 1.5 minutes)
.venv/bin/python bench/district.py --halls 10 --displays 200 --duration 20 --idle 5 --output /tmp/district.md
```
"""


# ---------------------------------------------------------------------- child: display sockets
def wall_url(port: int, hall: str, issued: str) -> str:
    return f"ws://{HOST}:{port}/ws/halls/{hall}/display" + ("?issued=counts" if issued == "counts" else "")


async def walls_role(port: int, shares: dict[str, int], batch: int, issued: str) -> None:
    """Hold ``shares[hall]`` displays of each hall, one Tally per hall (so that a `done` line means
    every display of that hall in this process has the event); report on stdin's "report"."""
    raise_nofile()
    tallies = {hall: Tally() for hall in shares}
    wanted = [hall for hall, count in shares.items() for _ in range(count)]
    results: list[Callable[[], None] | BaseException] = []
    for start in range(0, len(wanted), batch):  # gradually: the servers' accept backlogs are finite
        results += await asyncio.gather(*(websockets_display(wall_url(port, hall, issued), tallies[hall])
                                          for hall in wanted[start:start + batch]), return_exceptions=True)
    for hall, result in zip(wanted, results, strict=True):
        tallies[hall].expected += not isinstance(result, BaseException)
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    emit({"connected": len(results) - len(errors), "failed": len(errors), "error": errors[0] if errors else None})
    stdin = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while line := await stdin.readline():
        if line.strip() == b"report":
            seen = {key: entry for tally in tallies.values() for key, entry in tally.seen.items()}
            emit({"report": seen, "closed": sum(tally.closed for tally in tallies.values())})
    for result in results:
        if not isinstance(result, BaseException):
            result()  # no closing handshakes for thousands of sockets


# ---------------------------------------------------------------------- parent: the walls
class Walls(Fleet):
    """The display client processes: process i on server i % 2, a share of every hall's displays."""

    def __init__(self) -> None:
        super().__init__()
        self.holders: dict[str, int] = {}  # hall → processes holding some of its displays

    @classmethod
    @contextlib.asynccontextmanager
    async def up(cls, ports: list[int], per_hall: dict[str, int], procs: int, batch: int,
                 issued: str) -> AsyncIterator[Walls]:
        walls = cls()
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(walls.close)
            for i in range(procs):
                shares = {hall: share for h, (hall, n) in enumerate(per_hall.items())
                          if (share := n // procs + ((i - h) % procs < n % procs))}
                if shares:
                    await walls.spawn(ports[i % len(ports)], shares, max(1, batch // procs), issued)
            await asyncio.wait_for(walls.hello(), 600)
            yield walls

    async def spawn(self, port: int, shares: dict[str, int], batch: int, issued: str) -> None:
        for hall in shares:
            self.holders[hall] = self.holders.get(hall, 0) + 1
        self.procs.append(await asyncio.create_subprocess_exec(
            PYTHON, __file__, "--role", "walls", "--port", str(port), "--batch", str(batch), "--issued", issued,
            "--shares", ",".join(f"{hall}={n}" for hall, n in shares.items()),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=1 << 24, preexec_fn=raise_nofile))

    async def hello(self) -> None:
        """Every process's first line says how many of its displays have their snapshot."""
        said = [orjson.loads(await p.stdout.readline() or b'{"failed": 1, "error": "exited"}')
                for p in self.procs if p.stdout is not None]
        if any(s["failed"] for s in said):
            raise RuntimeError(f"displays could not connect: {said}")
        self.listeners = [asyncio.create_task(self._listen(p)) for p in self.procs]

    async def close(self) -> None:
        for task in self.listeners:
            task.cancel()
        await asyncio.gather(*(end(p) for p in self.procs))

    async def settle(self, calls: dict[str, str], timeout: float = WAIT_S) -> None:
        """Until every display has each call (ticket id → hall), or ``timeout``."""
        pending = {f"ticket.called {ticket}": self.holders[hall] for ticket, hall in calls.items()}
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while pending := {k: n for k, n in pending.items() if self.done[k] < n}:
                    self.changed.clear()
                    await self.changed.wait()


# ---------------------------------------------------------------------- setup
@dataclass(frozen=True)
class HallSetup:
    """One hall's tokens, its servers (kiosk and clerks on different ones) and what it issues into."""

    code: str
    kiosk: str
    clerks: dict[int, str]  # counter → the bearer token of its clerk
    queues: tuple[str, ...]  # one entry per open counter per queue it serves: weighted by counter
    kiosk_port: int = 0
    clerk_port: int = 0


def create_halls(url: str, env: dict[str, str], workdir: Path, halls: int, counters: int) -> list[HallSetup]:
    """The schema (`onewindow migrate`), then every hall, token and clerk in one transaction, with one
    password hash for all the clerks (Argon2 costs ~0.2 s a hash). The first is the demo hall jinan,
    for the servers' readiness check and the baseline."""
    subprocess.run([PYTHON, "-m", "server.cli", "migrate"], env=env, cwd=workdir, check=True, capture_output=True)
    password_hash = hash_password("district-bench")
    made = [HallSetup("jinan", accounts.new_token(), {}, ("A",))]
    db = open_database(url)
    try:
        with db.writer.begin() as conn:
            load_demo(conn)
            accounts.add_token(conn, made[0].kiosk, device_kind="kiosk", hall="jinan", name="kiosk-1")
            for i in range(halls):
                cfg = dataclasses.replace(JINAN, code=f"h{i:03d}", name=f"第{i}大厅")
                repo.save_hall(conn, cfg)
                kiosk = accounts.new_token()
                accounts.add_token(conn, kiosk, device_kind="kiosk", hall=cfg.code, name="kiosk-1")
                clerks: dict[int, str] = {}
                for counter in cfg.counters[:counters]:
                    user = accounts.upsert_user(conn, f"{cfg.code}-clerk{counter.number:02d}", password_hash,
                                                "clerk", cfg.code, counter.number)
                    clerks[counter.number] = accounts.new_token()
                    accounts.add_token(conn, clerks[counter.number], user_id=user)
                queues = tuple(q for counter in cfg.counters[:counters] for q in counter.queues)
                made.append(HallSetup(cfg.code, kiosk, clerks, queues))
    finally:
        db.dispose()
    return made


# ---------------------------------------------------------------------- HTTP load
@dataclass
class Load:
    """What the busy phase measured: latencies in ms, and each call's send time and hall by ticket id."""

    issue: list[float] = field(default_factory=list)
    call: list[float] = field(default_factory=list)
    finish: list[float] = field(default_factory=list)
    errors: int = 0
    sent: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.issue) + len(self.call) + len(self.finish)


async def timed(link: Link, raw: bytes, into: list[float]) -> tuple[int, bytes, float]:
    """Send with the clock started after any reopening; returns status, body and the send time."""
    await link.ready()
    t0 = time.monotonic()
    status, body = await link.send(raw)
    into.append((time.monotonic() - t0) * 1e3)
    return status, body, t0


async def pause(seconds: float, deadline: float) -> bool:
    """Sleep, but not past ``deadline``; False when the deadline is reached."""
    await asyncio.sleep(max(0.0, min(seconds, deadline - time.monotonic())))
    return time.monotonic() < deadline


async def kiosk(hall: HallSetup, link: Link, gap: float, deadline: float, rng: random.Random, load: Load) -> None:
    """Tickets as a Poisson process: exponential gaps of mean ``gap`` seconds."""
    path = f"/api/v1/halls/{hall.code}/tickets"
    raws = [request(link.port, path, {"queue": q}, hall.kiosk) for q in hall.queues]
    for _ in range(MAX_OPS):
        if not await pause(rng.expovariate(1 / gap), deadline):
            break
        status, _, _ = await timed(link, rng.choice(raws), load.issue)
        load.errors += status != 201


async def counter(hall: HallSetup, number: int, link: Link, deadline: float, rng: random.Random, load: Load) -> None:
    """Call next; nobody waiting: again about a second later; a call: serve 6–14 s, then finish.
    Counters start, and ask again, at random moments: 400 clerks clicking in the same millisecond
    every second is no hall's busy hour, and it made the first version's p99 much worse."""
    path, token = f"/api/v1/halls/{hall.code}/counters/{number}", hall.clerks[number]
    call, finish = (request(link.port, f"{path}/{action}", token=token) for action in ("call-next", "finish"))
    await pause(rng.uniform(0, RETRY_S), deadline)
    for _ in range(MAX_OPS):
        if time.monotonic() >= deadline:
            break
        status, body, t0 = await timed(link, call, load.call)
        if status == 200:
            load.sent[str(orjson.loads(body)["id"])] = (t0, hall.code)
            if not await pause(rng.uniform(*SERVE_S), deadline):
                break
            status, _, _ = await timed(link, finish, load.finish)
            load.errors += status != 200
        else:
            load.errors += status != 204
            await pause(rng.uniform(0.5, 1.5) * RETRY_S, deadline)


async def warm_up(halls: list[HallSetup], links: dict[tuple[str, int], Link]) -> None:
    """Every counter opened and a ticket issued in every hall (both servers' write paths loaded)."""
    gate = asyncio.Semaphore(32)

    async def one(link: Link, raw: bytes, want: int) -> None:
        async with gate:
            status, body = await link.send(raw)
        if status != want:
            raise RuntimeError(f"warm-up: {status} {body[:200]!r}")

    jobs = []
    for hall in halls:
        kiosk_link = links[hall.code, 0]
        jobs.append(one(kiosk_link, request(kiosk_link.port, f"/api/v1/halls/{hall.code}/tickets",
                                            {"queue": hall.queues[0]}, hall.kiosk), 201))
        for number, token in hall.clerks.items():
            link = links[hall.code, number]
            jobs.append(one(link, request(link.port, f"/api/v1/halls/{hall.code}/counters/{number}/open",
                                          token=token), 200))
    async with asyncio.timeout(300):
        await asyncio.gather(*jobs)


async def busy(halls: list[HallSetup], links: dict[tuple[str, int], Link], args: argparse.Namespace) -> Load:
    load, deadline = Load(), time.monotonic() + args.duration
    jobs = []
    for hall in halls:
        rng = random.Random(f"{args.seed}-{hall.code}")
        jobs.append(kiosk(hall, links[hall.code, 0], args.gap, deadline, rng, load))
        jobs += [counter(hall, n, links[hall.code, n], deadline, rng, load) for n in hall.clerks]
    async with asyncio.timeout(args.duration + 60):  # a request still unanswered a minute after the end
        await asyncio.gather(*jobs)
    return load


# ---------------------------------------------------------------------- measuring
def pids_of(match: Callable[[str, str], bool]) -> list[int]:
    """Processes whose (comm, cmdline) ``match``: PostgreSQL backends and Redis, found in /proc."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            comm = (proc / "comm").read_text().strip()
            if match(comm, (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")):
                found.append(int(proc.name))
    return found


def reaped_seconds(pids: list[int]) -> float:
    """CPU of the children ``pids`` have waited for (cutime + cstime): for the postmaster, the
    backends that exited, whose own readings are gone with them."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return total


def sessions(database: str) -> int:
    """Connections ever opened to ``database`` (pg_stat_database.sessions, PostgreSQL 14+; asked from
    another database so that asking opens none)."""
    query = f"select coalesce(sum(sessions), 0) from pg_stat_database where datname = '{database}'"
    out = subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-d", "postgres", "-qtAc", query],
                         capture_output=True, text=True, timeout=30)
    return int(out.stdout.strip() or 0)


def cpu_of(pids: list[int]) -> dict[int, float]:
    readings = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            readings[pid] = cpu_seconds(pid)
    return readings


@dataclass
class Reading:
    """CPU seconds at one moment: each server, the display clients, this process, the database's
    backends and Redis (by pid: processes come and go), and the whole machine."""

    at: float
    servers: list[float]
    walls: float
    ours: float
    postgres: dict[int, float]
    reaped: float  # by the postmaster: backends (ours mostly) that exited
    sessions: int
    redis: dict[int, float]
    machine: float


@dataclass
class Phase:
    """One row of the table."""

    name: str
    halls: int
    displays: int
    load: Load | None = None
    latency: list[float] = field(default_factory=list)  # ms, call-next sent → last display of the hall
    misses: int = 0
    sessions: int = 0  # PostgreSQL connections opened during the phase
    cpu: dict[str, float] = field(default_factory=dict)  # % of one core
    servers_cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # KiB, each server at the end of the phase
    baseline: list[int] = field(default_factory=list)  # KiB, each server before any display connected


class Meter:
    def __init__(self, servers: list[int], walls: Walls, database: str) -> None:
        self.servers, self.walls, self.database = servers, walls, database
        self.postmaster = pids_of(lambda comm, line: comm == "postgres" and " -D " in line)

    def read(self) -> Reading:
        backends = pids_of(lambda comm, line: comm == "postgres" and f" {self.database} " in line)
        return Reading(time.monotonic(), [cpu_seconds(pid) for pid in self.servers], self.walls.cpu(),
                       time.process_time(), cpu_of(backends), reaped_seconds(self.postmaster),
                       sessions(self.database), cpu_of(pids_of(lambda comm, _: comm == "redis-server")),
                       busy_seconds())

    def put(self, phase: Phase, start: Reading) -> None:
        now = self.read()
        wall = now.at - start.at
        phase.servers_cpu = [100 * (b - a) / wall for a, b in zip(start.servers, now.servers, strict=True)]
        parts = {"walls": now.walls - start.walls, "ours": now.ours - start.ours,
                 "postgres": sum(cpu - start.postgres.get(pid, 0.0) for pid, cpu in now.postgres.items())
                 + now.reaped - start.reaped,
                 "redis": sum(cpu - start.redis.get(pid, 0.0) for pid, cpu in now.redis.items())}
        phase.cpu = {k: 100 * v / wall for k, v in parts.items()}
        machine = 100 * (now.machine - start.machine) / wall
        phase.cpu["other"] = max(0.0, machine - sum(phase.servers_cpu) - sum(phase.cpu.values()))
        phase.cpu["machine"] = machine
        phase.rss = [rss_kib(pid) for pid in self.servers]
        phase.sessions = now.sessions - start.sessions


def tally(phase: Phase, seen: dict[str, list[float]], per_hall: dict[str, int]) -> None:
    assert phase.load is not None
    for ticket, (t0, hall) in phase.load.sent.items():
        count, _, last = seen.get(f"ticket.called {ticket}", (0, 0.0, 0.0))
        phase.misses += per_hall[hall] - int(count)
        if count:
            phase.latency.append((last - t0) * 1e3)


# ---------------------------------------------------------------------- report
def ms(values: list[float], count: int = 2) -> str:
    found = quantiles(values)
    return " / ".join(f"{v:.1f}" for v in found[:count]) if found else "-"


def row(phase: Phase) -> str:
    load = phase.load or Load()
    cpu, servers = phase.cpu, sum(phase.servers_cpu)
    grown = sum(phase.rss) - sum(phase.baseline)
    return " | ".join([
        f"| {phase.name}", f"{phase.halls:,}", f"{phase.displays:,}", f"{load.requests:,}", f"{load.errors}",
        ms(load.issue), ms(load.call), f"{len(load.sent):,}" if phase.load else "-",
        ms(phase.latency, 3), f"{phase.misses}" if phase.load else "-",
        " + ".join(f"{c:.0f}%" for c in phase.servers_cpu), f"{servers / phase.halls:.2f}%",
        " + ".join(f"{r / 1024:.0f}" for r in phase.rss), f"{grown / phase.halls:.0f}",
        f"{cpu['walls']:.0f}%", f"{cpu['ours']:.0f}%", f"{cpu['postgres']:.0f}%", f"{phase.sessions:,}",
        f"{cpu['redis']:.0f}%",
        f"{cpu['machine']:.0f}%", f"{cpu['other']:.0f}% |"])


def setup_lines(args: argparse.Namespace, version: str, halls: list[HallSetup], resent: int) -> list[str]:
    queues = ", ".join(halls[0].queues)
    return [*machine_lines(__file__, f"servers: 2 `onewindow serve` processes (uvicorn, 1 worker each, {loop_name()}) "
                                     f"on PostgreSQL {version} and Redis ({args.redis}); displays: {args.procs} "
                                     "processes of the `websockets` asyncio client (no compression); load: this "
                                     "script's process, raw HTTP/1.1 keep-alive; all on the same cores"),
            f"- {args.halls} halls, copies of the demo hall (7 queues, 12 counters) written straight into the "
            f"database (no admin API creates halls yet); per hall counters 1–{args.counters} open, a ticket every "
            f"{args.gap:g} s on average (Poisson) into their queues weighted by counter ({queues}); each counter "
            f"starts at a random moment in the first {RETRY_S:g} s, calls next (after a 204: again "
            f"{RETRY_S / 2:g}–{RETRY_S * 1.5:g} s later), serves {SERVE_S[0]:g}–{SERVE_S[1]:g} s, finishes",
            f"- {args.displays:,} displays (`/ws/halls/{{hall}}/display"
            f"{'?issued=counts' if args.issued == 'counts' else ''}`), spread evenly over the halls, half on each "
            "server; each hall's kiosk on one server and its clerks on the other (alternating by hall)",
            f"- idle: {args.idle:g} s, displays connected, no requests; busy: {args.duration:g} s; latencies are the "
            "client's, from writing the request to reading the response (p50 / p99; call-next: the 204s too); "
            "calls: those that returned a ticket; call → last display is from "
            "writing call-next to the last of the hall's displays reading `ticket.called` (p50 / p99 / max); "
            f"misses: display × call pairs without it {WAIT_S:g} s after the phase; {resent} requests were resent "
            "on a connection the server had closed",
            "- CPU is % of one core over the phase (200% = both cores): servers with all their threads; PostgreSQL: "
            "this run's database's backends and those that exited meanwhile (reaped by the postmaster: ours, unless "
            "another run used PostgreSQL then); PostgreSQL connections: opened to this run's database during the "
            "phase; Redis: the whole redis-server; load: this script; other: the rest of the machine (other work "
            "skews the figures); RSS (VmRSS) at the phase's end; per hall: above the servers' own after one display "
            "and one ticket in the demo hall, before the halls' displays connected (so it includes each hall's "
            "display connections), ÷ halls"]


def table(phases: list[Phase]) -> list[str]:
    return ["", "| phase | halls | displays | requests | errors | issue ms | call-next ms | calls | "
            "call → last display ms | misses | server CPU (1 + 2) | CPU per hall | server RSS MiB (1 + 2) | "
            "RSS per hall KiB | display clients CPU | load CPU | PostgreSQL CPU | PostgreSQL connections | "
            "Redis CPU | machine CPU | other CPU |",
            "|---|" + "---:|" * 20, *(row(p) for p in phases)]


def write(doc: Path, lines: list[str]) -> None:
    """The section's heading, explanation and command the first time, then the results between the markers."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if START not in text:
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(text.rstrip("\n") + "\n\n" + SECTION)
    write_doc(doc, lines, START, END)


# ---------------------------------------------------------------------- the run
async def empty_baseline(jinan: HallSetup, ports: list[int], pids: list[int]) -> list[int]:
    """Each server's RSS once its display path and write path have run (one display and one ticket in
    hall jinan): what is left above it is the halls' and their displays' own."""
    for port in ports:
        await one_display(port)
        link = Link(port)
        status, body = await link.send(request(port, "/api/v1/halls/jinan/tickets", {"queue": "A"}, jinan.kiosk))
        link.close()
        if status != 201:
            raise RuntimeError(f"jinan: {status} {body[:200]!r}")
    await asyncio.sleep(0.5)
    return [rss_kib(pid) for pid in pids]


async def phases(halls: list[HallSetup], walls: Walls, meter: Meter, baseline: list[int],
                 per_hall: dict[str, int], args: argparse.Namespace) -> tuple[list[Phase], int]:
    """Warm-up, then the idle and the busy phase; returns their rows and how many requests were resent."""
    links = {(h.code, n): Link(h.clerk_port if n else h.kiosk_port) for h in halls for n in [0, *h.clerks]}
    await warm_up(halls, links)
    await asyncio.sleep(SETTLE_S)
    done: list[Phase] = []
    for name, seconds in (("idle", args.idle), ("busy", args.duration)):
        phase = Phase(name, len(halls), args.displays, baseline=baseline)
        print(f"{name}: {seconds:g} s", flush=True)
        start = meter.read()
        if name == "idle":
            await asyncio.sleep(seconds)
        else:
            phase.load = await busy(halls, links, args)
        meter.put(phase, start)
        if phase.load is not None:
            await walls.settle({ticket: hall for ticket, (_, hall) in phase.load.sent.items()})
            seen, closed = await walls.report()
            tally(phase, seen, per_hall)
            if closed:
                print(f"{closed} display sockets were closed", flush=True)
        done.append(phase)
        print(row(phase), flush=True)
    for link in links.values():
        link.close()
    return done, sum(link.resent for link in links.values())


async def main_async(args: argparse.Namespace) -> None:
    raise_nofile()
    with tempfile.TemporaryDirectory(prefix="onewindow-district-") as tmp, postgres_db("district") as (url, version):
        workdir = Path(tmp)
        env = server_env(url, REDIS_URL=args.redis, ONEWINDOW_LOG_LEVEL="warning")
        t0 = time.monotonic()
        jinan, *halls = create_halls(url, env, workdir, args.halls, args.counters)
        print(f"{len(halls)} halls written in {time.monotonic() - t0:.1f} s", flush=True)
        async with serving(env, workdir, "1") as (one, port1), serving(env, workdir, "2") as (two, port2):
            ports, pids = [port1, port2], [one.pid, two.pid]
            baseline = await empty_baseline(jinan, ports, pids)
            # --affinity: each hall's requests to one process (a balancer routing by hall), else its
            # kiosk to one and its clerks to the other, so that both processes write every hall
            halls = [dataclasses.replace(h, kiosk_port=ports[i % 2], clerk_port=ports[(i + (not args.affinity)) % 2])
                     for i, h in enumerate(halls)]
            per_hall = {h.code: args.displays // len(halls) + (i < args.displays % len(halls))
                        for i, h in enumerate(halls)}
            t0 = time.monotonic()
            async with Walls.up(ports, per_hall, args.procs, args.batch, args.issued) as walls:
                print(f"{args.displays:,} displays connected in {time.monotonic() - t0:.1f} s", flush=True)
                rows, resent = await phases(halls, walls, Meter(pids, walls, url.rsplit("/", 1)[1]), baseline,
                                            per_hall, args)
    lines = setup_lines(args, version, halls, resent) + table(rows)
    write(Path(args.output), lines)
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--halls", type=int, default=100, help="halls (1–999)")
    parser.add_argument("--displays", type=int, default=2000, help="displays over all halls (at least one a hall)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the busy phase (5–600)")
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of the idle phase (1–600)")
    parser.add_argument("--counters", type=int, default=4, help="counters open per hall, 1 to N (1–12)")
    parser.add_argument("--gap", type=float, default=3.0, help="mean seconds between a hall's tickets")
    parser.add_argument("--issued", choices=("counts", "events"), default="counts",
                        help="the displays' ?issued= option: counts (as the wall pages) or every event")
    parser.add_argument("--procs", type=int, default=4, help="display client processes")
    parser.add_argument("--batch", type=int, default=200, help="displays connecting at once, over all processes")
    parser.add_argument("--seed", type=int, default=1, help="seed of the arrivals and service times")
    parser.add_argument("--affinity", action="store_true",
                        help="send each hall's kiosk and clerks to the same process (halls alternate between them)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6", help="Redis URL")
    parser.add_argument("--output", default=str(DOC), help="markdown file to update (default docs/benchmarks.md)")
    parser.add_argument("--role", choices=("walls",), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--shares", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "walls":
        shares = {hall: int(n) for hall, _, n in (part.partition("=") for part in args.shares.split(","))}
        return run(walls_role(args.port, shares, args.batch, args.issued))
    args.halls = min(max(args.halls, 1), 999)
    args.displays = min(max(args.displays, args.halls), 20_000)
    args.duration, args.idle = min(max(args.duration, 5.0), 600.0), min(max(args.idle, 1.0), 600.0)
    args.counters, args.gap = min(max(args.counters, 1), 12), max(args.gap, 0.1)
    args.procs, args.batch = min(max(args.procs, 1), 64), max(args.batch, 1)
    run(main_async(args))


if __name__ == "__main__":
    main()
