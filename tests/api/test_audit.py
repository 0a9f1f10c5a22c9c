"""The audit trail: staff actions, sign-ins, settings, CLI tokens and users; searchable, no personal data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from server.api.audit import AuditTrail, describe, summarize
from server.app import create_app
from server.domain.audit_text import ACTIONS
from server.domain.clock import FakeClock
from server.settings import Settings
from server.store.db import open_database
from server.store.tables_audit import audit_log
from tests.conftest import HALL_MORNING

from .conftest import KIOSK, SECRET, login, seed
from .test_ratings_everywhere import HALL, serve


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[TestClient, FakeClock]]:
    """The app with the audit middleware innermost of the list (server/app.py), added here if missing."""
    seed(database_url)
    clock = FakeClock(HALL_MORNING)
    application = create_app(Settings(database_url, None, SECRET, True, "NORMAL", "warning"), clock=clock)
    classes: list[object] = [m.cls for m in application.user_middleware]  # (typed as factories, not classes)
    if AuditTrail not in classes:
        application.user_middleware.append(Middleware(AuditTrail))
    with TestClient(application, base_url="http://testserver") as client:
        yield client, clock


def trail(client: TestClient, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/audit{query}", headers=headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


@pytest.mark.parametrize(("template", "method", "params", "expected"), [
    ("/api/v1/halls/{hall}/counters/{number}/call-next", "POST", {"hall": "jinan", "number": "3"},
     ("counter.call-next", "counter 3", "/api/v1/halls/jinan/counters/3/call-next")),
    ("/api/v1/halls/{hall}/tickets", "POST", {"hall": "jinan"}, ("ticket.create", None, "/api/v1/halls/jinan/tickets")),
    ("/api/v1/halls/{hall}/notice", "PUT", {"hall": "jinan"}, ("notice.set", None, "/api/v1/halls/jinan/notice")),
    ("/api/v1/followups/{id}", "PATCH", {"id": "7"}, ("followup.update", "followup 7", "/api/v1/followups/7")),
    ("/api/v1/calendar/{year}", "PUT", {"year": "2027"}, ("calendar.set", "calendar 2027", "/api/v1/calendar/2027")),
    ("/api/v1/tickets/{status_token}/cancel", "POST", {"status_token": "secret"},
     ("ticket.cancel", None, "/api/v1/tickets/…/cancel")),
    ("/api/v1/auth/logout", "POST", {}, ("auth.logout", None, "/api/v1/auth/logout")),
])
def test_actions_are_named_from_the_route(template: str, method: str, params: dict[str, str],
                                          expected: tuple[str, str | None, str]) -> None:
    assert describe(template, method, params) == expected


def test_the_summary_keeps_no_personal_data() -> None:
    body = b'{"queue": "A", "id_number": "110101199003074514", "phone": "13800138000", "password": "x",' \
           b' "callback": {"note": "13800138000", "reached": true}, "level": 2}'
    summary = summarize(body)
    assert summary == {"fields": ["callback", "id_number", "level", "password", "phone", "queue"], "queue": "A",
                       "level": 2}
    assert "1380013" not in str(summary) and "1101011990" not in str(summary)
    assert summarize(b"not json") == {}


def test_staff_actions_sign_ins_and_settings(database_url: str, app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    bad = client.post("/api/v1/auth/login", json={"username": "manager", "password": "wrong-password"})
    assert bad.status_code == 401
    serve(client, counter=3, clerk="clerk03")  # kiosk issues, clerk03 signs in, opens, calls, finishes
    manager = login(client, "manager")
    assert client.put(f"{HALL}/notice", json={"notice": "今天下午系统维护"}, headers=manager).status_code == 200
    assert client.get(f"{HALL}/snapshot", headers=manager).status_code in (200, 404)  # reads are not recorded
    entries = trail(client, manager)
    actions = [(e["actor"], e["action"]) for e in entries]
    assert actions[:1] == [("manager", "notice.set")]
    assert ("manager", "auth.login") in actions and ("manager", "auth.login.failed") in actions
    assert ("clerk03", "counter.call-next") in actions and ("clerk03", "counter.finish") in actions
    assert not any(actor == "kiosk-1" for actor, _ in actions)  # a visitor taking a number is not a staff action
    call = next(e for e in entries if e["action"] == "counter.call-next")
    assert (call["role"], call["hall"], call["target"], call["status"], call["method"]) == (
        "clerk", "jinan", "counter 3", 200, "POST")
    notice = entries[0]
    assert notice["detail"]["notice"] == "今天下午系统维护"
    failed = next(e for e in entries if e["action"] == "auth.login.failed")
    assert failed["status"] == 401 and failed["kind"] == "anonymous"
    assert "wrong-password" not in str(_all_rows(database_url))
    # search
    assert {e["actor"] for e in trail(client, manager, "?actor=clerk03")} == {"clerk03"}
    assert {e["action"] for e in trail(client, manager, "?action=counter")} >= {"counter.open", "counter.call-next"}
    assert [e["action"] for e in trail(client, manager, "?q=call-next")] == ["counter.call-next"]
    assert len(trail(client, manager, "?limit=2")) == 2
    assert trail(client, manager, "?from=2026-11-26") == []
    assert len(trail(client, manager, "?from=2026-11-25&to=2026-11-25")) == len(entries)
    assert client.get("/api/v1/audit?from=yesterday", headers=manager).status_code == 422


def test_who_may_read_the_trail(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    guide = login(client, "guide")
    assert client.post(f"{HALL}/tickets", json={"queue": "A", "channel": "guide"}, headers=guide).status_code == 201
    assert client.get("/api/v1/audit", headers=login(client, "clerk01")).status_code == 403
    assert client.get("/api/v1/audit", headers=KIOSK).status_code == 403
    manager = login(client, "manager")
    assert client.get("/api/v1/audit?hall=other", headers=manager).status_code == 403
    admin = login(client, "admin")
    assert any(e["action"] == "ticket.create" and e["actor"] == "guide" for e in trail(client, admin))


def test_failed_actions_are_not_recorded(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    clerk = login(client, "clerk01")
    assert client.post(f"{HALL}/counters/1/call-next", headers=clerk).status_code >= 400  # closed counter
    assert not any(e["action"] == "counter.call-next" for e in trail(client, login(client, "manager")))


def _all_rows(url: str) -> list[Any]:
    db = open_database(url)
    try:
        with db.reader.connect() as conn:
            return list(conn.execute(select(audit_log)).all())
    finally:
        db.dispose()


def test_cli_users_and_tokens_are_recorded(tmp_path: Any) -> None:
    from tests.test_cli import run

    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ONEWINDOW_DEMO")}
    env = {**base, "DATABASE_URL": f"sqlite:///{tmp_path}/ow.db", "SECRET_KEY": "cli-test-secret-of-32-characters!"}
    assert run(["demo"], {**env, "ONEWINDOW_DEMO": "1"}).returncode == 0
    assert run(["user", "add", "li", "--role", "clerk", "--hall", "jinan"], env, "s3cret-pass-41\n").returncode == 0
    token = run(["token", "add", "--user", "li"], env).stdout.strip().splitlines()[-1]
    assert run(["token", "add", "--device", "kiosk", "--hall", "jinan", "--name", "k2"], env).returncode == 0
    rows = _all_rows(env["DATABASE_URL"])
    assert [(r.action, r.hall, r.target, r.kind) for r in rows] == [
        ("user.add", "jinan", "user li", "cli"), ("token.add", "jinan", "user li", "cli"),
        ("token.add", "jinan", "kiosk k2", "cli")]
    assert all(r.actor.startswith("cli:") for r in rows)
    assert token not in str(rows) and "s3cret-pass-41" not in str(rows)


def _recordable_actions() -> set[str]:
    """Every action the middleware can record: one per non-GET /api/v1 route."""
    application = create_app(Settings("sqlite:///:memory:", None, SECRET, True, "NORMAL", "warning"))
    actions = set()
    for route in application.routes:
        path = getattr(route, "path", "")
        for method in getattr(route, "methods", None) or ():
            if path.startswith("/api/v1/") and method not in ("GET", "HEAD"):
                actions.add(describe(path, method, {})[0])
    return actions


def test_case_actions_are_named_case_and_every_action_has_chinese_words() -> None:
    assert describe("/api/v1/halls/{hall}/cases", "POST", {"hall": "jinan"})[0] == "case.create"
    assert describe("/api/v1/cases/{receipt_no}/events", "POST", {"receipt_no": "JA1"})[:2] == (
        "case.events", "case JA1")
    recorded = _recordable_actions() | {"auth.login", "auth.login.failed", "auth.login.blocked", "user.add",
                                        "token.add"}
    missing = sorted(a for a in recorded if a not in ACTIONS)
    assert missing == [], f"no Chinese words for {missing} in server/domain/audit_text.py"


def test_each_entry_reads_as_a_chinese_sentence(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    serve(client, counter=3, clerk="clerk03")
    manager = login(client, "manager")
    client.put(f"{HALL}/notice", json={"notice": "今天下午系统维护"}, headers=manager)
    clerk = login(client, "clerk04")
    client.post(f"{HALL}/counters/4/open", headers=clerk)
    client.post(f"{HALL}/cases", headers=clerk, json={"item": "B02", "applicant": {"name": "王小明"},
                                                      "materials_missing": ["公司章程"]})
    entries = {e["action"]: e for e in trail(client, manager)}
    call = entries["counter.call-next"]["sentence"]
    assert call.endswith("（clerk03，窗口人员）在3号窗口呼叫下一位。") and not call.startswith("clerk03"), call
    assert entries["notice.set"]["sentence"].endswith("设置了大厅滚动公告（公告：今天下午系统维护）。")
    case = entries["case.create"]
    assert case["action_label"] == "受理了办件" and "提交了" in case["sentence"] and "申请人" in case["sentence"]
    assert "{" not in case["sentence"] and "fields" not in case["sentence"] and "王小明" not in case["sentence"]
    assert "登录系统（来源地址：" in entries["auth.login"]["sentence"]



def test_a_search_waits_for_the_entries_a_batch_is_writing(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry of an action a manager just took is in the next search even while the batch that
    took it is still writing (made slow here: half a second in the real write)."""
    import time

    from server.store import audit as audit_store

    seed(sqlite_url)
    with TestClient(create_app(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning"))) as client:
        manager = login(client, "manager")
        real = audit_store.add_entries

        def slow(conn: Any, entries: list[dict[str, Any]]) -> None:
            time.sleep(0.5)
            real(conn, entries)

        monkeypatch.setattr(audit_store, "add_entries", slow)  # the module the audit service writes with
        changed = client.put("/api/v1/halls/jinan/alert-settings", json={"pause_max_min": 25}, headers=manager)
        assert changed.status_code == 200
        time.sleep(0.1)  # the batch (every 20 ms) has taken the entry and is writing it
        assert [e["action"] for e in trail(client, manager, "?action=alert-settings")] == ["alert-settings.set"]
