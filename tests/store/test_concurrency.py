"""Issuing a number and calling the next ticket are atomic across processes.

Several OS processes, each a hall server with its own ``HallEngine(shared=True)``, work one hall
in one database (a PostgreSQL database; an SQLite file) at once: 20 counters calling and
finishing, kiosks issuing, all from the same two queues, for a few thousand commands. Then the
database itself is read back: a gapless ``seq``, numbers 001..n per queue with none duplicated
or skipped, no ticket called twice, every ticket called in turn and served once, and the
projections agreeing with the log and with what every caller was told.

Without the hall lock (``BEGIN IMMEDIATE`` / ``SELECT … FOR UPDATE``) the writers race from stale
state: their appends collide on the log's primary key (hall, seq) on PostgreSQL, or fail to
upgrade to SQLite's write lock ("database is locked"), the callers get StorageErrors, and this
test fails.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.bus import MemoryBus
from server.domain.hall import Hall
from server.domain.model import CounterConfig, Event, HallConfig, QueueConfig
from server.engine import HallEngine
from server.store import repo
from server.store import tables as t
from server.store.db import open_database
from server.store.migrate import migrate

from . import _worker

HALL = "stress"
QUEUES = ("A", "B")
COUNTERS = 20
PROCESSES = 4
KIOSKS_PER_PROCESS = 2
# Tickets each kiosk issues; every ticket is then called and finished, so three commands each.
# Kept under 1000 a queue, so that numbers stay three digits. SQLite serialises on one file lock
# with a polling busy handler, so it gets fewer.
ISSUES_PER_KIOSK = {"sqlite": 125, "postgresql": 225}
TIMEOUT_S = 240  # a worker still running after this is hung: kill it and fail

# 09:00 in the hall (Asia/Shanghai); the workers' clocks run on from here.
HALL_MORNING = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)

# Odd counters serve A first then B, even ones B then A: every counter calls from both queues,
# in every process.
STRESS = HallConfig(
    code=HALL, name="压力测试大厅",
    queues=(QueueConfig("A", "社会民生类"), QueueConfig("B", "注册登记类")),
    counters=tuple(CounterConfig(n, f"{n}号窗口", QUEUES if n % 2 else QUEUES[::-1])
                   for n in range(1, COUNTERS + 1)),
)


def _open_counter(number: int, hall: Hall, now: datetime) -> list[Event]:
    return hall.open_counter(number, f"clerk{number:02d}", now)


async def _open_counters(url: str, clock: _worker.SharedClock) -> None:
    db = open_database(url)
    engine = HallEngine(db, MemoryBus(), clock, shared=True)
    try:
        for number in range(1, COUNTERS + 1):
            await engine.run(HALL, partial(_open_counter, number))
    finally:
        await engine.close()
        db.dispose()


def _prepare(url: str, clock: _worker.SharedClock) -> None:
    db = open_database(url)
    try:
        migrate(db)
        with db.writer.begin() as conn:
            repo.save_hall(conn, STRESS)
    finally:
        db.dispose()
    asyncio.run(_open_counters(url, clock))


def _run_workers(plans: list[_worker.Plan]) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(plans))  # the start line: every process loaded and ready
    kiosks_left = ctx.Value("i", sum(len(p.kiosks) for p in plans))
    procs = [ctx.Process(target=_worker.run, args=(plan, barrier, kiosks_left), name=f"hall-worker-{plan.index}")
             for plan in plans]
    for proc in procs:
        proc.start()
    deadline = time.monotonic() + TIMEOUT_S
    try:
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
    finally:
        hung = [proc.name for proc in procs if proc.is_alive()]
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join()
    assert not hung, f"workers still running after {TIMEOUT_S}s: {hung}"
    assert [proc.exitcode for proc in procs] == [0] * len(procs)
    return [json.loads(Path(plan.out).read_text()) for plan in plans]


def _read_back(url: str) -> tuple[int | None, list[Any], list[Any], list[Any]]:
    db = open_database(url)
    try:
        with db.reader.connect() as conn:
            hall_seq = conn.scalar(select(t.halls.c.seq).where(t.halls.c.code == HALL))
            events = conn.execute(select(t.events.c.seq, t.events.c.type, t.events.c.data)
                                  .where(t.events.c.hall == HALL).order_by(t.events.c.seq)).all()
            tickets = conn.execute(select(t.tickets.c.id, t.tickets.c.number, t.tickets.c.queue,
                                          t.tickets.c.status, t.tickets.c.counter, t.tickets.c.status_token)
                                   .where(t.tickets.c.hall == HALL)).all()
            counters = conn.execute(select(t.counters.c.number, t.counters.c.state)
                                    .where(t.counters.c.hall == HALL)).all()
    finally:
        db.dispose()
    return hall_seq, list(events), list(tickets), list(counters)


def _duplicates(values: list[Any]) -> dict[Any, int]:
    return {v: n for v, n in Counter(values).items() if n > 1}


@pytest.mark.slow
def test_issue_and_call_are_atomic_across_processes(database_url: str, tmp_path: Path) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    per_kiosk = ISSUES_PER_KIOSK[backend]
    clock = _worker.SharedClock(HALL_MORNING, time.monotonic())
    _prepare(database_url, clock)

    # Each counter belongs to one process (one clerk per counter); kiosks everywhere, every
    # kiosk alternating between the two queues.
    plans = [
        _worker.Plan(
            url=database_url, hall=HALL, index=w,
            counters=[n for n in range(1, COUNTERS + 1) if n % PROCESSES == w],
            kiosks=[[QUEUES[(i + k) % 2] for i in range(per_kiosk)] for k in range(KIOSKS_PER_PROCESS)],
            base=clock.base, t0=clock.t0, out=str(tmp_path / f"worker-{w}.json"),
        )
        for w in range(PROCESSES)
    ]
    started = time.monotonic()
    reports = _run_workers(plans)
    elapsed = time.monotonic() - started

    errors = [f"worker {w}: {e}" for w, r in enumerate(reports) for e in r["errors"]]
    assert not errors, "commands failed:\n" + "\n".join(errors[:20])

    expected_issued = PROCESSES * KIOSKS_PER_PROCESS * per_kiosk
    issued_reported = [tuple(x) for r in reports for x in r["issued"]]  # (token, id, number, queue, seq)
    called_reported = [tuple(x) for r in reports for x in r["called"]]  # (counter, id, number, seq)
    done_reported = [tuple(x) for r in reports for x in r["done"]]  # (counter, id, seq)
    assert len(issued_reported) == expected_issued
    # The processes really ran at once: all of them were past the start line before any was done.
    assert max(r["started"] for r in reports) < min(r["finished"] for r in reports), "the workers did not overlap"
    for plan, report in zip(plans, reports, strict=True):
        assert {c for c, *_ in report["called"]} <= set(plan.counters), "a clerk called at another's counter"

    # What the callers were told: no number handed out twice, no ticket called twice.
    assert not _duplicates([x[2] for x in issued_reported]), "the same number was issued twice"
    assert not _duplicates([x[1] for x in called_reported]), "the same ticket was called at two counters"

    hall_seq, events, tickets, counters = _read_back(database_url)

    # The log: seq gapless from 1, and the hall row's seq is its last.
    seqs = [e.seq for e in events]
    assert not _duplicates(seqs)
    assert seqs == list(range(1, len(seqs) + 1)), "the hall's seq has gaps"
    assert hall_seq == len(seqs)
    # Nothing but the commands we ran: 20 openings, then issue, call and finish per ticket.
    assert Counter(e.type for e in events) == {"counter.opened": COUNTERS, "ticket.issued": expected_issued,
                                               "ticket.called": expected_issued, "ticket.done": expected_issued}

    issued = [(e.data["ticket"]["status_token"], e.data["ticket"]["id"], e.data["ticket"]["number"],
               e.data["ticket"]["queue"], e.seq) for e in events if e.type == "ticket.issued"]
    called = [(e.data["counter"]["number"], e.data["ticket"]["id"], e.data["ticket"]["number"], e.seq)
              for e in events if e.type == "ticket.called"]
    done = [(e.data["counter"]["number"], e.data["ticket"]["id"], e.seq) for e in events if e.type == "ticket.done"]

    # The log was written by all the processes in turn, not one after the other.
    writer_of = {seq: int(token.split("-")[0][1:]) for token, _, _, _, seq in issued}
    writer_of.update({seq: counter % PROCESSES for counter, _, _, seq in called})
    writer_of.update({seq: counter % PROCESSES for counter, _, seq in done})
    in_seq = [writer_of[seq] for seq in sorted(writer_of)]
    switches = sum(1 for a, b in zip(in_seq, in_seq[1:], strict=False) if a != b)
    # One process after another would switch PROCESSES - 1 times. PostgreSQL queues the waiters on
    # the row lock and switches a thousand times a run; SQLite's busy handler polls with growing
    # sleeps, so the process holding the file lock tends to keep it: a run switches a few dozen times.
    assert switches >= 2 * PROCESSES, f"the processes' writes hardly interleaved ({switches} switches)"

    # Numbers: per queue exactly 001..n, none duplicated or skipped.
    for queue in QUEUES:
        numbers = [number for _, _, number, q, _ in issued if q == queue]
        assert not _duplicates(numbers), f"queue {queue}: numbers issued twice"
        assert sorted(numbers) == [f"{queue}{i:03d}" for i in range(1, expected_issued // len(QUEUES) + 1)], \
            f"queue {queue}: numbers skipped"
    # The log says exactly what every kiosk and clerk was answered.
    assert sorted(issued) == sorted(issued_reported)
    assert sorted(called) == sorted(called_reported)
    assert sorted(done) == sorted(done_reported)

    # Calls: every ticket called exactly once, in its queue's order, then finished by that counter.
    call_counts = Counter(ticket_id for _, ticket_id, _, _ in called)
    assert not {k: n for k, n in call_counts.items() if n > 1}, "tickets called twice"
    issued_ids = {ticket_id for _, ticket_id, _, _, _ in issued}
    assert set(call_counts) == issued_ids, "tickets never called"
    for queue in QUEUES:
        in_order = [number for _, _, number, _ in called if number.startswith(queue)]
        assert in_order == sorted(in_order), f"queue {queue}: called out of turn"
    issued_at = {ticket_id: seq for _, ticket_id, _, _, seq in issued}
    called_by = {ticket_id: (counter, seq) for counter, ticket_id, _, seq in called}
    assert not _duplicates([ticket_id for _, ticket_id, _ in done]), "tickets finished twice"
    for counter, ticket_id, seq in done:
        assert called_by[ticket_id][0] == counter, f"{ticket_id} finished at a counter that did not call it"
        assert issued_at[ticket_id] < called_by[ticket_id][1] < seq
    # Per counter, calls and finishes alternate: a counter never held two tickets at once.
    per_counter: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for counter, ticket_id, _, seq in called:
        per_counter[counter].append((seq, "call " + ticket_id))
    for counter, ticket_id, seq in done:
        per_counter[counter].append((seq, "done " + ticket_id))
    for counter, steps in per_counter.items():
        steps.sort()
        kinds = [s.split()[0] for _, s in steps]
        assert kinds == ["call", "done"] * (len(kinds) // 2), f"counter {counter} overlapped tickets"

    # The projections agree with the log.
    assert len(tickets) == expected_issued
    by_id = {row.id: row for row in tickets}
    for token, ticket_id, number, queue, _ in issued:
        row = by_id[ticket_id]
        assert (row.number, row.queue, row.status_token, row.status, row.counter) == \
            (number, queue, token, "done", called_by[ticket_id][0])
    assert sorted(c.number for c in counters) == list(range(1, COUNTERS + 1))
    for c in counters:
        assert (c.state["mode"], c.state["clerk"], c.state["ticket_id"]) == ("open", f"clerk{c.number:02d}", None)

    commands = 3 * expected_issued + COUNTERS
    idle = sum(r["idle_calls"] for r in reports)
    slowest = max(r["slowest_s"] for r in reports)
    print(f"\n{backend}: {PROCESSES} processes, {commands} commands ({expected_issued} issued, called and "
          f"finished; {idle} idle calls) in {elapsed:.1f}s; {len(seqs)} events, {switches} switches between "
          f"processes; slowest command {slowest:.2f}s")
