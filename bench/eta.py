"""How good is the wait a ticket shows when it is issued? 20 simulated days of the demo hall
(docs/simulation/jinan.toml) on the real domain core, the estimate each ticket showed at issuing
(``eta_s``, server/domain/hall.py) against the wait it then had (issuing to first call), beside a
naive estimate. Also the simulator's speed. Writes both into docs/benchmarks.md between the
``bench:eta`` and ``bench:simulate`` markers (a dated row per run; earlier rows stay).

    .venv/bin/python bench/eta.py                 # measure, print and record
    .venv/bin/python bench/eta.py --no-write      # measure and print only

From a script or a test: ``from bench.eta import measure; measure()["shown"]["mae_min"]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.demo import JINAN  # noqa: E402
from server.simulation import Profile, Visit, load_profile, simulate  # noqa: E402
from server.simulation.profile import Lognormal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
PROFILE = ROOT / "docs" / "simulation" / "jinan.toml"
ETA_START, ETA_END = "<!-- bench:eta:start -->", "<!-- bench:eta:end -->"
SPEED_START, SPEED_END = "<!-- bench:simulate:start -->", "<!-- bench:simulate:end -->"
ETA_HEAD = ("| date | code | estimate | tickets | MAE min | median abs min | bias min | within ±5 min "
            "| MAE <10 | MAE 10–30 | MAE >30 | priority MAE / bias | walk-in MAE / bias | command |")
SPEED_HEAD = "| date | code | run | visitors | seconds (median of 5) | command |"


# ---------------------------------------------------------------------------------------- measuring
def naive_eta_s(visit: Visit, profile: Profile) -> float:
    """People ahead in the queue (any class) × the queue's mean time at a counter (walking up and
    service, as the profile draws them) ÷ the open counters listing the queue (at least one)."""
    queue = profile.queue(visit.queue)
    assert queue is not None
    rest = 1 - sum(i.share for i in queue.items)
    service = sum(i.share * i.service.mean_s for i in queue.items) + rest * queue.service.mean_s
    return visit.queue_waiting * (service + profile.visitors.walk.mean_s) / max(1, visit.queue_counters)


def errors_of(pairs: Sequence[tuple[Visit, float]]) -> dict[str, Any]:
    """Figures for (visit, estimate in seconds) pairs, in minutes: error = estimate − actual wait."""
    def err(v: Visit, eta: float) -> float:
        assert v.wait_s is not None
        return (eta - v.wait_s) / 60

    def mae(chosen: Sequence[tuple[Visit, float]]) -> float | None:
        return round(statistics.fmean(abs(err(v, e)) for v, e in chosen), 1) if chosen else None

    def bias(chosen: Sequence[tuple[Visit, float]]) -> float | None:
        return round(statistics.fmean(err(v, e) for v, e in chosen), 1) if chosen else None

    def band(lo: float, hi: float) -> list[tuple[Visit, float]]:
        return [(v, e) for v, e in pairs if v.wait_s is not None and lo * 60 <= v.wait_s < hi * 60]

    priority = [(v, e) for v, e in pairs if v.group == "priority"]
    walk_in = [(v, e) for v, e in pairs if v.group == "walk_in"]
    return {
        "tickets": len(pairs), "mae_min": mae(pairs),
        "median_abs_min": round(statistics.median(abs(err(v, e)) for v, e in pairs), 1),
        "bias_min": bias(pairs),
        "within_5": round(sum(1 for v, e in pairs if abs(err(v, e)) <= 5) / len(pairs), 3),
        "mae_under_10": mae(band(0, 10)), "mae_10_30": mae(band(10, 30)), "mae_over_30": mae(band(30, 1e9)),
        "priority_mae_min": mae(priority), "priority_bias_min": bias(priority),
        "walk_in_mae_min": mae(walk_in), "walk_in_bias_min": bias(walk_in),
    }


def measure(days: int = 20, seed: int = 0, profile_path: Path = PROFILE,
            estimate: Callable[[Visit, Profile], float] | None = None, bookings: bool = True) -> dict[str, Any]:
    """The figures for the estimate shown at issuing (``shown``) and the naive one (``naive``), over
    ``days`` simulated days; ``estimate`` adds a third (``candidate``): a function of the visit as
    issued (its queue, group, ``queue_waiting``, ``queue_counters`` …) and the profile, in seconds.
    ``bookings``: whether the hall is told each day's booked visitors (``simulate``)."""
    profile = load_profile(profile_path)
    result = simulate(JINAN, profile, days=days, seed=seed, bookings=bookings)
    visits = [v for v in result.visits if v.eta_s is not None and v.wait_s is not None]
    out = {"days": days, "seed": seed, "visitors": len(result.visits), "bookings": bookings,
           "shown": errors_of([(v, float(v.eta_s or 0)) for v in visits]),
           "naive": errors_of([(v, naive_eta_s(v, profile)) for v in visits])}
    if estimate is not None:
        out["candidate"] = errors_of([(v, estimate(v, profile)) for v in visits])
    return out


