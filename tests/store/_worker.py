"""One OS process of tests/store/test_concurrency.py: a hall server process with its own
HallEngine(shared=True), running kiosks that issue tickets and clerks that call and finish them
at the counters it owns, all against the same database as the other worker processes.

Started with multiprocessing's ``spawn`` context, so everything it needs comes in as arguments
and everything it saw goes back as a JSON file.
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from server.bus import MemoryBus
from server.domain.hall import Hall
from server.domain.model import Event
from server.engine import HallEngine
from server.store.db import open_database

IDLE_SLEEP_S = 0.01  # a clerk with nobody waiting looks again after this
MAX_ERRORS = 20  # a worker gives up after this many failed commands instead of spinning


class SharedClock:
    """Hall time that all worker processes agree on and that never steps back: ``base`` plus the
    system-wide CLOCK_MONOTONIC elapsed since the parent read ``t0`` (the same clock in every
    process on one Linux boot). Fixed to a hall morning, so no run can straddle the hall's midnight."""

    def __init__(self, base: datetime, t0: float) -> None:
        self.base = base
        self.t0 = t0

    def now(self) -> datetime:
        return self.base + timedelta(seconds=time.monotonic() - self.t0)


@dataclass
class Plan:
    url: str
    hall: str
    index: int  # this worker's number, for unique status tokens
    counters: list[int]  # the counters this process's clerks work at; no other process touches them
    kiosks: list[list[str]]  # one list of queue codes per kiosk task: the tickets it issues, in order
    base: datetime
    t0: float
    out: str  # the JSON file for the report


@dataclass
class Report:
    issued: list[list[Any]] = field(default_factory=list)  # [status_token, ticket id, number, queue, seq]
    called: list[list[Any]] = field(default_factory=list)  # [counter, ticket id, number, seq]
    done: list[list[Any]] = field(default_factory=list)  # [counter, ticket id, seq]
    errors: list[str] = field(default_factory=list)
    idle_calls: int = 0  # call_next answered with nobody waiting
    kiosks_finished: int = 0
    started: float = 0.0  # time.monotonic() when past the start line (system-wide on Linux)
    finished: float = 0.0
    slowest_s: float = 0.0  # the longest any one command took, queueing for the hall lock included


def _only(events: list[Event], type_: str) -> Event:
    found = [e for e in events if e.type == type_]
    if len(found) != 1:
        raise AssertionError(f"expected one {type_} event, got {[e.type for e in events]}")
    return found[0]


def _issue(queue: str, token: str, hall: Hall, now: datetime) -> list[Event]:
    return hall.issue(queue, now, token)


def _call_next(number: int, hall: Hall, now: datetime) -> list[Event]:
    return hall.call_next(number, now)


def _finish(number: int, hall: Hall, now: datetime) -> list[Event]:
    return hall.finish(number, now)


async def _timed(engine: HallEngine, plan: Plan, command: Callable[[Hall, datetime], list[Event]],
                 report: Report) -> list[Event]:
    started = time.monotonic()
    try:
        return await engine.run(plan.hall, command)
    finally:
        report.slowest_s = max(report.slowest_s, time.monotonic() - started)


async def _kiosk(engine: HallEngine, plan: Plan, k: int, queues: list[str], report: Report,
                 kiosks_left: Any) -> None:
    try:
        for i, queue in enumerate(queues):
            if len(report.errors) >= MAX_ERRORS:
                return
            token = f"w{plan.index}-k{k}-{i}"
            try:
                event = _only(await _timed(engine, plan, partial(_issue, queue, token), report), "ticket.issued")
            except Exception as exc:
                report.errors.append(f"kiosk {k} issue #{i} ({queue}): {exc!r}")
                continue
            assert event.ticket is not None
            report.issued.append([token, event.ticket.id, event.ticket.number, event.ticket.queue, event.seq])
    finally:
        report.kiosks_finished += 1
        with kiosks_left.get_lock():
            kiosks_left.value -= 1


async def _clerk(engine: HallEngine, plan: Plan, number: int, report: Report, kiosks_left: Any) -> None:
    while len(report.errors) < MAX_ERRORS:
        # Read before calling: nobody waiting *after* every kiosk is done means the hall is drained.
        issuing_over = kiosks_left.value == 0
        try:
            events = await _timed(engine, plan, partial(_call_next, number), report)
        except Exception as exc:
            report.errors.append(f"counter {number} call_next: {exc!r}")
            return
        if not events:
            if issuing_over:
                return
            report.idle_calls += 1
            await asyncio.sleep(IDLE_SLEEP_S)
            continue
        called = _only(events, "ticket.called")
        assert called.ticket is not None and called.counter is not None
        if called.counter.number != number or called.ticket.counter != number:
            report.errors.append(f"counter {number} call_next gave {called.ticket.id} to counter "
                                 f"{called.counter.number}/{called.ticket.counter}")
            return
        report.called.append([number, called.ticket.id, called.ticket.number, called.seq])
        try:
            done = _only(await _timed(engine, plan, partial(_finish, number), report), "ticket.done")
        except Exception as exc:
            report.errors.append(f"counter {number} finish {called.ticket.number}: {exc!r}")
            return
        assert done.ticket is not None
        report.done.append([number, done.ticket.id, done.seq])


async def _main(plan: Plan, barrier: Any, kiosks_left: Any, report: Report) -> None:
    db = open_database(plan.url)
    engine = HallEngine(db, MemoryBus(), SharedClock(plan.base, plan.t0), shared=True)
    try:
        await engine.hall(plan.hall)  # load the hall before the start line, as a running server has
        await asyncio.get_running_loop().run_in_executor(None, partial(barrier.wait, 60))
        report.started = time.monotonic()
        tasks = [_kiosk(engine, plan, k, queues, report, kiosks_left) for k, queues in enumerate(plan.kiosks)]
        tasks += [_clerk(engine, plan, n, report, kiosks_left) for n in plan.counters]
        await asyncio.gather(*tasks)
        report.finished = time.monotonic()
    finally:
        await engine.close()
        db.dispose()


def run(plan: Plan, barrier: Any, kiosks_left: Any) -> None:
    """The process target."""
    report = Report()
    try:
        asyncio.run(_main(plan, barrier, kiosks_left, report))
    except BaseException:
        report.errors.append(traceback.format_exc())
        barrier.abort()  # the others must not wait for us at the start line...
        with kiosks_left.get_lock():  # ...nor for our kiosks to finish
            kiosks_left.value -= len(plan.kiosks) - report.kiosks_finished
    finally:
        Path(plan.out).write_text(json.dumps(report.__dict__))
