"""Staff accounts set up from the browser (issue 18): an administrator or a hall's manager adds
staff, changes their role, counter or department, resets a password (the user must change it at
the next sign-in) and disables them; every user changes their own password; weak passwords are
refused in Chinese, naming the field; department accounts belong to one department of their hall."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import hash_password
from server.demo import DEMO_PASSWORD
from server.services.layout import create_hall
from server.settings import Settings
from server.store import accounts, catalog
from server.store.db import open_database

from .conftest import KIOSK, SECRET, login, seed

USERS = "/api/v1/users"
HALL_USERS = "/api/v1/halls/jinan/users"
ME = "/api/v1/me"
CHANGE = "/api/v1/auth/password"
TEMPORARY = "Jinan-window-13x"  # what an administrator hands a new clerk
CHOSEN = "my own quiet harbour 7"  # what the clerk then chooses


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The demo hall, its departments (SCJG, another hall's XMSW) and a manager of another hall."""
    seed(database_url)
    db = open_database(database_url)
    with db.writer.begin() as conn:
        catalog.put_department(conn, "jinan", "SCJG", "区市场监管局")
        catalog.put_department(conn, "jinan", "RSJ", "区人社局")
        create_hall(conn, "xiamen", "厦门市民服务中心")
        catalog.put_department(conn, "xiamen", "XMSW", "厦门市商务局")
        accounts.upsert_user(conn, "far-manager", hash_password(DEMO_PASSWORD), "manager", "xiamen", None)
    db.dispose()
    with TestClient(create_app(Settings(database_url, None, SECRET, True, "NORMAL", "warning")),
                    base_url="http://testserver") as c:
        yield c


def sign_in(client: TestClient, username: str, password: str) -> tuple[dict[str, str], dict[str, Any]]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["user"]


