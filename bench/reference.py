"""OneWindow's issuing beside a bare reference, in one sitting on one machine.

The reference is the least a Python server can do for a ticket: a bare Starlette route that checks a
bearer token and inserts one row with SQLAlchemy Core on one writer thread (SQLite WAL, synchronous
NORMAL), served by the same uvicorn (one worker, uvloop, httptools, no access log). OneWindow does
far more per ticket (the hall's state, the number, the day, priority, the event log, the live feeds,
the audit of staff), so the question is how close it comes: the issue's aim is 80% of the reference.
Both are driven by bench/load.py's client at the same connection count, alternately, ROUNDS times;
the results go between the `bench:reference` markers of docs/benchmarks.md.

    .venv/bin/python bench/reference.py                      # 3 rounds of 8 s each side, about 2 minutes
    .venv/bin/python bench/reference.py --rounds 1 --duration 5 --output /tmp/x.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# `python bench/reference.py` puts only bench/ on the path; bench.common needs the root
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DOC,
    HALL,
    HOST,
    PYTHON,
    Stats,
    cpu_seconds,
    free_port,
    load_demo,
    loop_name,
    machine_lines,
    quantiles,
    run,
    saturate,
    server_env,
    serving,
    stop,
    wait_ready,
    write_doc,
)

START, END = "<!-- bench:reference:start -->", "<!-- bench:reference:end -->"
TOKEN = "reference-kiosk-token"


def reference_app(url: str) -> Any:
    """The bare route: POST {HALL}/tickets with the bearer token → one INSERT, committed, 201."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    tickets = Table("tickets", MetaData(), Column("id", Integer, primary_key=True), Column("queue", String(8)))
    tickets.metadata.create_all(engine)
    writer = ThreadPoolExecutor(1, thread_name_prefix="writer")
    add = insert(tickets)

    def write(queue: str) -> int:
        with engine.begin() as conn:
            key = conn.execute(add, {"queue": queue}).inserted_primary_key
            assert key is not None
            return int(key[0])

    async def issue(request: Request) -> JSONResponse:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), TOKEN.encode()):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.json()
        ticket = await asyncio.get_running_loop().run_in_executor(writer, write, str(body["queue"]))
        return JSONResponse({"id": ticket, "queue": body["queue"]}, status_code=201)

    return Starlette(routes=[Route(f"{HALL}/tickets", issue, methods=["POST"])])


def serve_reference(port: int, url: str) -> None:
    import uvicorn

    uvicorn.run(reference_app(url), host=HOST, port=port, log_level="warning", access_log=False)


@contextlib.asynccontextmanager
async def reference(workdir: Path) -> AsyncIterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    url = f"sqlite:///{workdir}/reference-{port}.db"
    with (workdir / "reference.log").open("wb") as log:
        proc = subprocess.Popen([PYTHON, __file__, "--serve", str(port), url], stdout=log, stderr=subprocess.STDOUT)
        try:
            await wait_ready(port, proc, ready=(404,))
            yield proc, port
        finally:
            stop(proc)


async def one_side(name: str, args: argparse.Namespace, workdir: Path, n: int) -> tuple[float, float, float, float]:
    """(issues/s, p50 ms, p99 ms, server CPU %) of one run of ``name`` on a fresh database."""
    if name == "reference":
        server: Any = reference(workdir)
        token = TOKEN
    else:
        sync = name.split()[-1]
        env = server_env(f"sqlite:///{workdir}/onewindow-{n}-{sync}.db", ONEWINDOW_SQLITE_SYNCHRONOUS=sync)
        token = load_demo(env, workdir)
        server = serving(env, workdir, f"onewindow-{n}")
    async with server as (proc, port):
        await saturate(port, token, 4, 30, ("A",), 300)  # warm-up
        t0, cpu0 = time.perf_counter(), cpu_seconds(proc.pid)
        stats: Stats = await saturate(port, token, args.conns, args.duration, ("A",))
        cpu = 100 * (cpu_seconds(proc.pid) - cpu0) / (time.perf_counter() - t0)
    if stats.errors:
        raise SystemExit(f"{name}: {stats.errors} requests failed")
    p50, p99, _ = quantiles([x * 1e3 for x in stats.lat]) or (0.0, 0.0, 0.0)
    return (len(stats.lat) / stats.elapsed, p50, p99, cpu)


async def main_async(args: argparse.Namespace) -> None:
    out = [*machine_lines(__file__, f"servers: one process each (uvicorn, 1 worker, {loop_name()}); client: "
                                   "bench/load.py's raw HTTP/1.1 keep-alive client in one process"),
           f"- {args.conns} connections issuing back to back for {args.duration:.0f} s per run, after 300 warm-up "
           f"issues; {args.rounds} rounds, the sides alternating; figures are the mean over the rounds",
           "- reference: a bare Starlette route (bearer token checked, one row INSERTed with SQLAlchemy Core on "
           "one writer thread, SQLite WAL, synchronous NORMAL); OneWindow: `POST /api/v1/halls/jinan/tickets` "
           "with the demo kiosk's token", ""]
    sides = ["reference", "OneWindow NORMAL", "OneWindow FULL"]
    results: dict[str, list[tuple[float, float, float, float]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="onewindow-reference-") as tmp:
        for n in range(args.rounds):
            for side in sides:
                print(f"round {n + 1}/{args.rounds}: {side}", flush=True)
                results[side].append(await one_side(side, args, Path(tmp), n))
    base = statistics.fmean(r[0] for r in results["reference"])
    out += ["| server | issues/s | of the reference | p50 ms | p99 ms | server CPU |", "|---|---:|---:|---:|---:|---:|"]
    for side in sides:
        ops, p50, p99, cpu = (statistics.fmean(r[i] for r in results[side]) for i in range(4))
        runs = " / ".join(f"{r[0]:,.0f}" for r in results[side])
        out.append(f"| {side} ({runs}) | {ops:,.0f} | {100 * ops / base:.0f}% | {p50:.2f} | {p99:.2f} | {cpu:.0f}% |")
    write_doc(Path(args.output), out, START, END)
    print("\n".join(out))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":  # the reference server's own process
        serve_reference(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating (1-5)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run (max 60)")
    parser.add_argument("--conns", type=int, default=32, help="keep-alive connections (max 256)")
    parser.add_argument("--output", default=str(DOC), help="markdown file to update (default docs/benchmarks.md)")
    args = parser.parse_args()
    args.rounds, args.duration = min(max(args.rounds, 1), 5), min(max(args.duration, 1.0), 60.0)
    args.conns = min(max(args.conns, 1), 256)
    run(main_async(args))


if __name__ == "__main__":
    main()
