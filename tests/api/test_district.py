"""GET /api/v1/district and the page /district: each hall's waiting, longest wait, open counters,
served today and satisfaction, for the halls the caller manages (an admin: every hall; a manager:
their own; anyone else: 403)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import hash_password
from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.domain.model import CounterConfig, HallConfig, QueueConfig
from server.settings import Settings
from server.store import accounts, repo
from server.store.db import open_database

from .conftest import KIOSK, SECRET, counter_tablet, login, seed

GULOU = HallConfig(code="gulou", name="鼓楼区政务服务中心",
                   queues=(QueueConfig("A", "综合受理"), QueueConfig("B", "不动产登记")),
                   counters=(CounterConfig(1, "1号窗口", ("A",)), CounterConfig(2, "2号窗口", ("B",)),
                             CounterConfig(3, "3号窗口", ("A", "B"))))
GULOU_KIOSK = {"Authorization": f"Bearer {demo_token(SECRET, 'kiosk', 'gulou-kiosk')}"}


def seed_two_halls(url: str) -> str:
    """The demo hall jinan, and gulou with its own manager (manager-gl), clerk (clerk-gl, counter 1)
    and kiosk."""
    seed(url)
    db = open_database(url)
    password = hash_password(DEMO_PASSWORD)
    with db.writer.begin() as conn:
        repo.save_hall(conn, GULOU)
        accounts.upsert_user(conn, "manager-gl", password, "manager", GULOU.code, None, "鼓楼督查", "GL200")
        accounts.upsert_user(conn, "clerk-gl", password, "clerk", GULOU.code, 1, "鼓楼一号", "GL001")
        accounts.add_token(conn, demo_token(SECRET, "kiosk", "gulou-kiosk"), device_kind="kiosk", hall=GULOU.code,
                           name="gulou-kiosk")
    db.dispose()
    return url


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    seed_two_halls(database_url)
    settings = Settings(database_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings), base_url="http://testserver") as c:
        yield c


def district(client: TestClient, username: str) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/district", headers=login(client, username))
    assert response.status_code == 200, response.text
    return {h["code"]: h for h in response.json()["halls"]}


def test_an_admin_sees_every_hall_a_manager_their_own(client: TestClient) -> None:
    everything = district(client, "admin")
    assert list(everything) == ["gulou", "jinan"]
    assert everything["gulou"] == {"code": "gulou", "name": "鼓楼区政务服务中心", "waiting": 0, "longest_wait_s": None,
                                   "open_counters": 0, "counters": 3, "served_today": 0, "ratings": 0,
                                   "satisfaction": None}
    assert everything["jinan"]["counters"] == 12
    assert list(district(client, "manager")) == ["jinan"]
    assert list(district(client, "manager-gl")) == ["gulou"]


def test_nobody_else(client: TestClient) -> None:
    refused = client.get("/api/v1/district", headers=login(client, "clerk01"))
    assert refused.status_code == 403
    assert "管理" in refused.json()["error"]["message"]
    assert client.get("/api/v1/district", headers=KIOSK).status_code == 403
    assert TestClient(client.app).get("/api/v1/district").status_code == 401


def test_the_figures_follow_the_tickets_and_ratings(client: TestClient) -> None:
    clerk = login(client, "clerk01")
    for _ in range(3):
        assert client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=KIOSK).status_code == 201
    assert client.post("/api/v1/halls/gulou/tickets", json={"queue": "B"}, headers=GULOU_KIOSK).status_code == 201
    assert client.post("/api/v1/halls/jinan/counters/1/open", headers=clerk).status_code == 200
    rated = []
    for level in (5, 2):
        ticket = client.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk).json()
        assert client.post("/api/v1/halls/jinan/counters/1/finish", headers=clerk).status_code == 200
        response = client.post("/api/v1/halls/jinan/counters/1/rating", headers=counter_tablet(1),
                               json={"ticket_id": ticket["id"], "level": level})
        assert response.status_code == 201, response.text
        rated.append(ticket["number"])
    gl_clerk = login(client, "clerk-gl")
    assert client.post("/api/v1/halls/gulou/counters/1/open", headers=gl_clerk).status_code == 200

    halls = district(client, "admin")
    jinan, gulou = halls["jinan"], halls["gulou"]
    assert (jinan["waiting"], jinan["open_counters"], jinan["served_today"]) == (1, 1, 2)
    assert isinstance(jinan["longest_wait_s"], int) and jinan["longest_wait_s"] >= 0
    assert (jinan["ratings"], jinan["satisfaction"]) == (2, 0.5)  # 非常满意 counts, 不满意 does not (docs/kpis.md)
    assert (gulou["waiting"], gulou["open_counters"], gulou["counters"], gulou["served_today"]) == (1, 1, 3, 0)
    assert gulou["satisfaction"] is None


def test_the_page_is_for_managers_and_admins(client: TestClient) -> None:
    anonymous = TestClient(client.app, follow_redirects=False)
    away = anonymous.get("/district")
    assert away.status_code == 303 and away.headers["location"] == "/login?next=/district"
    login(client, "clerk01")  # the session cookie
    refused = client.get("/district")
    assert refused.status_code == 403 and "没有权限" in refused.text
    login(client, "admin")
    page = client.get("/district")
    assert page.status_code == 200
    assert "全区概览" in page.text
    assert 'href="/dashboard/gulou"' in page.text and 'href="/admin/gulou"' in page.text
    assert "鼓楼区政务服务中心" in page.text and "晋安区行政服务中心" in page.text
    login(client, "manager-gl")
    mine = client.get("/district")
    assert mine.status_code == 200 and "鼓楼区政务服务中心" in mine.text and "/dashboard/jinan" not in mine.text
