"""`onewindow simulate`, run as a user runs it: a real process, the demo profile, and a profile
fitted from a real database's history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.simulation.fit import history_days
from tests.simulation.conftest import DEMO_PROFILE, demo_profile
from tests.simulation.history import TZ, seed_history


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", "simulate", *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ONEWINDOW_DEMO")}
    return {**base, "DATABASE_URL": f"sqlite:///{tmp_path}/ow.db", "SECRET_KEY": "cli-test-secret-of-32-characters!"}


def test_the_demo_profile_as_a_table_json_and_charts(env: dict[str, str], tmp_path: Path) -> None:
    table = run(["--profile", str(DEMO_PROFILE)], env)
    assert table.returncode == 0, table.stderr
    assert "队列 / 分组" in table.stdout and "合计" in table.stdout and "12号窗口" in table.stdout
    result = run(["--profile", str(DEMO_PROFILE), "--format", "json", "--days", "2", "--seed", "4",
                  "--policy", "strict", "--charts", str(tmp_path / "charts")], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["hall"], data["days"], data["seed"], data["policy"]["kind"]) == ("jinan", 2, 4, "strict")
    assert 800 <= data["total"]["visitors"] <= 1000  # about 450 a day
    assert data == json.loads(run(["--profile", str(DEMO_PROFILE), "--format", "json", "--days", "2", "--seed", "4",
                                   "--policy", "strict"], env).stdout)  # the same run again
    charts = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert charts == ["timeline.svg", "waits.svg"]
    assert "等候" in (tmp_path / "charts" / "waits.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, says", [
    (["--hall", "jinan"], "--hall needs --history-weeks"),
    (["--profile", "PROFILE", "--history-weeks", "2"], "go with --hall"),
    (["--profile", "PROFILE", "--days", "0"], "--days: 1 to 366"),
    (["--profile", "nowhere.toml"], "cannot read it"),
    (["--profile", "BAD"], "queues.A.service.sigma"),
    (["--profile", "PROFILE", "--format", "xml"], "invalid choice"),
    ([], "one of the arguments --profile --hall is required"),
])
def test_mistakes_exit_non_zero_with_one_clear_line(env: dict[str, str], tmp_path: Path, args: list[str],
                                                     says: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_PROFILE.read_text(encoding="utf-8").replace("median_min = 5, sigma = 0.5", "median_min = 5"),
                   encoding="utf-8")
    args = [str(DEMO_PROFILE) if a == "PROFILE" else str(bad) if a == "BAD" else a for a in args]
    result = run(args, env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_a_profile_fitted_from_the_database(env: dict[str, str]) -> None:
    today = datetime.now(UTC).astimezone(TZ).date()
    wednesdays = history_days(today, 2, 2)
    issued = seed_history(env["DATABASE_URL"], demo_profile(), wednesdays[0], 8)
    result = run(["--hall", "jinan", "--history-weeks", "2", "--weekday", "WED", "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "周三" in data["profile"] and data["policy"]["kind"] == "guarded"
    assert data["total"]["visitors"] == pytest.approx(issued / 8, rel=0.2)
    assert len(data["counters"]) == 12
    table = run(["--hall", "jinan", "--history-weeks", "2", "--weekday", "WED"], env)
    assert table.returncode == 0 and "合计" in table.stdout
    unknown = run(["--hall", "atlantis", "--history-weeks", "2"], env)
    assert unknown.returncode == 1 and "no hall" in unknown.stderr
