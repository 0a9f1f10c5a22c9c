"""A hall's devices, set up from the browser by its manager (issue 18, "Devices"): a device token is
issued (the secret shown once, with the address the device opens once), works as that device at
once, is listed with when it was last seen, renamed, rebound to another counter and revoked; the
counters an agent drives are set here too. Each change is in the audit trail in Chinese, never the
token. Only the hall's managers and admins may; every refusal names the field."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.auth import hash_password
from server.demo import DEMO_PASSWORD
from server.services.layout import create_hall
from server.store import accounts
from server.store.db import open_database

from .conftest import KIOSK, SECRET, login, serve

HALL = "/api/v1/halls/jinan"
TOKENS = f"{HALL}/tokens"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The demo hall on each backend, and a second hall, 历下区, with a manager of its own."""
    gen = serve(database_url)
    app = next(gen)
    db = open_database(database_url)
    with db.writer.begin() as conn:
        create_hall(conn, "lixia", "历下区政务服务大厅")
        accounts.upsert_user(conn, "lixia-manager", hash_password(DEMO_PASSWORD), "manager", "lixia", None)
    db.dispose()
    yield app
    gen.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(client: TestClient, who: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(TOKENS, json=body, headers=who)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def listed(client: TestClient, who: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = client.get(TOKENS, headers=who)
    assert response.status_code == 200, response.text
    return {t["id"]: t for t in response.json()["tokens"]}


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def page_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def trail(client: TestClient, who: dict[str, str], action: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit", params={"action": action}, headers=who)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_a_kiosk_token_issued_by_the_manager_works_as_that_kiosk_and_is_seen(client: TestClient) -> None:
    manager = login(client, "manager")
    kiosk = issue(client, manager, kind="kiosk", name=" 东门取号机 ")
    assert (kiosk["kind"], kiosk["name"], kiosk["counter"]) == ("kiosk", "东门取号机", None)
    token = kiosk["token"]
    assert len(token) >= 32 and kiosk["id"] == accounts.token_hash(token)[:12]
    assert kiosk["setup_url"] == f"http://testserver/kiosk/jinan?token={token}"
    assert kiosk["qr_svg"].lstrip().startswith(("<?xml", "<svg")) and "</svg>" in kiosk["qr_svg"]
    before = listed(client, manager)[kiosk["id"]]
    assert before["name"] == "东门取号机" and before["last_seen"] is None and before["created_at"]
    assert token not in client.get(TOKENS, headers=manager).text  # the secret is shown once, never listed

    # the kiosk opens its setup address once: the page keeps the token and comes up as that kiosk
    setup = client.get(f"/kiosk/jinan?token={token}", follow_redirects=False)
    assert setup.status_code == 303 and setup.headers["location"] == "/kiosk/jinan"
    page = client.get("/kiosk/jinan")  # with the cookie the setup address left
    assert page.status_code == 200 and page_data(page.text)["kiosk"] == "东门取号机"
    ticket = client.post(f"{HALL}/tickets", json={"queue": "A"}, headers=bearer(token))
    assert ticket.status_code == 201, ticket.text
    seen = listed(client, manager)[kiosk["id"]]
    assert seen["last_seen"] is not None and when(seen["last_seen"]) >= when(seen["created_at"])
    assert when(client.get(TOKENS, headers=manager).json()["now"]) >= when(seen["last_seen"])

    entry = trail(client, manager, "token")[0]
    assert entry["action"] == "token.create" and "东门取号机" in entry["sentence"] and "签发" in entry["sentence"]
    assert token not in str(entry)


def test_display_counter_tablet_and_agent_tokens(client: TestClient) -> None:
    manager = login(client, "manager")
    display = issue(client, manager, kind="display", name="二楼大屏")
    assert display["setup_url"] == f"http://testserver/display/jinan?token={display['token']}"
    with client.websocket_connect(f"/ws/halls/jinan/display?token={display['token']}") as wall:
        assert wall.receive_json()["type"] == "snapshot"  # a display token of this hall is accepted
    assert listed(client, manager)[display["id"]]["last_seen"] is not None

    tablet = issue(client, manager, kind="counter", name="3号窗评价器", counter=3)
    assert tablet["counter"] == 3
    assert tablet["setup_url"] == f"http://testserver/counter/jinan/3/rate?token={tablet['token']}"
    assert client.get(f"{HALL}/counters/3/rating", headers=bearer(tablet["token"])).status_code == 200
    assert client.get(f"{HALL}/counters/4/rating", headers=bearer(tablet["token"])).status_code == 403
    rate_page = client.get(f"/counter/jinan/3/rate?token={tablet['token']}", follow_redirects=False)
    assert rate_page.status_code == 303

    agent = issue(client, manager, kind="agent", name="counter-pc-9")
    assert agent["setup_url"] is None and agent["qr_svg"] is None  # it goes into the agent's configuration file
    assert f'token = "{agent["token"]}"' in agent["config"] and 'server = "http://testserver"' in agent["config"]
    row = listed(client, manager)[agent["id"]]
    assert row["kind"] == "agent" and row["counters"] == [] and row["last_seen"] is None


def test_rename_rebind_and_revoke(client: TestClient) -> None:
    manager = login(client, "manager")
    tablet = issue(client, manager, kind="counter", name="评价器甲", counter=3)
    path = f"{TOKENS}/{tablet['id']}"
    renamed = client.patch(path, json={"name": "3号窗口评价器"}, headers=manager)
    assert renamed.status_code == 200, renamed.text
    assert {k: renamed.json()[k] for k in ("id", "name", "counter")} == {
        "id": tablet["id"], "name": "3号窗口评价器", "counter": 3}
    rebound = client.patch(path, json={"counter": 5}, headers=manager)
    assert rebound.status_code == 200 and rebound.json()["counter"] == 5
    assert client.get(f"{HALL}/counters/5/rating", headers=bearer(tablet["token"])).status_code == 200
    assert client.get(f"{HALL}/counters/3/rating", headers=bearer(tablet["token"])).status_code == 403
    assert listed(client, manager)[tablet["id"]]["name"] == "3号窗口评价器"

    entries = trail(client, manager, "token.update")
    assert len(entries) == 2
    rebind, rename = entries  # newest first
    assert rename["detail"]["before"].endswith("“评价器甲”，绑定3号窗口")
    assert rename["detail"]["after"].endswith("“3号窗口评价器”，绑定3号窗口")
    assert "5号窗口" in rebind["detail"]["after"] and "3号窗口" in rebind["detail"]["before"]
    assert "修改前" in rebind["sentence"] and "修改后" in rebind["sentence"]
    assert all(tablet["token"] not in str(e) for e in entries)

    revoked = client.delete(path, headers=manager)
    assert revoked.status_code == 204
    refused = client.get(f"{HALL}/counters/5/rating", headers=bearer(tablet["token"]))
    assert refused.status_code == 401
    assert tablet["id"] not in listed(client, manager)
    assert client.patch(path, json={"name": "x"}, headers=manager).status_code == 404
    entry = trail(client, manager, "token.delete")[0]
    assert "吊销" in entry["sentence"] and "3号窗口评价器" in entry["detail"]["before"]


def test_the_counters_an_agent_drives_are_set_here(client: TestClient) -> None:
    manager = login(client, "manager")
    agent = issue(client, manager, kind="agent", name="counter-pc-9")
    path = f"{HALL}/agents/counter-pc-9/counters"
    saved = client.put(path, json={"counters": [5, 4, 4]}, headers=manager)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"name": "counter-pc-9", "counters": [4, 5]}
    assert listed(client, manager)[agent["id"]]["counters"] == [4, 5]

    with client.websocket_connect(f"/ws/agent?token={agent['token']}") as socket:
        socket.send_json({"type": "hello", "counters": [4, 5], "devices": {}})
        while (message := socket.receive_json())["type"] != "welcome":
            assert message["type"] == "strip", message  # no error: the hall gave it both
        assert message["counters"] == [4, 5]
        socket.send_json({"type": "heartbeat", "devices": {}})
    assert listed(client, manager)[agent["id"]]["last_seen"] is not None

    unknown = client.put(path, json={"counters": [4, 99]}, headers=manager)
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "counters"
    assert "99" in unknown.json()["error"]["message"]
    nobody = client.put(f"{HALL}/agents/ghost/counters", json={"counters": [1]}, headers=manager)
    assert nobody.status_code == 404 and nobody.json()["error"]["field"] == "name"
    assert client.put(path, json={"counters": []}, headers=manager).json()["counters"] == []

    entries = trail(client, manager, "agent.counters")
    assert len(entries) == 2
    assert entries[1]["detail"] == {**entries[1]["detail"], "before": "无", "after": "4号窗口、5号窗口"}
    assert "设备代理 counter-pc-9" in entries[1]["sentence"] and "4号窗口、5号窗口" in entries[1]["sentence"]
    assert entries[0]["detail"]["after"] == "无"


def test_only_the_halls_managers_and_admins(client: TestClient) -> None:
    manager = login(client, "manager")
    kiosk = issue(client, manager, kind="kiosk", name="东门取号机")
    calls = [("POST", TOKENS, {"kind": "kiosk", "name": "西门取号机"}), ("GET", TOKENS, None),
             ("PATCH", f"{TOKENS}/{kiosk['id']}", {"name": "北门"}),
             ("PUT", f"{HALL}/agents/kiosk-1/counters", {"counters": [1]}),
             ("DELETE", f"{TOKENS}/{kiosk['id']}", None)]
    for who in (login(client, "clerk01"), login(client, "lixia-manager"), KIOSK):
        for method, path, body in calls:
            response = client.request(method, path, json=body, headers=who)
            assert response.status_code == 403, (method, path, response.text)
            assert "管理" in response.json()["error"]["message"]
    for method, path, body in calls:
        assert TestClient(client.app).request(method, path, json=body).status_code == 401
    admin = login(client, "admin")
    assert issue(client, admin, kind="kiosk", name="西门取号机")["name"] == "西门取号机"
    assert client.post("/api/v1/halls/nowhere/tokens", json={"kind": "kiosk", "name": "x"},
                       headers=admin).status_code == 404
    assert client.delete(f"{TOKENS}/{kiosk['id']}", headers=admin).status_code == 204


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"kind": "toaster", "name": "x"}, "kind", "设备类型"),
    ({"kind": "counter", "name": "评价器"}, "counter", "窗口"),
    ({"kind": "counter", "name": "评价器", "counter": 99}, "counter", "99"),
    ({"kind": "kiosk", "name": "取号机", "counter": 3}, "counter", "窗口"),
    ({"kind": "kiosk", "name": "   "}, "name", "名称"),
    ({"kind": "kiosk", "name": "东门/西门"}, "name", "名称"),
    ({"kind": "kiosk", "name": "取" * 41}, "name", "名称"),
])
def test_a_bad_issue_names_the_field(sqlite_client: TestClient, body: dict[str, Any], field: str, says: str) -> None:
    refused = sqlite_client.post(TOKENS, json=body, headers=login(sqlite_client, "manager"))
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["field"] == field and says in error["message"], error