def speed(repeat: int = 5) -> list[tuple[str, int, float]]:
    """(run, visitors, median seconds): a demo day; a 1,500-visitor day (arrivals × 10/3, service
    times ÷ 10/3, so the twelve counters keep up); a week of the demo hall with four what-ifs each,
    with the estimate each ticket shows and without."""
    from datetime import time as clock

    from server.simulation import Change, OpenCounter, ServeAlso

    profile = load_profile(PROFILE)
    factor = 1500 / 450
    busy = replace(profile, queues=tuple(replace(
        q, arrivals=tuple((m, r * factor) for m, r in q.arrivals),
        service=Lognormal(q.service.median_s / factor, q.service.sigma),
        items=tuple(replace(i, service=Lognormal(i.service.median_s / factor, i.service.sigma)) for i in q.items))
        for q in profile.queues))
    what_ifs: list[list[Change]] = [[], [OpenCounter(8, ("C",), clock(10))], [ServeAlso(4, "A", clock(9))],
                                    [ServeAlso(12, "Z", clock(9))]]
    runs: list[tuple[str, Callable[[], int]]] = [
        ("demo day (jinan.toml)", lambda: len(simulate(JINAN, profile, seed=1).visits)),
        ("1,500-visitor day", lambda: len(simulate(JINAN, busy, seed=1).visits)),
        ("a week × 4 what-ifs", lambda: sum(len(simulate(JINAN, profile, days=7, seed=1, changes=c).visits)
                                            for c in what_ifs)),
        ("the same without estimates (as the what-if panel runs)", lambda: sum(len(simulate(
            JINAN, profile, days=7, seed=1, changes=c, estimates=False).visits) for c in what_ifs)),
    ]
    out = []
    for name, run in runs:
        times, visitors = [], 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            visitors = run()
            times.append(time.perf_counter() - t0)
        out.append((name, visitors, statistics.median(times)))
    return out


# ---------------------------------------------------------------------------------------- recording
def commit() -> str:
    """The commit checked out, read from .git without running git."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            path = git / ref
            if path.exists():
                return path.read_text().strip()[:7]
            packed = (git / "packed-refs").read_text() if (git / "packed-refs").exists() else ""
            return next((line.split()[0][:7] for line in packed.splitlines() if line.endswith(" " + ref)), "?")
        return head[:7]
    except OSError:
        return "?"


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


def eta_rows(figures: dict[str, Any], when: str, code: str, command: str) -> list[str]:
    rows = []
    told = "" if figures.get("bookings", True) else ", the day's bookings not told"
    for key, label in (("shown", f"shown at issuing (eta_s){told}"), ("naive", "naive: ahead × mean ÷ counters"),
                       ("candidate", "candidate")):
        f = figures.get(key)
        if f is None:
            continue
        rows.append(
            f"| {when} | {code} | {label} | {f['tickets']} | {_cell(f['mae_min'])} | {_cell(f['median_abs_min'])} "
            f"| {_cell(f['bias_min'])} | {f['within_5'] * 100:.0f}% | {_cell(f['mae_under_10'])} "
            f"| {_cell(f['mae_10_30'])} | {_cell(f['mae_over_30'])} "
            f"| {_cell(f['priority_mae_min'])} / {_cell(f['priority_bias_min'])} "
            f"| {_cell(f['walk_in_mae_min'])} / {_cell(f['walk_in_bias_min'])} | `{command}` |")
    return rows


def append_rows(doc: Path, start: str, end: str, head: str, rows: list[str]) -> None:
    """Add ``rows`` to the table between the markers (made at the end of the file the first time)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if start not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    before, _, rest = text.partition(start)
    block, _, after = rest.partition(end)
    kept = [line for line in block.strip("\n").splitlines() if line.startswith("| ") and not line.startswith("| date")]
    table = [head, "|" + "---|" * (head.count("|") - 1), *kept, *rows]
    doc.write_text(before + start + "\n" + "\n".join(table) + "\n" + end + after, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-bookings", action="store_true", help="the hall is not told the day's bookings")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    figures = measure(args.days, args.seed, bookings=not args.no_bookings)
    print(f"{figures['days']} days, {figures['visitors']} visitors")
    for key in ("shown", "naive"):
        print(key, figures[key])
    timings = speed()
    for name, visitors, seconds in timings:
        print(f"{name}: {visitors} visitors, {seconds:.3f} s")
    if args.no_write:
        return
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    argv_shown = [os.path.relpath(sys.executable, ROOT), os.path.relpath(__file__, ROOT),
                  *(argv if argv is not None else sys.argv[1:])]
    command = shlex.join(argv_shown)
    code = commit()
    append_rows(DOC, ETA_START, ETA_END, ETA_HEAD, eta_rows(figures, when, code, command))
    machine = f"{platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    append_rows(DOC, SPEED_START, SPEED_END, SPEED_HEAD,
                [f"| {when} | {code} | {name} | {visitors:,} | {seconds:.3f} | `{command}` (Python {machine}) |"
                 for name, visitors, seconds in timings])
    print(f"recorded in {os.path.relpath(DOC, ROOT)}")


if __name__ == "__main__":
    main()
