"""Notifications end to end, on real things: a migrated SQLite database, the Redis at
127.0.0.1:6379 (database 3, a fresh rq queue per test) worked by a real rq ``Worker`` in burst
mode, and a real HTTP receiver on a free loopback port standing in for the SMS gateway."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime
from typing import Any

import pytest
from rq import Worker
from sqlalchemy import select

from server.demo import load_demo
from server.jobs.message import Notification
from server.jobs.notify import (
    ahead_notification,
    ahead_text,
    appointment_reminder_notification,
    appointment_reminder_text,
    called_notification,
    called_text,
    case_ready_notification,
    case_ready_text,
    notify,
)
from server.jobs.providers import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify_signature
from server.jobs.runner import DeliveryConfig, EmbeddedRunner, RqRunner, deliver
from server.settings import Settings, SettingsError, load_settings
from server.store.db import open_database
from server.store.migrate import migrate
from server.store.tables_notifications import notifications
from tests.jobs.conftest import Receiver

SECRET = "test-secret"
HALL, HALL_NAME = "jinan", "晋安区行政服务中心"
PHONE = "13812341234"
WEBHOOK_SECRET = "gateway-secret"
ATTEMPTS = 4
FAST: dict[str, Any] = {"max_attempts": ATTEMPTS, "base_delay": 0.01, "timeout": 5.0}  # backoff 10, 20, 40 ms


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One migrated database file with the demo hall, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "onewindow.db"
    db = open_database(f"sqlite:///{path}")
    migrate(db)
    with db.writer.begin() as conn:
        load_demo(conn)
    db.dispose()
    return path.read_bytes()


@pytest.fixture
def db_url(tmp_path: Any, seeded_template: bytes) -> str:
    path = tmp_path / "onewindow.db"
    path.write_bytes(seeded_template)
    return f"sqlite:///{path}"


def rq_runner(redis_url: str, config: DeliveryConfig) -> Iterator[RqRunner]:
    runner = RqRunner(redis_url, config, queue_name=f"onewindow-test-{uuid.uuid4().hex}")
    try:
        yield runner
    finally:
        runner.queue.delete(delete_jobs=True)
        runner.close()


def work(runner: RqRunner) -> None:
    """A real rq worker, forking a work horse per job, until the queue is empty."""
    Worker([runner.queue], connection=runner.redis).work(burst=True)


@pytest.fixture
def gateway() -> Iterator[Callable[..., Receiver]]:
    """Starts the hall's SMS gateway (/sms), answering the scripted statuses in turn, then 200."""
    with ExitStack() as running:

        def start(script: list[int], delay: float = 0.0) -> Receiver:
            return running.enter_context(Receiver("/sms", {"/sms": list(script)}, delay))

        yield start


def rows(db_url: str) -> list[dict[str, Any]]:
    db = open_database(db_url)
    try:
        with db.reader.connect() as conn:
            return [dict(r) for r in conn.execute(select(notifications).order_by(notifications.c.id)).mappings()]
    finally:
        db.dispose()


def called(ticket: str = "t-1", number: str = "A012", counter: int = 3) -> Notification:
    return called_notification(HALL, HALL_NAME, PHONE, ticket, number, counter)


def webhook(db_url: str, receiver: Receiver) -> DeliveryConfig:
    return DeliveryConfig(db_url, receiver.url, WEBHOOK_SECRET, **FAST)


def run(mode: str, config: DeliveryConfig, messages: list[Notification], redis_url: str | None) -> None:
    """Deliver through the embedded runner, or through rq and a real worker."""
    if mode == "embedded":
        runner = EmbeddedRunner(config)
        try:
            for future in [runner.enqueue(m) for m in messages]:
                future.result(timeout=30)
        finally:
            runner.close()
        return
    assert redis_url is not None
    for rq in rq_runner(redis_url, config):
        for m in messages:
            rq.enqueue(m)
        work(rq)