def refusal(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    if field is not None:
        assert error.get("field") == field, error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error  # said in Chinese
    return error


def new_clerk(**more: Any) -> dict[str, Any]:
    return {"username": "clerk13", "password": TEMPORARY, "role": "clerk", "hall": "jinan", "counter": 1,
            "display_name": "林小雨", "staff_no": "JA013", **more}


def test_an_admin_adds_a_clerk_who_changes_the_password_at_the_first_sign_in(client: TestClient) -> None:
    admin = login(client, "admin")
    created = client.post(USERS, json=new_clerk(), headers=admin)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user == {"username": "clerk13", "role": "clerk", "hall": "jinan", "counter": 1, "department": None,
                    "active": True, "must_change_password": True, "display_name": "林小雨", "staff_no": "JA013"}
    assert refusal(client.post(USERS, json=new_clerk(), headers=admin), 409)["code"] == "user_exists"

    listed = client.get(HALL_USERS, headers=login(client, "manager"))
    assert listed.status_code == 200
    staff = {u["username"]: u for u in listed.json()["users"]}
    assert staff["clerk13"] == user and staff["clerk01"]["display_name"] == "林晓燕"
    assert "far-manager" not in staff  # another hall's
    assert "hash" not in listed.text and "password\"" not in listed.text.replace("must_change_password\"", "")

    token, signed = sign_in(client, "clerk13", TEMPORARY)
    assert signed["must_change_password"] is True
    me = client.get(ME, headers=token)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    gated = refusal(client.post("/api/v1/halls/jinan/counters/1/open", headers=token), 403)
    assert gated["code"] == "password_change_required" and "修改密码" in gated["message"]
    assert client.get("/api/v1/halls/jinan").status_code == 200  # public answers stay open

    refusal(client.post(CHANGE, json={"old_password": "not-it-at-all", "new_password": CHOSEN}, headers=token),
            422, "old_password")
    weak = refusal(client.post(CHANGE, json={"old_password": TEMPORARY, "new_password": "clerk13clerk13"},
                               headers=token), 422, "new_password")
    assert "密码" in weak["message"]
    refusal(client.post(CHANGE, json={"old_password": TEMPORARY, "new_password": TEMPORARY}, headers=token),
            422, "new_password")
    changed = client.post(CHANGE, json={"old_password": TEMPORARY, "new_password": CHOSEN}, headers=token)
    assert changed.status_code == 200, changed.text
    assert changed.json()["must_change_password"] is False
    assert client.post("/api/v1/halls/jinan/counters/1/open", headers=token).status_code == 200
    assert client.get(ME, headers=token).json()["must_change_password"] is False
    _, again = sign_in(client, "clerk13", CHOSEN)
    assert again["must_change_password"] is False


def test_the_contracts_refusals_when_adding_staff(client: TestClient) -> None:
    admin, manager = login(client, "admin"), login(client, "manager")
    refusal(client.post(USERS, json=new_clerk(username="李 四"), headers=admin), 422, "username")
    refusal(client.post(USERS, json=new_clerk(username="Clerk13"), headers=admin), 422, "username")
    refusal(client.post(USERS, json=new_clerk(role="boss"), headers=admin), 422, "role")
    refusal(client.post(USERS, json=new_clerk(hall="atlantis"), headers=admin), 422, "hall")
    refusal(client.post(USERS, json=new_clerk(hall=None), headers=admin), 422, "hall")
    refusal(client.post(USERS, json=new_clerk(counter=99), headers=admin), 422, "counter")
    for weak in ("demo1234", "password123", "1234567890", "jinanjinan1", "linxiaoyu2026", "aB3$"):
        said = refusal(client.post(USERS, json=new_clerk(password=weak), headers=admin), 422, "password")
        assert "密码" in said["message"], said
    short = refusal(client.post(USERS, json=new_clerk(password="Zq8#vL2m"), headers=admin), 422, "password")
    assert "10" in short["message"]

    refusal(client.post(USERS, json=new_clerk(role="admin", hall=None, counter=None), headers=manager), 403)
    refusal(client.post(USERS, json=new_clerk(), headers=login(client, "far-manager")), 403)
    refusal(client.post(USERS, json=new_clerk(), headers=login(client, "clerk01")), 403)
    assert TestClient(client.app).post(USERS, json=new_clerk()).status_code == 401  # no cookie either
    assert client.get(HALL_USERS, headers=login(client, "far-manager")).status_code == 403
    assert client.get(HALL_USERS, headers=login(client, "clerk01")).status_code == 403
    assert client.get("/api/v1/halls/atlantis/users", headers=admin).status_code == 404

    mine = client.post(USERS, json=new_clerk(hall=None), headers=manager)  # a manager's hall is their own
    assert mine.status_code == 201 and mine.json()["hall"] == "jinan"
    boss = client.post(USERS, json={"username": "root2", "password": CHOSEN, "role": "admin"}, headers=admin)
    assert boss.status_code == 201 and boss.json()["role"] == "admin"


def test_a_department_account_belongs_to_one_department_of_its_hall(client: TestClient) -> None:
    manager = login(client, "manager")
    account = {"username": "dept-rsj", "password": TEMPORARY, "role": "department", "hall": "jinan"}
    refusal(client.post(USERS, json=account, headers=manager), 422, "department")
    refusal(client.post(USERS, json={**account, "department": "GAJ"}, headers=manager), 422, "department")
    refusal(client.post(USERS, json={**account, "department": "XMSW"}, headers=manager), 422, "department")
    refusal(client.post(USERS, json={**account, "role": "clerk", "department": "RSJ"}, headers=manager),
            422, "department")
    made = client.post(USERS, json={**account, "department": "RSJ"}, headers=manager)
    assert made.status_code == 201 and made.json()["department"] == "RSJ"
    token, _ = sign_in(client, "dept-rsj", TEMPORARY)
    client.post(CHANGE, json={"old_password": TEMPORARY, "new_password": CHOSEN}, headers=token)
    assert client.get(ME, headers=token).json()["department"] == "RSJ"

    moved = client.patch("/api/v1/users/dept-rsj", json={"department": "SCJG"}, headers=manager)
    assert moved.status_code == 200 and moved.json()["department"] == "SCJG"
    refusal(client.patch("/api/v1/users/dept-rsj", json={"department": None}, headers=manager), 422, "department")
    refusal(client.patch("/api/v1/users/dept-rsj", json={"department": "GAJ"}, headers=manager), 422, "department")
    clerk = client.patch("/api/v1/users/dept-rsj", json={"role": "clerk", "counter": 2}, headers=manager)
    assert clerk.status_code == 200 and clerk.json()["department"] is None and clerk.json()["counter"] == 2
    refusal(client.patch("/api/v1/users/dept-rsj", json={"role": "department"}, headers=manager), 422, "department")
    back = client.patch("/api/v1/users/dept-rsj", json={"role": "department", "department": "SCJG"}, headers=manager)
    assert back.status_code == 200 and back.json()["department"] == "SCJG" and back.json()["counter"] is None


def test_a_reset_password_must_be_changed_before_anything_else(client: TestClient) -> None:
    manager = login(client, "manager")
    old = login(client, "clerk02")
    refusal(client.patch("/api/v1/users/clerk02", json={"password": "demo12345"}, headers=manager), 422, "password")
    reset = client.patch("/api/v1/users/clerk02", json={"password": TEMPORARY}, headers=manager)
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    assert client.get(ME, headers=old).status_code == 401  # the sessions of before end at once
    token, user = sign_in(client, "clerk02", TEMPORARY)
    assert user["must_change_password"] is True
    for method, path in (("GET", "/api/v1/halls/jinan/counters/2/current"), ("POST", "/api/v1/halls/jinan/tickets"),
                         ("GET", "/api/v1/audit")):
        answer = client.request(method, path, headers=token, json={"queue": "A"} if method == "POST" else None)
        assert refusal(answer, 403)["code"] == "password_change_required", (method, path)
    client.post(CHANGE, json={"old_password": TEMPORARY, "new_password": CHOSEN}, headers=token)
    assert client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=token).status_code == 201
    assert client.post("/api/v1/auth/logout", headers=token).status_code == 200


