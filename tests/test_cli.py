"""The ``onewindow`` command line, run as a user runs it: a real process, a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.store import accounts
from server.store.db import open_database


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ONEWINDOW_DEMO")}
    return {**base, "DATABASE_URL": f"sqlite:///{tmp_path}/ow.db", "SECRET_KEY": "cli-test-secret-of-32-characters!"}


def demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`onewindow demo`, which runs only in demo mode."""
    return run(["demo"], {**env, "ONEWINDOW_DEMO": "1"})


def test_migrate_and_demo_are_idempotent(env: dict[str, str]) -> None:
    assert run(["migrate"], env).returncode == 0
    assert run(["migrate"], env).returncode == 0
    first, second = demo(env), demo(env)
    assert first.returncode == second.returncode == 0
    assert "jinan" in first.stdout and "device token kiosk" in first.stdout


def test_user_and_token_commands(env: dict[str, str]) -> None:
    demo(env)
    added = run(["user", "add", "li", "--role", "clerk", "--hall", "jinan", "--counter", "3"], env, "s3cret-pass-41\n")
    assert added.returncode == 0, added.stderr
    token = run(["token", "add", "--user", "li"], env).stdout.strip().splitlines()[-1]
    device = run(["token", "add", "--device", "kiosk", "--hall", "jinan", "--name", "k2"], env)
    db = open_database(env["DATABASE_URL"])
    with db.reader.connect() as conn:
        user = accounts.lookup_token(conn, token)
        kiosk = accounts.lookup_token(conn, device.stdout.strip().splitlines()[-1])
    db.dispose()
    assert user is not None and user["username"] == "li" and user["user_counter"] == 3
    assert kiosk is not None and kiosk["device_kind"] == "kiosk" and kiosk["name"] == "k2"


@pytest.mark.parametrize("args, stdin, says", [
    (["user", "add", "x", "--role", "king"], "password1\n", "invalid choice"),
    (["user", "add", "x", "--role", "clerk", "--hall", "jinan"], "", "no password"),
    (["user", "add", "x", "--role", "clerk", "--hall", "atlantis"], "willow-lantern-58\n", "no hall"),
    (["token", "add"], "", "either --user"),
    (["token", "add", "--device", "toaster", "--hall", "jinan", "--name", "t"], "", "invalid choice"),
    (["token", "add", "--user", "ghost"], "", "no user"),
    (["serve", "--workers", "2"], "", "REDIS_URL"),
    (["serve", "--port", "eighty"], "", "invalid int"),
    (["frobnicate"], "", "invalid choice"),
])
def test_bad_arguments_exit_non_zero_with_one_clear_line(env: dict[str, str], args: list[str], stdin: str,
                                                         says: str) -> None:
    demo(env)
    result = run(args, env, stdin)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_a_missing_secret_is_refused_outside_demo_mode(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    result = run(["migrate"], env)
    assert result.returncode == 1 and "SECRET_KEY" in result.stderr


def test_hosts_started_together_migrate_one_after_the_other(env: dict[str, str], postgres_url: str) -> None:
    """Three hosts' `serve` each migrate a fresh PostgreSQL at the same moment (deploy/): every one
    succeeds; without the advisory lock the later ones fail on tables the first just created."""
    env = {**env, "DATABASE_URL": postgres_url}
    command = [sys.executable, "-m", "server.cli", "migrate"]
    hosts = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    results = [(host.wait(timeout=120), host.communicate()[1]) for host in hosts]
    assert [code for code, _ in results] == [0, 0, 0], [err[-500:] for _, err in results]
    assert run(["hall", "create", "hq", "--name", "总部大厅"], env).returncode == 0