def test_names_are_unique_among_a_kinds_live_tokens(sqlite_client: TestClient) -> None:
    client, manager = sqlite_client, login(sqlite_client, "manager")
    taken = client.post(TOKENS, json={"kind": "kiosk", "name": "kiosk-1"}, headers=manager)  # the demo's kiosk
    assert taken.status_code == 409 and taken.json()["error"]["field"] == "name"
    assert "kiosk-1" in taken.json()["error"]["message"]
    assert issue(client, manager, kind="display", name="kiosk-1")["kind"] == "display"  # another kind: fine
    second = issue(client, manager, kind="kiosk", name="kiosk-2")
    path = f"{TOKENS}/{second['id']}"
    clash = client.patch(path, json={"name": "kiosk-1"}, headers=manager)
    assert clash.status_code == 409 and clash.json()["error"]["field"] == "name"
    assert client.patch(path, json={"counter": 3}, headers=manager).json()["error"]["field"] == "counter"
    assert client.patch(path, json={}, headers=manager).status_code == 422
    assert client.patch(f"{TOKENS}/0123456789ab", json={"name": "x"}, headers=manager).status_code == 404
    assert client.delete(path, headers=manager).status_code == 204
    assert issue(client, manager, kind="kiosk", name="kiosk-2")["name"] == "kiosk-2"  # free again once revoked


def test_the_command_line_issues_through_the_same_rules(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/ow.db"
    from .conftest import seed
    seed(url)
    env = {**{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ONEWINDOW_DEMO")},
           "DATABASE_URL": url, "SECRET_KEY": SECRET}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "server.cli", "token", "add", "--device", *args],
                              capture_output=True, text=True, env=env, timeout=60)

    made = cli("counter", "--hall", "jinan", "--name", "tablet-7", "--counter", "7")
    assert made.returncode == 0, made.stderr
    db = open_database(url)
    with db.reader.connect() as conn:
        holder = accounts.lookup_token(conn, made.stdout.strip().splitlines()[-1])
    db.dispose()
    assert holder is not None
    assert (holder["device_kind"], holder["name"], holder["counter"]) == ("counter", "tablet-7", 7)
    again = cli("counter", "--hall", "jinan", "--name", "tablet-7", "--counter", "7")
    assert again.returncode == 1 and "tablet-7" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    missing = cli("counter", "--hall", "jinan", "--name", "tablet-8")
    assert missing.returncode == 1 and "counter" in missing.stderr
