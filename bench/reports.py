"""KPI report benchmark: a year of a busy hall (1,000,000 tickets and their events by default),
bulk-inserted into PostgreSQL (127.0.0.1:5432) and SQLite, rolled up by day, then month and year
reports timed (median and p99 of several runs). Writes its figures into docs/benchmarks.md.

    .venv/bin/python bench/reports.py            # the full year (doc figures)
    .venv/bin/python bench/reports.py --quick    # 30 days, 30,000 tickets: a CI-time sanity check
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from bench.common import DOC, machine_lines, postgres_db, write_doc  # noqa: E402
from server.demo import ITEMS, JINAN, STAFF, load_demo  # noqa: E402
from server.reports.report import build_report, sum_range  # noqa: E402
from server.reports.rollup import ensure_days, hall_info  # noqa: E402
from server.store import tables as t  # noqa: E402
from server.store.db import open_database  # noqa: E402
from server.store.migrate import migrate  # noqa: E402
from server.store.tables_cases import case_events, cases  # noqa: E402

START, END = "<!-- bench:reports:start -->", "<!-- bench:reports:end -->"
TZ = ZoneInfo("Asia/Shanghai")
HALL = JINAN.code
QUEUE_COUNTERS = {q.code: [c.number for c in JINAN.counters if c.queues[0] == q.code] or [11] for q in JINAN.queues}
QUEUE_WEIGHTS = {"A": 30, "B": 20, "C": 12, "D": 8, "L": 15, "Z": 10, "V": 5}
CLERKS = {n: f"clerk{n:02d}" for n in range(1, 13)}
ITEMS_BY_QUEUE: dict[str, list[tuple[Any, ...]]] = {}
for _item in ITEMS:
    ITEMS_BY_QUEUE.setdefault(_item[3], []).append(_item)
CHUNK = 20_000


def generate(db: Any, first: date, days: int, total: int, seed: int = 9) -> dict[str, int]:
    """Bulk-insert ``total`` tickets over ``days`` days, 3 events each, ratings and cases."""
    rnd = random.Random(seed)
    per_day = total // days
    queues = list(QUEUE_WEIGHTS)
    weights = list(QUEUE_WEIGHTS.values())
    counts = {"tickets": 0, "events": 0, "ratings": 0, "cases": 0}
    seq = 0
    case_id = 0
    buf: dict[str, list[dict[str, Any]]] = {"tickets": [], "events": [], "ratings": [], "cases": [], "case_events": []}

    def flush(force: bool = False) -> None:
        if not force and len(buf["events"]) < CHUNK:
            return
        with db.writer.begin() as conn:
            for name, table in (("tickets", t.tickets), ("events", t.events), ("ratings", t.ratings),
                                ("cases", cases), ("case_events", case_events)):
                if buf[name]:
                    conn.execute(insert(table), buf[name])
                    buf[name].clear()

    for d in range(days):
        day = first + timedelta(days=d)
        opening = datetime(day.year, day.month, day.day, 8, 30, tzinfo=TZ).astimezone(UTC)
        serial: dict[str, int] = {}
        for _ in range(per_day):
            q = rnd.choices(queues, weights)[0]
            serial[q] = serial.get(q, 0) + 1
            tid = f"{day:%Y%m%d}{q}{serial[q]:04d}"
            issued = opening + timedelta(seconds=rnd.uniform(0, 8.5 * 3600))
            fate = rnd.random()
            status = "done" if fate < 0.9 else "no_show" if fate < 0.97 else "cancelled"
            counter = rnd.choice(QUEUE_COUNTERS[q]) if status != "cancelled" else None
            called = issued + timedelta(seconds=rnd.expovariate(1 / 600)) if counter else None
            started = called + timedelta(seconds=rnd.uniform(10, 60)) if called and status == "done" else None
            finished = (started + timedelta(seconds=rnd.expovariate(1 / 420)) if started
                        else called + timedelta(seconds=180) if called else None)
            clerk = CLERKS.get(counter or 0)
            data = {"id": tid, "number": f"{q}{serial[q]:03d}", "queue": q, "day": day.isoformat(),
                    "status": status, "started_at": started.isoformat() if started else None,
                    "served_by": clerk if counter else None}
            buf["tickets"].append({"id": tid, "hall": HALL, "day": day, "number": data["number"], "queue": q,
                                   "status": status, "priority": "none", "channel": "kiosk", "counter": counter,
                                   "status_token": tid, "issued_at": issued, "called_at": called,
                                   "finished_at": finished, "data": data})
            for kind, at in (("ticket.issued", issued), ("ticket.called", called),
                             (f"ticket.{status}", finished or issued + timedelta(hours=9))):
                if at is None:
                    continue
                seq += 1
                buf["events"].append({"hall": HALL, "seq": seq, "type": kind, "at": at,
                                      "data": {"ticket": tid}, "public": {"type": kind, "seq": seq}})
            if status == "done" and finished is not None and counter is not None:
                if rnd.random() < 0.3:
                    buf["ratings"].append({"hall": HALL, "ticket_id": tid, "counter": counter, "clerk": clerk,
                                           "level": rnd.choices((5, 4, 3, 2, 1), (60, 25, 10, 3, 2))[0],
                                           "reasons": [], "source": "tablet", "at": finished + timedelta(seconds=5)})
                    counts["ratings"] += 1
                if q in "ABCD" and rnd.random() < 0.5:
                    item = rnd.choice(ITEMS_BY_QUEUE[q])
                    case_id += 1
                    accepted = started or finished
                    buf["cases"].append({
                        "id": case_id, "receipt_no": f"JA{case_id:09d}", "hall": HALL, "day": day,
                        "item_code": item[0], "item_name": item[1], "department": item[4],
                        "time_limit_days": item[5], "status": "accepted", "status_token": f"c{case_id}",
                        "applicant_name": "张*三", "materials_missing": [], "received_at": accepted,
                        "accepted_at": accepted, "due_provisional": False, "ticket_id": tid, "counter": counter,
                        "received_by": clerk, "updated_at": accepted,
                        "channel": "online" if rnd.random() < 0.2 else "counter",
                        "departments": ["区税务局"] if rnd.random() < 0.1 else None,
                        "paperless": rnd.random() < 0.4, "standardized": None})
                    buf["case_events"].append({"case_id": case_id, "status": "accepted", "at": accepted})
                    if rnd.random() < 0.3:
                        buf["case_events"].append({"case_id": case_id, "status": "approved", "at": finished})
                    counts["cases"] += 1
            counts["tickets"] += 1
            flush()
    flush(force=True)
    counts["events"] = seq
    with db.writer.begin() as conn:
        conn.execute(t.halls.update().where(t.halls.c.code == HALL).values(seq=seq))
    return counts


def timed(fn: Any, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def run_backend(label: str, url: str, args: argparse.Namespace) -> list[str]:
    db = open_database(url)
    migrate(db)
    with db.writer.begin() as conn:
        load_demo(conn)
        for username, role, counter, display, staff_no in STAFF:
            conn.execute(insert(t.users).values(username=username, password_hash="x", role=role, hall=HALL,
                                                counter=counter, display_name=display, staff_no=staff_no,
                                                active=True))
    first = date(2025, 11, 1)
    t0 = time.perf_counter()
    counts = generate(db, first, args.days, args.tickets)
    gen_s = time.perf_counter() - t0
    last = first + timedelta(days=args.days - 1)
    now = datetime(last.year, last.month, last.day, 12, tzinfo=TZ) + timedelta(days=1)  # the next day, noon
    with db.reader.connect() as conn:
        info = hall_info(conn, HALL)
    assert info is not None
    t0 = time.perf_counter()
    built = ensure_days(db, info, [first + timedelta(days=i) for i in range(args.days)], now)
    rollup_s = time.perf_counter() - t0
    month_day = last.replace(day=15) if last.day >= 15 else first
    lines = [f"| {label} | month, by hall | " + "{:.3f} | {:.3f} |".format(
                 *timed(lambda: build_report(db, HALL, "month", month_day, "hall", now), args.runs)),
             f"| {label} | month, by counter | " + "{:.3f} | {:.3f} |".format(
                 *timed(lambda: build_report(db, HALL, "month", month_day, "counter", now), args.runs)),
             f"| {label} | year ({args.days} days), by hall | " + "{:.3f} | {:.3f} |".format(
                 *timed(lambda: sum_range(db, info, first, last, "hall", now), args.runs)),
             f"| {label} | year ({args.days} days), by clerk | " + "{:.3f} | {:.3f} |".format(
                 *timed(lambda: sum_range(db, info, first, last, "clerk", now), args.runs)),
             f"| {label} | year ({args.days} days), by item | " + "{:.3f} | {:.3f} |".format(
                 *timed(lambda: sum_range(db, info, first, last, "item", now), args.runs))]
    head = (f"- {label}: generated {counts['tickets']:,} tickets, {counts['events']:,} events, "
            f"{counts['ratings']:,} ratings, {counts['cases']:,} cases in {gen_s:.0f} s; "
            f"rolled up {built} days in {rollup_s:.1f} s ({rollup_s / max(built, 1) * 1000:.0f} ms a day)")
    db.dispose()
    print(head, *lines, sep="\n", flush=True)
    return [head, *lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="30 days, 30,000 tickets, 3 runs; no doc update")
    parser.add_argument("--output", default=str(DOC))
    args = parser.parse_args()
    if args.quick:
        args.tickets, args.days, args.runs = 30_000, 30, 3
    results: list[str] = []
    with tempfile.TemporaryDirectory(prefix="onewindow-reports-") as tmp:
        if args.backend in ("postgresql", "all"):
            with postgres_db("reports") as (url, version):
                results += run_backend(f"PostgreSQL {version}", url, args)
        if args.backend in ("sqlite", "all"):
            results += run_backend("SQLite", f"sqlite:///{tmp}/reports.db", args)
    rows = [r for r in results if r.startswith("|")]
    heads = [r for r in results if not r.startswith("|")]
    out = [*machine_lines(__file__, "reports computed in-process (server/reports), no HTTP"), *heads, "",
           "| backend | report | median s | p99 s |", "|---|---|---|---|", *rows]
    if not args.quick:  # one block per backend, so that each can be re-run alone
        for backend in (("postgresql", "sqlite") if args.backend == "all" else (args.backend,)):
            mine = [r for r in rows if r.startswith("| " + ("PostgreSQL" if backend == "postgresql" else "SQLite"))]
            heads_b = [h for h in heads if h.startswith("- " + ("PostgreSQL" if backend == "postgresql" else "SQLite"))]
            write_doc(Path(args.output), [*machine_lines(__file__,
                                                         "reports computed in-process (server/reports), no HTTP"),
                                          *heads_b, "", "| backend | report | median s | p99 s |", "|---|---|---|---|",
                                          *mine], START.replace("reports", f"reports:{backend}"),
                      END.replace("reports", f"reports:{backend}"))
    print("\n".join(out))


if __name__ == "__main__":
    main()
