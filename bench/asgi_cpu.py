"""CPU per ticket request through the ASGI app in-process, a commit against the working tree.

No sockets, no uvicorn, no client in the same CPU budget: the app (every middleware, the route,
the service, the engine's group commit on SQLite NORMAL) is called directly, 32 requests at a
time, and the process's CPU time (all threads) is divided by the requests. It isolates what a
change to the app costs from the noise of a load run on a 2-core machine (bench/compare.py).

    .venv/bin/python bench/asgi_cpu.py 5db10f9 --rounds 2 --requests 3000
    .venv/bin/python bench/asgi_cpu.py 5db10f9 --concurrent 1   # one kiosk alone: a commit per ticket

Each side runs in its own process with PYTHONPATH on its tree (REV in a temporary git worktree
that shares this checkout's .venv), alternately, and prints µs of CPU per request per round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.types import Message

ROOT = Path(__file__).resolve().parent.parent
CONCURRENT = 32
BODY = b'{"queue": "A"}'


async def measure(requests: int, concurrent: int = CONCURRENT) -> float:
    """µs of CPU per issued ticket in this process (the tree on sys.path is the one measured)."""
    from server.app import create_app
    from server.settings import Settings
    from tests.api.conftest import KIOSK, SECRET, seed

    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    seed(url)
    app = create_app(Settings(url, None, SECRET, True, "NORMAL", "warning", kiosk_issue_limit=0))
    state: dict[str, Any] = {}
    headers = [(b"host", b"bench"), (b"content-type", b"application/json"),
               (b"content-length", str(len(BODY)).encode()), (b"authorization", KIOSK["Authorization"].encode())]

    async def issue() -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/api/v1/halls/jinan/tickets", "raw_path": b"/api/v1/halls/jinan/tickets",
                 "query_string": b"", "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
                 "server": ("bench", 80), "state": dict(state)}
        given = False
        status: list[int] = []

        async def receive() -> Message:
            nonlocal given
            if given:
                await asyncio.sleep(3600)  # no disconnect while the answer is written
            given = True
            return {"type": "http.request", "body": BODY, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        return status[0]

    lifespan_in: asyncio.Queue[Message] = asyncio.Queue()
    lifespan_out: asyncio.Queue[Message] = asyncio.Queue()
    await lifespan_in.put({"type": "lifespan.startup"})
    life = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": state},
                                   lifespan_in.get, lifespan_out.put))
    await lifespan_out.get()
    await asyncio.gather(*(issue() for _ in range(3 * CONCURRENT)))  # warm: hall loaded, writer started
    start = time.process_time()
    done = 0
    while done < requests:
        answers = await asyncio.gather(*(issue() for _ in range(concurrent)))
        assert set(answers) == {201}, answers
        done += concurrent
    cpu = time.process_time() - start
    await lifespan_in.put({"type": "lifespan.shutdown"})
    await life
    return cpu / done * 1e6


def run_side(tree: Path, requests: int, concurrent: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, __file__, "--measure", str(requests), "--concurrent", str(concurrent)],
                          cwd=tree, env=env,
                          check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", help="the commit to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrent", type=int, default=CONCURRENT, help="requests in flight at once")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(f"{asyncio.run(measure(args.measure, args.concurrent)):.1f}")
        return
    sides = {"tree": ROOT}
    with tempfile.TemporaryDirectory() as folder:
        if args.rev:
            base = Path(folder) / "base"
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), args.rev], cwd=ROOT, check=True)
            sides = {args.rev: base, "tree": ROOT}
        try:
            figures: dict[str, list[float]] = {name: [] for name in sides}
            for round_ in range(1, args.rounds + 1):
                for name, tree in sides.items():
                    figures[name].append(run_side(tree, args.requests, args.concurrent))
                    print(f"round {round_}: {name}: {figures[name][-1]:.0f} µs CPU per ticket request", flush=True)
            for name, values in figures.items():
                print(f"{name}: median {statistics.median(values):.0f} µs over {len(values)} rounds")
        finally:
            if args.rev:
                subprocess.run(["git", "worktree", "remove", "--force", str(Path(folder) / "base")], cwd=ROOT)


if __name__ == "__main__":
    main()
