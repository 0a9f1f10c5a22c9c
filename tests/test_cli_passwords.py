"""`onewindow user add` holds passwords to the same rule as the API (server/domain/passwords.py):
a weak one is refused on one line saying why, in Chinese, and nothing is saved; `--must-change`
makes the user choose their own at the next sign-in."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import load_settings
from server.store import accounts
from server.store.db import open_database
from tests.test_cli import run
from tests.test_cli_access import env  # noqa: F401  (the fixture: a production-like demo database)


@pytest.mark.parametrize("password", ["password1", "demo1234", "1234567890", "li-li-li-li", "Abc$123"])
def test_a_weak_password_is_refused_and_nothing_is_saved(env: dict[str, str], password: str) -> None:  # noqa: F811
    refused = run(["user", "add", "li", "--role", "clerk", "--hall", "jinan"], env, password + "\n")
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "密码" in lines[0], refused.stderr
    db = open_database(env["DATABASE_URL"])
    try:
        with db.reader.connect() as conn:
            assert accounts.find_user(conn, "li") is None
    finally:
        db.dispose()


def test_must_change_makes_the_user_choose_a_password_at_the_next_sign_in(env: dict[str, str]) -> None:  # noqa: F811
    added = run(["user", "add", "li", "--role", "clerk", "--hall", "jinan", "--counter", "3", "--must-change"], env,
                "Jinan-window-3x\n")
    assert added.returncode == 0, added.stderr
    plain = run(["user", "add", "wang", "--role", "admin"], env, "a quiet harbour at dawn\n")
    assert plain.returncode == 0, plain.stderr
    with TestClient(create_app(load_settings(env)), base_url="http://testserver") as client:
        li = client.post("/api/v1/auth/login", json={"username": "li", "password": "Jinan-window-3x"})
        assert li.status_code == 200 and li.json()["user"]["must_change_password"] is True
        wang = client.post("/api/v1/auth/login", json={"username": "wang", "password": "a quiet harbour at dawn"})
        assert wang.status_code == 200 and wang.json()["user"]["must_change_password"] is False


def test_a_department_account_names_a_department_of_its_hall(env: dict[str, str]) -> None:  # noqa: F811
    unknown = run(["user", "add", "dept-x", "--role", "department", "--hall", "jinan", "--department", "GAJ"], env,
                  "Jinan-window-3x\n")
    assert unknown.returncode != 0 and "GAJ" in unknown.stderr and len(unknown.stderr.strip().splitlines()) == 1
    by_name = run(["user", "add", "dept-x", "--role", "department", "--hall", "jinan", "--department", "区市场监管局"],
                  env, "Jinan-window-3x\n")
    assert by_name.returncode == 0, by_name.stderr
    db = open_database(env["DATABASE_URL"])
    try:
        with db.reader.connect() as conn:
            assert accounts.find_user(conn, "dept-x").department == "SCJG"
    finally:
        db.dispose()
