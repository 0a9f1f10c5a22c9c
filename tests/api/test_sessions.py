"""Sessions and tokens live on the server (security issue points 3 and 11): signing out ends them
there, disabling a user ends all of theirs at once, a hall's device tokens can be listed and
revoked, and the session cookie is Secure behind HTTPS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server import context as context_module
from server import sockets
from server.app import create_app
from server.auth import hash_password
from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.settings import Settings
from server.store import accounts
from server.store.db import open_database
from tests.conftest import REDIS_URL, unavailable

from .conftest import DISPLAY, KIOSK, SECRET, counter_tablet, login, seed

ME = "/api/v1/me"
SAME_ORIGIN = {"Origin": "http://testserver"}
AGENT_TOKEN = demo_token(SECRET, "agent", "kiosk-1")


def test_me_names_the_caller_and_refuses_everyone_else(client: TestClient) -> None:
    clerk = login(client, "clerk03")
    me = client.get(ME, headers=clerk)
    assert me.status_code == 200
    assert {"username": "clerk03", "role": "clerk", "hall": "jinan", "counter": 3, "department": None,
            "kind": "user"}.items() <= me.json().items()
    assert client.get(ME, headers=DISPLAY).json()["kind"] == "device"
    assert TestClient(client.app).get("http://testserver" + ME).status_code == 401
    assert client.get(ME, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_logout_ends_that_token_on_the_server_and_no_other(client: TestClient) -> None:
    first, second = login(client, "clerk01"), login(client, "clerk01")
    assert client.get(ME, headers=first).status_code == 200  # cached in this process
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 200
    gone = client.get(ME, headers=first)
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "bad_credentials"
    assert client.post("/api/v1/halls/jinan/counters/1/open", headers=first).status_code == 401
    assert client.get(ME, headers=second).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 401  # nothing left to end


def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(client: TestClient) -> None:
    client.post("/api/v1/auth/login", json={"username": "manager", "password": DEMO_PASSWORD})
    stolen = client.cookies["onewindow_session"]
    assert client.get(ME).json()["username"] == "manager"
    assert client.post("/api/v1/auth/logout", headers=SAME_ORIGIN).status_code == 200
    assert client.get(ME).status_code == 401
    client.cookies.set("onewindow_session", stolen)  # a copy kept from before the sign-out
    assert client.get(ME).status_code == 401
    assert client.get("/dashboard/jinan", follow_redirects=False).status_code == 303  # off to /login


def test_the_session_cookie_holds_no_user_id_and_is_secure_behind_https(sqlite_url: str) -> None:
    seed(sqlite_url)
    settings = Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings), base_url="https://hall.example") as https:
        signed = https.post("/api/v1/auth/login", json={"username": "clerk01", "password": DEMO_PASSWORD})
        cookie = signed.headers["set-cookie"].lower()
        assert "onewindow_session=" in cookie and "; secure" in cookie and "httponly" in cookie
        assert https.get(ME).status_code == 200
    with TestClient(create_app(settings), base_url="http://hall.example") as plain:
        cookie = plain.post("/api/v1/auth/login", json={"username": "clerk01", "password": DEMO_PASSWORD}
                            ).headers["set-cookie"].lower()
        assert "secure" not in cookie


def test_disabling_a_user_ends_every_token_and_session_at_once(client: TestClient) -> None:
    manager = login(client, "manager")
    token = login(client, "clerk02")
    client.post("/api/v1/auth/login", json={"username": "clerk02", "password": DEMO_PASSWORD})  # the cookie
    assert client.get(ME).json()["username"] == "clerk02" and client.get(ME, headers=token).status_code == 200
    clerk_may_not = client.patch("/api/v1/users/clerk03", json={"active": False}, headers=token)
    assert clerk_may_not.status_code == 403
    done = client.patch("/api/v1/users/clerk02", json={"active": False}, headers=manager)
    assert done.status_code == 200 and done.json()["active"] is False
    assert client.get(ME, headers=token).status_code == 401
    assert client.get(ME).status_code == 401
    again = client.post("/api/v1/auth/login", json={"username": "clerk02", "password": DEMO_PASSWORD})
    assert again.status_code == 401
    back = client.patch("/api/v1/users/clerk02", json={"active": True}, headers=manager)
    assert back.status_code == 200 and back.json()["active"] is True
    assert client.get(ME, headers=token).status_code == 401  # enabling again revives nothing
    assert client.get(ME, headers=login(client, "clerk02")).status_code == 200


def test_who_may_change_a_user(client: TestClient, database_url: str) -> None:
    db = open_database(database_url)
    with db.writer.begin() as conn:
        accounts.upsert_user(conn, "far-manager", hash_password(DEMO_PASSWORD), "manager", "xiamen", None)
    db.dispose()
    far, manager, admin = login(client, "far-manager"), login(client, "manager"), login(client, "admin")
    assert client.patch("/api/v1/users/clerk01", json={"active": False}, headers=far).status_code == 403
    assert client.patch("/api/v1/users/admin", json={"active": False}, headers=manager).status_code == 403
    assert client.patch("/api/v1/users/clerk01", json={"role": "admin"}, headers=manager).status_code == 403
    assert client.patch("/api/v1/users/nobody", json={"active": False}, headers=admin).status_code == 404
    bad = client.patch("/api/v1/users/clerk01", json={"counter": 99}, headers=manager)
    assert bad.status_code == 422 and "counter" in bad.json()["error"]["message"]
    moved = client.patch("/api/v1/users/clerk01", json={"counter": 5}, headers=manager)
    assert moved.status_code == 200 and moved.json()["counter"] == 5
    assert client.get(ME, headers=login(client, "clerk01")).json()["counter"] == 5
    assert client.patch("/api/v1/users/far-manager", json={"active": False}, headers=admin).status_code == 200
    assert client.get(ME, headers=far).status_code == 401


def test_a_password_change_ends_the_users_sessions(client: TestClient) -> None:
    old = login(client, "clerk04")
    changed = client.patch("/api/v1/users/clerk04", json={"password": "a-new-password"}, headers=login(client, "admin"))
    assert changed.status_code == 200
    assert client.get(ME, headers=old).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "clerk04", "password": "a-new-password"}
                       ).status_code == 200


def test_a_hall_manager_lists_and_revokes_device_tokens(client: TestClient) -> None:
    manager = login(client, "manager")
    assert client.get(ME, headers=KIOSK).status_code == 200
    listed = client.get("/api/v1/halls/jinan/tokens", headers=manager)
    assert listed.status_code == 200
    tokens = listed.json()["tokens"]
    kiosk = next(t for t in tokens if t["kind"] == "kiosk" and t["name"] == "kiosk-1")
    assert set(kiosk) >= {"id", "kind", "name", "counter", "created_at"}
    assert KIOSK["Authorization"].split()[1] not in listed.text  # never the secret itself
    assert all(t["kind"] in ("kiosk", "display", "agent", "counter") for t in tokens)  # no staff tokens
    assert client.get("/api/v1/halls/jinan/tokens", headers=login(client, "clerk01")).status_code == 403
    assert client.delete(f"/api/v1/halls/jinan/tokens/{kiosk['id']}",
                         headers=login(client, "clerk01")).status_code == 403
    revoked = client.delete(f"/api/v1/halls/jinan/tokens/{kiosk['id']}", headers=manager)
    assert revoked.status_code == 204
    assert client.get(ME, headers=KIOSK).status_code == 401
    assert client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK).status_code == 401
    assert client.get(ME, headers=DISPLAY).status_code == 200
    assert client.delete(f"/api/v1/halls/jinan/tokens/{kiosk['id']}", headers=manager).status_code == 404
    remaining = client.get("/api/v1/halls/jinan/tokens", headers=manager).json()["tokens"]
    assert kiosk["id"] not in {t["id"] for t in remaining}


@pytest.fixture
def two_processes(postgres_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two server processes' apps on one database and one Redis, as behind a load balancer."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        unavailable(f"Redis is not reachable at {REDIS_URL}")
    seed(postgres_url)
    settings = Settings(postgres_url, REDIS_URL, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings), base_url="http://testserver") as one, \
            TestClient(create_app(settings), base_url="http://testserver") as other:
        yield one, other


def test_the_other_processes_hear_of_a_revocation_at_once(two_processes: tuple[TestClient, TestClient],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # With a long cache, only the bus can tell the other process that a token has ended.
    monkeypatch.setattr(context_module, "TOKEN_CACHE_S", 600.0)
    one, other = two_processes
    ended, disabled = login(one, "clerk05"), login(one, "clerk06")
    for headers in (ended, disabled, KIOSK):
        assert other.get(ME, headers=headers).status_code == 200
    assert one.post("/api/v1/auth/logout", headers=ended).status_code == 200
    assert one.patch("/api/v1/users/clerk06", json={"active": False}, headers=login(one, "manager")).status_code == 200
    kiosk_id = next(t["id"] for t in one.get("/api/v1/halls/jinan/tokens", headers=login(one, "admin")
                                             ).json()["tokens"] if t["name"] == "kiosk-1" and t["kind"] == "kiosk")
    assert one.delete(f"/api/v1/halls/jinan/tokens/{kiosk_id}", headers=login(one, "admin")).status_code == 204
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(other.get(ME, headers=h).status_code == 200
                                              for h in (ended, disabled, KIOSK)):
        time.sleep(0.02)
    assert [other.get(ME, headers=h).status_code for h in (ended, disabled, KIOSK)] == [401, 401, 401]


@pytest.mark.parametrize("page, headers", [("/kiosk/jinan", KIOSK), ("/counter/jinan/3/rate", counter_tablet(3))])
def test_a_device_pages_token_cookie_is_secure_behind_https(sqlite_url: str, page: str,
                                                              headers: dict[str, str]) -> None:
    """The kiosk's and the rating tablet's tokens live in a cookie as the staff session does: over
    HTTPS it is never sent in clear."""
    seed(sqlite_url)
    settings = Settings(sqlite_url, None, SECRET, True, "NORMAL", "warning")
    token = headers["Authorization"].removeprefix("Bearer ")
    for scheme, secure in (("https", True), ("http", False)):
        with TestClient(create_app(settings), base_url=f"{scheme}://hall.example") as client:
            set_up = client.get(f"{page}?token={token}", follow_redirects=False)
            assert set_up.status_code == 303
            cookie = set_up.headers["set-cookie"].lower()
            assert "httponly" in cookie and ("; secure" in cookie) is secure, cookie
            assert client.get(page).status_code == 200  # the page now runs from the cookie


def closed_with(socket: Any) -> int | str:
    """The close code the socket ends with, or the type of a message it still got instead."""
    try:
        return str(socket.receive_json()["type"])
    except WebSocketDisconnect as closed:
        return int(closed.code)


def test_an_open_feed_ends_with_its_sign_in(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing out ends the clerk's live counter feed too (the masked visitor names stop), not
    only their next request; a feed of someone still signed in goes on."""
    monkeypatch.setattr(sockets, "RECHECK_S", 0.05)
    leaving, staying = login(client, "clerk01"), login(client, "manager")
    with client.websocket_connect("/ws/halls/jinan/counters/1", headers=leaving) as gone, \
            client.websocket_connect("/ws/halls/jinan/counters/1", headers=staying) as kept:
        assert gone.receive_json()["type"] == "snapshot" and kept.receive_json()["type"] == "snapshot"
        assert client.post("/api/v1/auth/logout", headers=leaving).status_code == 200
        time.sleep(0.5)  # ten of the feed's checks
        client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK)
        assert closed_with(gone) == 1008  # not the ticket
        assert kept.receive_json()["type"] == "ticket.issued"


def test_a_revoked_agent_is_cut_off(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stolen agent token, once revoked, drives no keypad any more: its open socket closes."""
    monkeypatch.setattr(sockets, "RECHECK_S", 0.05)
    manager = login(client, "manager")
    tokens = client.get("/api/v1/halls/jinan/tokens", headers=manager).json()["tokens"]
    agent = next(t for t in tokens if t["kind"] == "agent" and t["name"] == "kiosk-1")
    with client.websocket_connect(f"/ws/halls/jinan/agents/kiosk-1?token={AGENT_TOKEN}") as socket:
        socket.send_json({"type": "hello", "counters": []})
        assert socket.receive_json()["type"] == "welcome"
        assert client.delete(f"/api/v1/halls/jinan/tokens/{agent['id']}", headers=manager).status_code == 204
        time.sleep(0.5)
        socket.send_json({"type": "hello", "counters": []})
        assert closed_with(socket) == 1008  # not a welcome