def test_changing_ones_own_password_ends_ones_other_sessions(client: TestClient) -> None:
    here, there = login(client, "clerk03"), login(client, "clerk03")
    client.post("/api/v1/auth/login", json={"username": "clerk03", "password": DEMO_PASSWORD})  # the cookie
    weak = client.post(CHANGE, json={"old_password": DEMO_PASSWORD, "new_password": "clerk03-2026"}, headers=here)
    refusal(weak, 422, "new_password")
    changed = client.post(CHANGE, json={"old_password": DEMO_PASSWORD, "new_password": CHOSEN}, headers=here)
    assert changed.status_code == 200, changed.text
    assert client.get(ME, headers=here).status_code == 200
    assert client.get(ME, headers=there).status_code == 401
    assert client.get(ME).status_code == 401  # the cookie's session was another
    assert client.post("/api/v1/auth/login", json={"username": "clerk03", "password": DEMO_PASSWORD}
                       ).status_code == 401
    assert refusal(client.post(CHANGE, json={"old_password": "x", "new_password": CHOSEN}, headers=KIOSK), 403)
    assert TestClient(client.app).post(CHANGE, json={"old_password": "x", "new_password": CHOSEN}).status_code == 401


def test_wrong_old_passwords_are_throttled_like_sign_ins(client: TestClient) -> None:
    token = login(client, "clerk05")
    codes = [client.post(CHANGE, json={"old_password": f"guess-{n}", "new_password": CHOSEN}, headers=token
                         ).status_code for n in range(7)]
    assert codes[:5] == [422] * 5 and codes[-1] == 429
    blocked = client.post(CHANGE, json={"old_password": DEMO_PASSWORD, "new_password": CHOSEN}, headers=token)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_a_disabled_user_answers_401_and_enabling_revives_nothing(client: TestClient) -> None:
    manager = login(client, "manager")
    token = login(client, "clerk06")
    off = client.patch("/api/v1/users/clerk06", json={"active": False}, headers=manager)
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.get(ME, headers=token).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "clerk06", "password": DEMO_PASSWORD}
                       ).status_code == 401
    listed = {u["username"]: u for u in client.get(HALL_USERS, headers=manager).json()["users"]}
    assert listed["clerk06"]["active"] is False
    assert client.patch("/api/v1/users/clerk06", json={"active": True}, headers=manager).json()["active"] is True
    assert client.get(ME, headers=token).status_code == 401


def test_every_staff_change_is_audited_in_chinese_without_the_password(client: TestClient) -> None:
    admin = login(client, "admin")
    client.post(USERS, json=new_clerk(), headers=admin)
    client.patch("/api/v1/users/clerk13", json={"counter": 2}, headers=admin)
    client.patch("/api/v1/users/clerk13", json={"password": CHOSEN}, headers=admin)
    client.patch("/api/v1/users/clerk13", json={"active": False}, headers=admin)
    client.patch("/api/v1/users/clerk13", json={"active": True}, headers=admin)
    own = login(client, "clerk07")
    client.post(CHANGE, json={"old_password": DEMO_PASSWORD, "new_password": CHOSEN}, headers=own)
    trail = client.get("/api/v1/audit", params={"hall": "jinan", "limit": 50}, headers=admin)
    assert trail.status_code == 200
    entries = trail.json()["entries"]
    said = {e["action"]: e["sentence"] for e in reversed(entries)}
    assert "添加了账号" in said["user.create"] and "林小雨" in said["user.create"], said["user.create"]
    assert "1号窗口" in said["user.update"] and "2号窗口" in said["user.update"], said["user.update"]
    assert "重置了账号密码" in said["user.reset-password"]
    assert "停用了账号" in said["user.disable"] and "启用了账号" in said["user.enable"]
    assert "修改了自己的登录密码" in said["auth.password"]
    assert TEMPORARY not in trail.text and CHOSEN not in trail.text


def test_a_temporary_password_opens_no_live_feed_either(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    reset = client.patch("/api/v1/users/manager", json={"password": TEMPORARY}, headers=login(client, "admin"))
    assert reset.status_code == 200
    token, _ = sign_in(client, "manager", TEMPORARY)
    bare = token["Authorization"].removeprefix("Bearer ")
    with pytest.raises(WebSocketDisconnect), \
            client.websocket_connect(f"/ws/halls/jinan/dashboard?token={bare}") as feed:
        feed.receive_json()
    client.post(CHANGE, json={"old_password": TEMPORARY, "new_password": CHOSEN}, headers=token)
    with client.websocket_connect(f"/ws/halls/jinan/dashboard?token={bare}") as feed:
        assert feed.receive_json()["type"] == "snapshot"