@pytest.fixture(params=["embedded", "rq"])
def mode(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    if request.param == "rq":
        return "rq", str(request.getfixturevalue("redis_url"))
    return "embedded", None


# ---------------------------------------------------------------- texts
ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")
MOBILE = re.compile(r"1[3-9]\d{9}")


def test_the_four_texts() -> None:
    assert ahead_text(HALL_NAME, "A012", 3) == "【晋安区行政服务中心】您的号码 A012 前面还有 3 人，请留意叫号。"
    assert called_text(HALL_NAME, "A012", 3) == "【晋安区行政服务中心】请 A012 到 3号窗口办理。"
    assert case_ready_text(HALL_NAME, "JA-20261126-001234") == \
        "【晋安区行政服务中心】您的办件 …1234 已办结，请到查询发证窗口领取。"
    start = datetime(2026, 11, 27, 9, 0)
    assert appointment_reminder_text(HALL_NAME, start, "社会民生类", date(2026, 11, 26)) == \
        "【晋安区行政服务中心】您预约了明天 09:00 社会民生类业务，请准时到达。"
    assert "今天" in appointment_reminder_text(HALL_NAME, start, "社会民生类业务", date(2026, 11, 27))
    assert "12月1日" in appointment_reminder_text(HALL_NAME, datetime(2026, 12, 1, 14, 30), "B", date(2026, 11, 26))


def test_texts_carry_no_personal_data() -> None:
    receipt = "350111200011220033"  # even a receipt that looks like an ID number shows only its tail
    built = [
        ahead_notification(HALL, HALL_NAME, PHONE, "t-1", "A012", 3),
        called_notification(HALL, HALL_NAME, PHONE, "t-1", "A012", 3),
        case_ready_notification(HALL, HALL_NAME, PHONE, receipt),
        appointment_reminder_notification(HALL, HALL_NAME, PHONE, "ap-1", datetime(2026, 11, 27, 9), "社会民生类",
                                          date(2026, 11, 26)),
    ]
    for n in built:
        assert not ID_NUMBER.search(n.text), n.text
        assert not MOBILE.search(n.text), n.text
        assert PHONE not in n.text and receipt not in n.text
        assert not re.search(r"先生|女士|身份证|姓名", n.text), n.text
    assert {n.kind for n in built} == {"ahead", "called", "case_ready", "appointment_reminder"}
    assert len({n.key for n in built}) == 4


def test_builders_refuse_what_is_not_a_ticket_or_kind() -> None:
    with pytest.raises(ValueError):
        called_text(HALL_NAME, "张三 110101199003077777", 3)
    with pytest.raises(ValueError):
        Notification("marketing", HALL, PHONE, "hi", "k")  # type: ignore[arg-type]  # a wrong kind is the point
    assert Notification.from_dict(called().to_dict()) == called()


# ---------------------------------------------------------------- outbox, through rq and embedded
def test_rq_worker_fills_the_outbox_once_per_key(db_url: str, redis_url: str) -> None:
    messages = [called("t-1", "A001", 1), called("t-2", "A002", 2),
                ahead_notification(HALL, HALL_NAME, "13900001111", "t-3", "B003", 3)]
    for runner in rq_runner(redis_url, DeliveryConfig(db_url, **FAST)):
        for m in [*messages, messages[0], messages[0]]:  # the same key three times
            runner.enqueue(m)
        assert runner.queue.count == 5
        work(runner)
        assert runner.queue.count == 0
    stored = rows(db_url)
    assert sorted(r["key"] for r in stored) == sorted(m.key for m in messages)
    assert all(r["status"] == "sent" and r["attempts"] == 1 and r["sent_at"] for r in stored)
    assert {r["to_phone"] for r in stored} == {"138****1234", "139****1111"}


def test_embedded_runner_fills_the_outbox_without_redis(db_url: str) -> None:
    run("embedded", DeliveryConfig(db_url), [called(), called(), case_ready_notification(HALL, HALL_NAME, PHONE,
                                                                                         "R1234")], None)
    stored = rows(db_url)
    assert [r["kind"] for r in stored] == ["called", "case_ready"]
    assert all(r["status"] == "sent" and r["attempts"] == 1 for r in stored)


# ---------------------------------------------------------------- the webhook
def test_webhook_retries_5xx_then_delivers_exactly_once(db_url: str, gateway: Any,
                                                        mode: tuple[str, str | None]) -> None:
    receiver: Receiver = gateway([503, 503])
    message = called()
    run(mode[0], webhook(db_url, receiver), [message], mode[1])
    assert [r["status"] for r in receiver.requests] == [503, 503, 200]
    assert receiver.delivered == 1
    for request in receiver.requests:
        assert verify_signature(WEBHOOK_SECRET, request["body"], request["headers"][SIGNATURE_HEADER.lower()])
        assert not verify_signature("wrong", request["body"], request["headers"][SIGNATURE_HEADER.lower()])
        assert request["headers"][IDEMPOTENCY_HEADER.lower()] == message.key
    assert json.loads(receiver.requests[-1]["body"]) == {"key": message.key, "kind": "called", "to": PHONE,
                                                         "text": message.text, "hall": HALL}
    [row] = rows(db_url)
    assert (row["status"], row["attempts"], row["error"]) == ("sent", 3, None)

    run(mode[0], webhook(db_url, receiver), [message], mode[1])  # already sent: nothing more goes out
    assert len(receiver.requests) == 3
    assert rows(db_url)[0]["attempts"] == 3


def test_webhook_4xx_fails_for_good_without_retrying(db_url: str, gateway: Any,
                                                     mode: tuple[str, str | None]) -> None:
    receiver: Receiver = gateway([400])
    run(mode[0], webhook(db_url, receiver), [called(), called()], mode[1])
    assert len(receiver.requests) == 1
    [row] = rows(db_url)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "400" in row["error"]


def test_webhook_429_and_unreachable_are_retried_until_the_limit(db_url: str, gateway: Any) -> None:
    receiver: Receiver = gateway([429, 429, 429, 429, 429])
    assert deliver(called().to_dict(), db_url, receiver.url, WEBHOOK_SECRET, **FAST) == "failed"
    assert len(receiver.requests) == ATTEMPTS
    assert rows(db_url)[0]["attempts"] == ATTEMPTS

    closed = f"http://127.0.0.1:{_closed_port()}/sms"
    other = called("t-9", "A099", 1)
    assert deliver(other.to_dict(), db_url, closed, WEBHOOK_SECRET, **FAST) == "failed"
    row = rows(db_url)[1]
    assert (row["status"], row["attempts"]) == ("failed", ATTEMPTS)
    assert "Connect" in row["error"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_concurrent_duplicates_send_once(db_url: str, gateway: Any) -> None:
    receiver: Receiver = gateway([], delay=0.3)
    message = called()
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(
        deliver(message.to_dict(), db_url, receiver.url, WEBHOOK_SECRET, **FAST)))
        for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(receiver.requests) == 1


# ---------------------------------------------------------------- notify(): async, never raising
class _Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def test_notify_queues_through_the_settings_runner(db_url: str) -> None:
    settings = Settings(db_url, None, SECRET, True, "NORMAL", "warning")
    assert asyncio.run(notify(_Context(settings), called())) is True
    deadline = time.monotonic() + 10
    while not (stored := rows(db_url)) or stored[0]["status"] != "sent":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_notify_never_raises_when_the_queue_is_down(db_url: str) -> None:
    runner = RqRunner(f"redis://127.0.0.1:{_closed_port()}/0", DeliveryConfig(db_url))
    assert asyncio.run(notify(runner, called())) is False


# ---------------------------------------------------------------- settings and the dashboard route
def test_settings() -> None:
    base = {"SECRET_KEY": "x" * 32}
    settings = load_settings(base)
    assert (settings.notify_webhook_url, settings.notify_ahead) == (None, 3)
    settings = load_settings({**base, "ONEWINDOW_NOTIFY_WEBHOOK_URL": "https://sms.example/hook",
                              "ONEWINDOW_NOTIFY_WEBHOOK_SECRET": "s", "ONEWINDOW_NOTIFY_AHEAD": "5"})
    assert (settings.notify_webhook_secret, settings.notify_ahead) == ("s", 5)
    for bad in ({"ONEWINDOW_NOTIFY_WEBHOOK_URL": "https://sms.example/hook"},
                {"ONEWINDOW_NOTIFY_WEBHOOK_URL": "ftp://x", "ONEWINDOW_NOTIFY_WEBHOOK_SECRET": "s"},
                {"ONEWINDOW_NOTIFY_AHEAD": "many"}, {"ONEWINDOW_NOTIFY_AHEAD": "0"}):
        with pytest.raises(SettingsError):
            load_settings({**base, **bad})


def test_dashboard_lists_notifications_for_managers(sqlite_url: str) -> None:
    from starlette.testclient import TestClient

    from server.app import create_app
    from tests.api.conftest import login, seed

    seed(sqlite_url)
    db_url = sqlite_url
    # one after the other: the embedded runner delivers in parallel, and the list is newest first
    run("embedded", DeliveryConfig(db_url), [called("t-1", "A001", 1)], None)
    run("embedded", DeliveryConfig(db_url), [called("t-2", "A002", 2)], None)
    settings = Settings(db_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        path = f"/api/v1/halls/{HALL}/notifications"
        assert client.get(path).status_code == 401
        assert client.get(path, headers=login(client, "clerk01")).status_code == 403
        manager = login(client, "manager")
        assert client.get("/api/v1/halls/nowhere/notifications", headers=manager).status_code == 404
        response = client.get(path, headers=manager)
        assert response.status_code == 200, response.text
        listed = response.json()
        assert [n["key"] for n in listed] == ["called:t-2", "called:t-1"]
        assert listed[0]["to_phone"] == "138****1234" and listed[0]["status"] == "sent"
        assert listed[0]["created_at"].endswith("+08:00")
        assert len(client.get(path + "?limit=1", headers=manager).json()) == 1
        bad = client.get(path + "?limit=0", headers=manager)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "limit"


def test_at_most_once_on_each_backend(database_url: str, gateway: Any) -> None:
    """The insert-once and the claim are plain SQL on SQLite and PostgreSQL alike."""
    db = open_database(database_url)
    migrate(db)
    with db.writer.begin() as conn:
        load_demo(conn)
    db.dispose()
    receiver: Receiver = gateway([503], delay=0.2)
    message = called()
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(
        deliver(message.to_dict(), database_url, receiver.url, WEBHOOK_SECRET, **FAST))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped", "skipped"]
    assert [r["status"] for r in receiver.requests] == [503, 200]
    [row] = rows(database_url)
    assert (row["status"], row["attempts"], row["to_phone"]) == ("sent", 2, "138****1234")
