"""Messages to departments, end to end: the app with a FakeClock on SQLite, each department's webhook a
real HTTP receiver on a free loopback port, delivery by the embedded runner (and once by a real rq worker
on the Redis at 127.0.0.1:6379, database 3). What a department's system sees: one signed POST per
message, in Chinese, never the applicant's name or numbers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rq import Worker
from starlette.testclient import TestClient
from stdnum.cn import ric

from server.app import create_app
from server.domain.clock import FakeClock
from server.jobs.department_delivery import NoticeConfig, RqNotices
from server.jobs.department_notify import DepartmentNotifier, notify_department
from server.jobs.providers import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify_signature
from server.settings import Settings
from server.store import department_notices as store
from server.store.db import open_database
from tests.api.conftest import SECRET, login, seed
from tests.jobs.conftest import Receiver

HALL = "/api/v1/halls/jinan"
AT_0950 = datetime(2026, 11, 25, 1, 50, tzinfo=UTC)  # Wednesday 09:50 in the hall
SCJG_SECRET = "scjg-webhook-secret-0123456789"


def idn(i: int) -> str:
    body = f"11010519800101{i:03d}"
    return body + ric.calc_check_digit(body + "0")


# ---------------------------------------------------------------- a department's receiving system
@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Every department's system behind one local server, one path each (/scjg, /swj, …)."""
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def hall(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, FakeClock]]:
    seed(sqlite_url)
    clock = FakeClock(AT_0950)
    settings = replace(Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning"),
                       upload_dir=str(tmp_path / "uploads"))
    with TestClient(create_app(settings, clock), base_url="http://testserver") as client:
        yield client, clock


def webhook(client: TestClient, headers: dict[str, str], department: str, body: dict[str, Any]) -> Any:
    return client.put(f"{HALL}/departments/{department}/webhook", json=body, headers=headers)


def receive(client: TestClient, clerk: dict[str, str], item: str, i: int, **more: Any) -> dict[str, Any]:
    response = client.post(f"{HALL}/cases", headers=clerk, json={
        "item": item, "applicant": {"name": "王小明", "id_number": idn(i), "phone": "13912345678"}, **more})
    assert response.status_code == 201, response.text
    return dict(response.json())


def counter_clerk(client: TestClient) -> dict[str, str]:
    clerk = login(client, "clerk04")
    assert client.post(f"{HALL}/counters/4/open", headers=clerk).status_code == 200
    return clerk


def notices(client: TestClient, headers: dict[str, str], department: str) -> list[dict[str, Any]]:
    response = client.get(f"{HALL}/departments/{department}/notifications", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["notifications"])


def settled(client: TestClient, headers: dict[str, str], department: str, count: int,
            wait: float = 10.0) -> list[dict[str, Any]]:
    """The department's list once ``count`` entries are no longer pending (delivery runs in the background)."""
    deadline = time.monotonic() + wait
    while True:
        rows = notices(client, headers, department)
        if len([r for r in rows if r["status"] != "pending"]) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


