"""The command line's side of sessions and tokens (security issue points 3, 4 and 11): disabling a
user, listing and revoking a hall's device tokens, expiring user tokens, refusing the demo and
short secrets outside demo mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import load_settings
from server.store import accounts
from server.store.db import open_database
from tests.test_cli import run

LONG_SECRET = "a-secret-of-at-least-32-characters!"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A production-like environment (no ONEWINDOW_DEMO) on a database the demo was loaded into."""
    import os

    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ONEWINDOW_DEMO")}
    production = {**base, "DATABASE_URL": f"sqlite:///{tmp_path}/ow.db", "SECRET_KEY": LONG_SECRET}
    loaded = run(["demo"], {**production, "ONEWINDOW_DEMO": "1"})
    assert loaded.returncode == 0, loaded.stderr
    return production


def _lookup(env: dict[str, str], token: str, now: datetime | None = None) -> dict[str, object] | None:
    db = open_database(env["DATABASE_URL"])
    try:
        with db.reader.connect() as conn:
            return accounts.lookup_token(conn, token, now)
    finally:
        db.dispose()


def test_the_demo_refuses_to_run_outside_demo_mode(tmp_path: Path, env: dict[str, str]) -> None:
    fresh = {**env, "DATABASE_URL": f"sqlite:///{tmp_path}/production.db"}
    refused = run(["demo"], fresh)
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "ONEWINDOW_DEMO=1" in lines[0], refused.stderr
    assert run(["migrate"], fresh).returncode == 0
    db = open_database(fresh["DATABASE_URL"])
    try:
        with db.reader.connect() as conn:
            assert accounts.find_user(conn, "admin") is None  # nobody with the published password
    finally:
        db.dispose()


def test_a_short_secret_is_refused_outside_demo_mode(env: dict[str, str]) -> None:
    result = run(["migrate"], {**env, "SECRET_KEY": "a"})
    assert result.returncode == 1 and "SECRET_KEY" in result.stderr and "32" in result.stderr
    assert run(["migrate"], {**env, "SECRET_KEY": "a", "ONEWINDOW_DEMO": "1"}).returncode == 0


def test_user_disable_ends_every_token_and_session_of_a_running_server(env: dict[str, str]) -> None:
    settings = load_settings(env)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        signed = client.post("/api/v1/auth/login", json={"username": "clerk01", "password": "demo1234"})
        bearer = {"Authorization": f"Bearer {signed.json()['token']}"}
        cli_token = run(["token", "add", "--user", "clerk01"], env).stdout.strip().splitlines()[-1]
        assert client.get("/api/v1/me").status_code == 200  # the page's session cookie
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        disabled = run(["user", "disable", "clerk01"], env)
        assert disabled.returncode == 0, disabled.stderr
        assert "clerk01" in disabled.stdout
        assert client.get("/api/v1/me", headers=bearer).status_code == 401
        assert client.get("/api/v1/me").status_code == 401  # the page's session cookie
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {cli_token}"}).status_code == 401
        assert client.post("/api/v1/auth/login", json={"username": "clerk01", "password": "demo1234"}
                           ).status_code == 401
    unknown = run(["user", "disable", "ghost"], env)
    assert unknown.returncode == 1 and len(unknown.stderr.strip().splitlines()) == 1 and "ghost" in unknown.stderr


def test_user_add_enables_a_disabled_user_again_with_a_new_password(env: dict[str, str]) -> None:
    assert run(["user", "disable", "clerk02"], env).returncode == 0
    again = run(["user", "add", "clerk02", "--role", "clerk", "--hall", "jinan", "--counter", "2"], env,
                "another-pass-on-tuesday\n")
    assert again.returncode == 0, again.stderr
    token = run(["token", "add", "--user", "clerk02"], env).stdout.strip().splitlines()[-1]
    assert _lookup(env, token) is not None


def test_user_tokens_expire_after_their_days(env: dict[str, str]) -> None:
    default = run(["token", "add", "--user", "manager"], env).stdout.strip().splitlines()[-1]
    short = run(["token", "add", "--user", "manager", "--days", "2"], env).stdout.strip().splitlines()[-1]
    now = datetime.now(UTC)
    assert _lookup(env, short, now + timedelta(days=1)) is not None
    assert _lookup(env, short, now + timedelta(days=2, minutes=1)) is None
    assert _lookup(env, default, now + timedelta(days=89)) is not None
    assert _lookup(env, default, now + timedelta(days=91)) is None
    bad = run(["token", "add", "--user", "manager", "--days", "0"], env)
    assert bad.returncode != 0 and "--days" in bad.stderr
    device = run(["token", "add", "--device", "display", "--hall", "jinan", "--name", "wall-2"], env)
    assert _lookup(env, device.stdout.strip().splitlines()[-1], now + timedelta(days=3650)) is not None
    refused = run(["token", "add", "--device", "display", "--hall", "jinan", "--name", "w", "--days", "3"], env)
    assert refused.returncode != 0 and "--days" in refused.stderr


def test_token_list_shows_no_secret_and_revoke_ends_one(env: dict[str, str]) -> None:
    added = run(["token", "add", "--device", "kiosk", "--hall", "jinan", "--name", "kiosk-9"], env)
    kiosk = added.stdout.strip().splitlines()[-1]
    listed = run(["token", "list", "--hall", "jinan"], env)
    assert listed.returncode == 0, listed.stderr
    assert kiosk not in listed.stdout and accounts.token_hash(kiosk) not in listed.stdout
    line = next(x for x in listed.stdout.splitlines() if "kiosk-9" in x)
    token_id = line.split()[0]
    assert accounts.token_hash(kiosk).startswith(token_id) and "kiosk" in line
    assert run(["token", "revoke", "--hall", "jinan", token_id], env).returncode == 0
    assert _lookup(env, kiosk) is None
    assert "kiosk-9" not in run(["token", "list", "--hall", "jinan"], env).stdout
    again = run(["token", "revoke", "--hall", "jinan", token_id], env)
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
    assert run(["token", "list", "--hall", "atlantis"], env).returncode == 1
