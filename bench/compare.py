"""Compare the request paths' speed of a commit with the working tree, in one sitting.

Checks REV out into a temporary git worktree (sharing this checkout's .venv), then runs this
tree's bench/load.py on SQLite (FULL by default) against REV's server code and against the working
tree's, alternately, ROUNDS times each, so both see the same machine at the same time and the same
scenarios (the servers' code is chosen with ONEWINDOW_BENCH_CODE). Prints, for each scenario, the mean
ops/s, p50 and p99 of each side and the ratio (working tree / REV); with --record it adds a dated
row per scenario to the history table of docs/benchmarks.md.

    .venv/bin/python bench/compare.py 1c4b7d0 --rounds 2 --duration 8 --record
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:compare:start -->", "<!-- bench:compare:end -->"
ROW = re.compile(r"^\| \((?P<key>[a-d])\) (?P<name>[^|]+?) \| (?P<requests>[\d,]+) \| (?P<ops>[\d,.]+) \| "
                 r"(?P<p50>[\d.]+) \| (?P<p99>[\d.]+) \|")


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def load_run(tree: Path, args: argparse.Namespace, out: Path) -> dict[str, tuple[float, float, float]]:
    """One run of bench/load.py against the server code in ``tree``: scenario → (ops/s, p50 ms, p99 ms)."""
    command = [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "bench" / "load.py"), "--backend", "sqlite",
               "--sqlite-sync", args.sync, "--conns", str(args.conns), "--duration", str(args.duration),
               "--light", str(args.light), "--output", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "ONEWINDOW_BENCH_CODE": str(tree)})
    if done.returncode != 0:
        raise SystemExit(f"bench/load.py failed in {tree}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    rows = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            name = f"({match['key']}) {match['name'].strip()}"
            rows[name] = (float(match["ops"].replace(",", "")), float(match["p50"]), float(match["p99"]))
    if not rows:
        raise SystemExit(f"no result rows in {out}")
    return rows


def mean(runs: list[dict[str, tuple[float, float, float]]], name: str, field: int) -> float:
    return statistics.fmean(run[name][field] for run in runs if name in run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help="the commit to compare the working tree with (e.g. the one before your work)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side, alternating (1-5)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of saturation and of mixed load")
    parser.add_argument("--conns", type=int, default=32, help="connections of the saturation scenario")
    parser.add_argument("--light", type=int, default=1000, help="sequential issues of the light scenario")
    parser.add_argument("--sync", default="FULL", help="SQLite synchronous: NORMAL, FULL or EXTRA")
    parser.add_argument("--record", action="store_true", help="add the ratios to docs/benchmarks.md")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 5:
        parser.error("--rounds must be 1 to 5")
    base_rev = git("rev-parse", "--short", args.rev)
    work_rev = git("rev-parse", "--short", "HEAD") + ("+changes" if git("status", "--porcelain") else "")
    with tempfile.TemporaryDirectory(prefix="onewindow-compare-") as tmp:
        base = Path(tmp) / "base"
        git("worktree", "add", "--detach", str(base), base_rev)
        try:
            (base / ".venv").symlink_to(ROOT / ".venv")  # the same interpreter and packages on both sides
            runs: dict[str, list[dict[str, tuple[float, float, float]]]] = {"base": [], "work": []}
            for n in range(args.rounds):
                for side, tree in (("base", base), ("work", ROOT)):
                    print(f"round {n + 1}/{args.rounds}: {side} ({base_rev if side == 'base' else work_rev})",
                          flush=True)
                    runs[side].append(load_run(tree, args, Path(tmp) / f"{side}-{n}.md"))
        finally:
            git("worktree", "remove", "--force", str(base))
    names = [name for name in runs["work"][0] if name in runs["base"][0]]
    lines = [f"| {dt.date.today().isoformat()} | {base_rev} → {work_rev} | {name} | "
             f"{mean(runs['base'], name, 0):,.0f} → {mean(runs['work'], name, 0):,.0f} | "
             f"**×{mean(runs['work'], name, 0) / mean(runs['base'], name, 0):.2f}** | "
             f"{mean(runs['base'], name, 1):.2f} → {mean(runs['work'], name, 1):.2f} | "
             f"{mean(runs['base'], name, 2):.1f} → {mean(runs['work'], name, 2):.1f} |" for name in names]
    print("\n".join(lines))
    if args.record:
        record(lines, args)


def record(lines: list[str], args: argparse.Namespace) -> None:
    text = DOC.read_text(encoding="utf-8")
    header = ["", "## Comparisons (bench/compare.py)", "",
              f"Each row: `bench/compare.py REV --rounds {args.rounds} --duration {args.duration:g} "
              f"--conns {args.conns} --light {args.light} --sync {args.sync}` on this machine, both sides run "
              "alternately in one sitting; ops/s is the mean over the rounds, the ratio is working tree / REV.",
              "", START, "| date | REV → tree | scenario | ops/s | ratio | p50 ms | p99 ms |",
              "|---|---|---|---:|---:|---:|---:|", END]
    if START not in text:
        text = text.rstrip() + "\n" + "\n".join(header) + "\n"
    before, _, rest = text.partition(END)
    text = before + "\n".join(lines) + "\n" + END + rest
    DOC.write_text(text, encoding="utf-8")
    print(f"recorded in {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