# ---------------------------------------------------------------- tests
def test_only_the_halls_managers_set_a_departments_webhook(hall: tuple[TestClient, FakeClock],
                                                            receiver: Receiver) -> None:
    client, _ = hall
    manager = login(client, "manager")
    url = f"{receiver.base}/scjg"
    assert webhook(client, login(client, "clerk04"), "SCJG", {"url": url}).status_code == 403
    assert webhook(client, login(client, "dept-scjg"), "SCJG", {"url": url}).status_code == 403
    refused = webhook(client, manager, "SCJG", {"url": "ftp://example.invalid/in"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "url"
    short = webhook(client, manager, "SCJG", {"url": url, "secret": "short"})
    assert short.status_code == 422 and short.json()["error"]["field"] == "secret"
    assert webhook(client, manager, "NOSUCH", {"url": url}).status_code == 404

    made = webhook(client, manager, "SCJG", {"url": url})
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]  # generated, shown this once
    assert len(secret) >= 32 and made.json()["url"] == url
    shown = client.get(f"{HALL}/departments/SCJG/webhook", headers=manager).json()
    assert shown["url"] == url and shown["has_secret"] is True and "secret" not in shown
    again = webhook(client, manager, "SCJG", {"url": url + "/v2"})  # the secret is kept
    assert again.status_code == 200 and "secret" not in again.json()
    assert client.delete(f"{HALL}/departments/SCJG/webhook", headers=manager).status_code == 204
    assert client.get(f"{HALL}/departments/SCJG/webhook", headers=manager).status_code == 404

    # the audit trail says who set it, the address's host only, never the secret
    said = [e["sentence"] for e in client.get("/api/v1/audit?hall=jinan&action=department", headers=manager
                                              ).json()["entries"]]
    assert any("设置了部门的消息推送地址" in s and "区市场监管局的消息推送地址：无 → http://127.0.0.1:" in s
               for s in said)
    assert any("取消了部门的消息推送地址" in s for s in said)
    assert not any(secret in s or "/scjg" in s for s in said)


def test_each_department_of_a_new_case_gets_a_signed_message(hall: tuple[TestClient, FakeClock],
                                                              receiver: Receiver) -> None:
    client, _ = hall
    manager = login(client, "manager")
    assert webhook(client, manager, "SCJG", {"url": f"{receiver.base}/scjg", "secret": SCJG_SECRET}
                   ).status_code == 201
    swj_secret = webhook(client, manager, "SWJ", {"url": f"{receiver.base}/swj"}).json()["secret"]
    clerk = counter_clerk(client)
    case = receive(client, clerk, "B02", 1, departments=["SWJ"])  # 联审联办: 区市场监管局 leads, 区税务局 too
    receipt = case["receipt_no"]

    for path, department, secret in (("/scjg", "SCJG", SCJG_SECRET), ("/swj", "SWJ", swj_secret)):
        [got] = receiver.at(path)
        assert verify_signature(secret, got["body"], got["headers"][SIGNATURE_HEADER.lower()])
        message = got["json"]
        assert got["headers"][IDEMPOTENCY_HEADER.lower()] == message["key"]
        assert (message["kind"], message["hall"], message["department"]) == ("new_case", "jinan", department)
        assert message["text"] == (f"【晋安区行政服务中心】新办件 {receipt} 有限责任公司设立登记"
                                   f"（联审联办，牵头部门：区市场监管局），请于 2026-11-30 前办结。")
        assert message["payload"]["receipt_no"] == receipt and message["payload"]["due_at"] == "2026-11-30"
        assert "王" not in got["body"].decode() and "1391234" not in got["body"].decode()

    # the workbench's list: a department sees its own, the hall's managers every department's
    dept = login(client, "dept-scjg")
    [mine] = settled(client, dept, "SCJG", 1)
    assert (mine["kind"], mine["status"], mine["attempts"], mine["receipt_no"]) == ("new_case", "sent", 1, receipt)
    assert client.get(f"{HALL}/departments/SWJ/notifications", headers=dept).status_code == 403
    assert [n["kind"] for n in settled(client, manager, "SWJ", 1)] == ["new_case"]

    # a later step of the same case tells nobody again; an incomplete application tells nobody yet
    assert client.post(f"/api/v1/cases/{receipt}/events", json={"status": "in_review"}, headers=dept).status_code == 200
    receive(client, clerk, "B02", 2, materials_missing=["公司章程"])
    time.sleep(0.3)
    assert len(receiver.requests) == 2


def test_a_department_without_a_webhook_finds_the_message_on_its_list(hall: tuple[TestClient, FakeClock]) -> None:
    client, _ = hall
    case = receive(client, counter_clerk(client), "B01", 3)
    [kept] = settled(client, login(client, "dept-scjg"), "SCJG", 1)
    assert kept["status"] == "kept" and kept["receipt_no"] == case["receipt_no"]
    assert kept["text"] == (f"【晋安区行政服务中心】新办件 {case['receipt_no']} 个体工商户设立登记，"
                            "请于 2026-11-26 前办结。")


def test_a_failing_webhook_is_retried_and_a_refusing_one_is_not(hall: tuple[TestClient, FakeClock],
                                                                 receiver: Receiver) -> None:
    client, _ = hall
    manager = login(client, "manager")
    receiver.scripts = {"/scjg": [503], "/swj": [410]}
    webhook(client, manager, "SCJG", {"url": f"{receiver.base}/scjg", "secret": SCJG_SECRET})
    webhook(client, manager, "SWJ", {"url": f"{receiver.base}/swj"})
    receive(client, counter_clerk(client), "B02", 4, departments=["SWJ"])
    tries = receiver.at("/scjg", count=2)
    assert [r["status"] for r in tries] == [503, 200]
    assert tries[0]["headers"][IDEMPOTENCY_HEADER.lower()] == tries[1]["headers"][IDEMPOTENCY_HEADER.lower()]
    [scjg] = settled(client, manager, "SCJG", 1)
    assert (scjg["status"], scjg["attempts"]) == ("sent", 2)
    [swj] = settled(client, manager, "SWJ", 1)
    assert (swj["status"], swj["attempts"]) == ("failed", 1) and "410" in swj["error"]
    assert len(receiver.at("/swj", wait=0.5, count=2)) == 1  # a refusal is final


def test_the_daily_job_tells_each_department_of_its_cases_due_tomorrow_once(hall: tuple[TestClient, FakeClock],
                                                                            receiver: Receiver) -> None:
    client, clock = hall
    manager = login(client, "manager")
    webhook(client, manager, "SCJG", {"url": f"{receiver.base}/scjg", "secret": SCJG_SECRET})
    clerk = counter_clerk(client)
    due = receive(client, clerk, "B01", 5)  # 1 working day: due Thursday 2026-11-26
    decided = receive(client, clerk, "B01", 6)
    receive(client, clerk, "B02", 7)  # due Monday: not yet
    dept = login(client, "dept-scjg")
    assert client.post(f"/api/v1/cases/{decided['receipt_no']}/events", json={"status": "approved"},
                       headers=dept).status_code == 200
    receiver.at("/scjg", count=3)  # the three new-case messages

    context = client.app_state["ctx"]
    portal = client.portal
    assert portal is not None
    notifier = DepartmentNotifier(context)
    clock.advance(-3 * 3600)  # 06:50: before office hours, nobody is told yet
    assert portal.call(notifier.due_tomorrow) == 0
    clock.advance(3 * 3600)
    assert portal.call(notifier.due_tomorrow) == 1
    assert portal.call(notifier.due_tomorrow) == 0  # once
    assert portal.call(DepartmentNotifier(context).due_tomorrow) == 0  # another process: the key is told already
    tomorrow = [r for r in receiver.at("/scjg", count=4) if r["json"]["kind"] == "due_tomorrow"]
    time.sleep(0.3)
    assert len([r for r in receiver.requests if r["json"]["kind"] == "due_tomorrow"]) == 1
    assert tomorrow[0]["json"]["text"] == (f"【晋安区行政服务中心】办件 {due['receipt_no']} 个体工商户设立登记"
                                           f"，明天（2026-11-26）到期，请及时办结。")


def test_notify_department_is_how_other_parts_tell_a_department(hall: tuple[TestClient, FakeClock],
                                                               receiver: Receiver) -> None:
    """What online pre-review calls when an application waits for a department's pre-review."""
    client, _ = hall
    webhook(client, login(client, "manager"), "SCJG", {"url": f"{receiver.base}/scjg", "secret": SCJG_SECRET})
    context = client.app_state["ctx"]
    portal = client.portal
    assert portal is not None
    payload = {"ref": "YS20261125001", "item_name": "食品经营许可证核发", "due_at": "2026-11-27"}
    assert portal.call(notify_department, context, "jinan", "SCJG", "prereview", payload) is True
    assert portal.call(notify_department, context, "jinan", "SCJG", "prereview", payload) is False  # once per ref
    [got] = receiver.at("/scjg")
    assert got["json"]["text"] == ("【晋安区行政服务中心】网上预审 YS20261125001 食品经营许可证核发，"
                                   "请于 2026-11-27 前完成预审。")
    with pytest.raises(ValueError):
        portal.call(notify_department, context, "jinan", "SCJG", "gossip", payload)


def test_an_online_application_tells_its_department_to_pre_review_it(hall: tuple[TestClient, FakeClock],
                                                                     receiver: Receiver) -> None:
    client, clock = hall
    manager = login(client, "manager")
    webhook(client, manager, "RSJ", {"url": f"{receiver.base}/rsj", "secret": SCJG_SECRET})
    item = next(i for i in client.get(f"{HALL}/items").json() if i["code"] == "A04")  # 区人社局
    body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    assert client.put(f"{HALL}/items/A04", headers=manager, json={**body, "online": True, "star": 3}).status_code == 200
    client.cookies.clear()  # the visitor is nobody
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    applied = client.post(f"{HALL}/applications", data={"item": "A04", "name": "王小明", "id_number": idn(9),
                                                        "phone": "13812345678"},
                          files=[("m0", ("身份证.pdf", pdf, "application/pdf")),
                                 ("m1", ("照片.pdf", pdf, "application/pdf"))])
    assert applied.status_code == 201, applied.text
    number = applied.json()["id"]

    context = client.app_state["ctx"]
    portal = client.portal
    assert portal is not None
    notifier = DepartmentNotifier(context)
    assert portal.call(notifier.prereviews) == 1  # Wednesday: due Friday, not near yet
    assert portal.call(notifier.prereviews) == 0
    [got] = receiver.at("/rsj")
    assert got["json"]["kind"] == "prereview" and got["json"]["payload"]["application_id"] == number
    assert got["json"]["text"] == (f"【晋安区行政服务中心】网上预审 {number}号 就业创业证申领，"
                                   "请于 2026-11-27 前完成预审。")
    assert "王" not in got["body"].decode()
    clock.advance(86400)  # Thursday: the limit is the next working day
    assert portal.call(notifier.prereviews) == 1
    near = receiver.at("/rsj", count=2)[-1]["json"]
    assert near["kind"] == "prereview_due"
    assert near["text"] == (f"【晋安区行政服务中心】网上预审 {number}号 就业创业证申领 "
                            "将于 2026-11-27 到期，请尽快预审。")


# ---------------------------------------------------------------- rq
def test_rq_workers_deliver_with_the_same_retries(sqlite_url: str, receiver: Receiver, redis_url: str) -> None:
    seed(sqlite_url)
    receiver.scripts = {"/scjg": [500, 502]}
    db = open_database(sqlite_url)
    now = datetime.now(UTC)
    with db.writer.begin() as conn:
        store.put_webhook(conn, "jinan", "SCJG", f"{receiver.base}/scjg", SCJG_SECRET, "manager", now)
        assert store.record(conn, hall="jinan", department="SCJG", kind="new_case", ref="JA1",
                            text="【测试】新办件 JA1", payload={"receipt_no": "JA1"}, key="dept:new_case:SCJG:JA1",
                            now=now)
    config = NoticeConfig(sqlite_url, max_attempts=4, base_delay=0.01, timeout=5.0)
    runner = RqNotices(redis_url, config, queue_name=f"onewindow-test-{uuid.uuid4().hex}")
    try:
        runner.enqueue("dept:new_case:SCJG:JA1")
        runner.enqueue("dept:new_case:SCJG:JA1")  # twice: sent once
        Worker([runner.queue], connection=runner.redis).work(burst=True)
    finally:
        runner.queue.delete(delete_jobs=True)
        runner.close()
    assert [r["status"] for r in receiver.requests] == [500, 502, 200]
    with db.reader.connect() as conn:
        row = store.by_key(conn, "dept:new_case:SCJG:JA1")
    db.dispose()
    assert row is not None and (row["status"], row["attempts"]) == ("sent", 3)
