"""Setting a hall up over CONTRACT v2's API and command line: queues and counters created, changed
and retired with the CONTRACT's answers, screens told at once, the layout kept across a restart,
every change audited; and an empty hall made by `onewindow hall create`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings

from .conftest import KIOSK, SECRET, login, seed

HALL = "/api/v1/halls/jinan"


def test_a_manager_adds_a_theme_and_a_counter_that_serves_it(client: TestClient) -> None:
    manager = login(client, "manager")
    with client.websocket_connect("/ws/halls/jinan/display") as wall:
        assert wall.receive_json()["type"] == "snapshot"
        created = client.put(f"{HALL}/queues/E", json={"name": "公安服务类"}, headers=manager)
        assert created.status_code == 201 and created.json() == {"code": "E", "name": "公安服务类", "position": 8}
        told = wall.receive_json()
        assert told["type"] == "hall.changed" and told["hall"] == "jinan"
        assert {"code": "E", "name": "公安服务类"} in told["queues"]
    assert client.put(f"{HALL}/queues/E", json={"name": "公安类"}, headers=manager).status_code == 200
    counter = client.put(f"{HALL}/counters/13", json={"queues": ["e", "A"]}, headers=manager)
    assert counter.status_code == 201 and counter.json() == {"number": 13, "name": "13号窗口", "queues": ["E", "A"]}
    info = client.get(HALL).json()
    assert {"code": "E", "name": "公安类"} in info["queues"]
    assert {"number": 13, "name": "13号窗口", "queues": ["E", "A"]} in info["counters"]
    ticket = client.post(f"{HALL}/tickets", json={"queue": "E"}, headers=KIOSK)
    assert ticket.status_code == 201 and ticket.json()["number"] == "E001"
    assert client.post(f"{HALL}/counters/13/open", headers=manager).status_code == 200
    called = client.post(f"{HALL}/counters/13/call-next", headers=manager)
    assert called.status_code == 200 and called.json()["number"] == "E001"


def test_a_queue_moves_in_the_order_screens_show(client: TestClient) -> None:
    manager = login(client, "manager")
    moved = client.put(f"{HALL}/queues/Z", json={"name": "咨询", "position": 1}, headers=manager)
    assert moved.status_code == 200 and moved.json()["position"] == 1
    assert [q["code"] for q in client.get(HALL).json()["queues"]] == ["Z", "A", "B", "C", "D", "L", "V"]
    client.put(f"{HALL}/queues/Z", json={"name": "咨询", "position": 99}, headers=manager)  # past the end: last
    assert [q["code"] for q in client.get(HALL).json()["queues"]] == ["A", "B", "C", "D", "L", "V", "Z"]
    renamed = client.put(f"{HALL}/queues/A", json={"name": "社会事务类"}, headers=manager)  # no position: stays
    assert renamed.json() == {"code": "A", "name": "社会事务类", "position": 1}
    assert client.put(f"{HALL}/queues/A", json={"name": "x", "position": 0}, headers=manager).status_code == 422


def test_the_contracts_refusals(client: TestClient) -> None:
    manager, clerk = login(client, "manager"), login(client, "clerk01")
    assert client.put(f"{HALL}/queues/E", json={"name": "公安服务类"}, headers=clerk).status_code == 403
    assert TestClient(client.app).put(f"{HALL}/queues/E", json={"name": "x"}).status_code == 401  # no cookie either
    assert client.put(f"{HALL}/queues/e1", json={"name": "x"}, headers=manager).status_code == 422
    unknown = client.put(f"{HALL}/counters/13", json={"queues": ["A", "Q"]}, headers=manager)
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "queues"
    assert "Q" in unknown.json()["error"]["message"]
    assert client.post(f"{HALL}/tickets", json={"queue": "C"}, headers=KIOSK).status_code == 201
    waiting = client.delete(f"{HALL}/queues/C", headers=manager)
    assert waiting.status_code == 409 and "等候" in waiting.json()["error"]["message"]
    assert client.delete(f"{HALL}/queues/D", headers=manager).status_code == 409  # counters 9 and 10 serve it
    assert client.delete(f"{HALL}/queues/Q", headers=manager).status_code == 404
    assert client.post(f"{HALL}/counters/12/open", headers=manager).status_code == 200
    assert client.delete(f"{HALL}/counters/12", headers=manager).status_code == 409
    assert client.post(f"{HALL}/counters/12/close", headers=manager).status_code == 200
    assert client.delete(f"{HALL}/counters/12", headers=manager).status_code == 204
    assert client.delete(f"{HALL}/counters/12", headers=manager).status_code == 404
    assert 12 not in {c["number"] for c in client.get(HALL).json()["counters"]}
    assert client.put("/api/v1/halls/nowhere/queues/A", json={"name": "x"},
                      headers=login(client, "admin")).status_code == 404


def test_the_layout_outlives_a_restart_and_is_audited(database_url: str) -> None:
    seed(database_url)
    settings = Settings(database_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings)) as first:
        manager = login(first, "manager")
        first.put(f"{HALL}/queues/E", json={"name": "公安服务类"}, headers=manager)
        first.put(f"{HALL}/counters/13", json={"queues": ["E"], "name": "公安窗口"}, headers=manager)
        first.put(f"{HALL}/counters/11", json={"queues": ["Z", "L"]}, headers=manager)
        assert first.post(f"{HALL}/counters/13/open", headers=manager).status_code == 200
    with TestClient(create_app(settings)) as second:
        info = second.get(HALL).json()
        assert {"number": 13, "name": "公安窗口", "queues": ["E"]} in info["counters"]
        assert {"number": 11, "name": "11号窗口", "queues": ["Z", "L"]} in info["counters"]
        snapshot = {c["number"]: c for c in second.get(f"{HALL}/snapshot").json()["counters"]}
        assert snapshot[13]["status"] == "idle"  # still open after the restart
        trail = second.get("/api/v1/audit?action=counter.set", headers=login(second, "manager")).json()["entries"]
        changed = next(e for e in trail if e["target"] == "counter 11")
        assert changed["sentence"].endswith("在11号窗口设置了窗口（队列：Z、L；修改前：11号窗口，办理 L、Z；"
                                            "修改后：11号窗口，办理 Z、L）。"), changed["sentence"]


def test_hall_create_makes_an_empty_hall(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ONEWINDOW_DEMO")}
    env = {**base, "DATABASE_URL": f"sqlite:///{tmp_path}/ow.db", "SECRET_KEY": SECRET}

    def onewindow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, env=env,
                              timeout=60)

    assert onewindow("migrate").returncode == 0
    made = onewindow("hall", "create", "xinhall", "--name", "新区行政服务中心")
    assert made.returncode == 0, made.stderr
    bad = onewindow("hall", "create", "新", "--name", "x")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "code" in bad.stderr
    assert onewindow("hall", "create", "xinhall", "--name", "新区政务服务中心").returncode == 0
    with TestClient(create_app(Settings(env["DATABASE_URL"], None, SECRET, False, "NORMAL", "warning"))) as app:
        info = app.get("/api/v1/halls/xinhall").json()
        assert {k: info[k] for k in ("code", "name", "queues", "counters")} == {
            "code": "xinhall", "name": "新区政务服务中心", "queues": [], "counters": []}
        assert info["opening_hours"]["workday"] == []  # open whenever the kiosks are on, until set
        assert app.get("/api/v1/halls/xinhall/items").json() == []


def test_an_admin_creates_an_empty_hall_from_the_api(client: TestClient) -> None:
    manager = login(client, "manager")
    assert client.put("/api/v1/halls/xinhall", json={"name": "新区中心"}, headers=manager).status_code == 403
    admin = login(client, "admin")  # the client keeps the last sign-in's session cookie
    made = client.put("/api/v1/halls/xinhall", json={"name": "新区中心"}, headers=admin)
    assert made.status_code == 201 and made.json() == {"code": "xinhall", "name": "新区中心", "queues": [],
                                                       "counters": []}
    assert client.get("/api/v1/halls/xinhall").json()["queues"] == []
    assert client.get("/api/v1/halls/xinhall/items").json() == []
    assert client.put("/api/v1/halls/xinhall", json={"name": "新区中心"}, headers=admin).status_code == 200
    bad = client.put("/api/v1/halls/Xin Hall", json={"name": "x"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "code"
    page = client.get("/admin", headers=admin)  # the session cookie of the sign-in
    assert page.status_code == 200 and "新区中心" in page.text and "晋安区行政服务中心" in page.text
