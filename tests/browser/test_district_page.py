"""全区概览 /district in Chromium against a real server with two halls: a card per hall, its waiting
count live from the hall's display feed (no reload), today's services and satisfaction from the
district API, the links to each hall's dashboard and set-up; a manager sees only their hall."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from server.demo import DEMO_PASSWORD
from tests.api.conftest import KIOSK, counter_tablet
from tests.api.test_district import GULOU_KIOSK, seed_two_halls
from tests.browser.conftest import WATCH_VIOLATIONS, wait_until
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

Shoot = Callable[[Page, str], Path]


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    started = ServerProcess(seed_two_halls(sqlite_url), tmp_path).start()
    yield started
    started.stop()


@pytest.fixture
def signed_in(browser: Browser, server: ServerProcess) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def open_(username: str) -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", base_url=server.base)
        context.set_default_timeout(10_000)
        context.add_init_script(WATCH_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/district")
        assert "/login" in page.url  # signed out: the login page, which comes back here
        page.locator("#login").get_by_label("用户名").fill(username)
        page.locator("#login").get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"^[^?]*/district$"))
        return page

    yield open_
    for context in contexts:
        context.close()


def post(server: ServerProcess, path: str, headers: dict[str, str], body: object = None) -> httpx.Response:
    response = httpx.post(f"{server.base}/api/v1{path}", json=body, headers=headers, timeout=10)
    assert response.status_code in (200, 201, 204), f"{path}: {response.status_code} {response.text}"
    return response


def login(server: ServerProcess, username: str) -> dict[str, str]:
    token = post(server, "/auth/login", {}, {"username": username, "password": DEMO_PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def card(page: Page, hall: str) -> Locator:
    return page.locator(f".hall-card[data-hall='{hall}']")


def test_a_ticket_in_the_second_hall_shows_at_once(signed_in: Callable[[str], Page], server: ServerProcess,
                                                   shoot: Shoot) -> None:
    page = signed_in("admin")
    page.evaluate("window.__loadedOnce = true")
    expect(page.locator(".hall-card")).to_have_count(2)
    gulou, jinan = card(page, "gulou"), card(page, "jinan")
    for hall in (gulou, jinan):
        expect(hall).to_have_attribute("data-feed", "live")
        expect(hall.locator("[data-figure='waiting']")).to_have_text("0人")
        expect(hall.locator("[data-figure='longest']")).to_have_text("无人等候")
        expect(hall.locator("[data-figure='satisfaction']")).to_have_text("暂无评价")
    expect(gulou.locator("[data-figure='open']")).to_have_text("0 / 3")
    expect(jinan.locator("[data-figure='open']")).to_have_text("0 / 12")
    expect(gulou.get_by_role("link", name="鼓楼区政务服务中心")).to_have_attribute("href", "/dashboard/gulou")
    expect(gulou.get_by_role("link", name="大厅设置")).to_have_attribute("href", "/admin/gulou")

    post(server, "/halls/gulou/tickets", GULOU_KIOSK, {"queue": "B"})
    post(server, "/halls/gulou/tickets", GULOU_KIOSK, {"queue": "A"})
    expect(gulou.locator("[data-figure='waiting']")).to_have_text("2人")
    expect(gulou.locator("[data-figure='longest']")).to_contain_text("秒")
    expect(jinan.locator("[data-figure='waiting']")).to_have_text("0人")
    post(server, "/halls/gulou/counters/1/open", login(server, "clerk-gl"))
    expect(gulou.locator("[data-figure='open']")).to_have_text("1 / 3")
    expect(page.locator("#totals")).to_have_text("全区合计：等候 2 人 · 开放窗口 1 / 15 · 今日办结 0 件")

    # served and rated in jinan: 今日办结 and 今日满意度 come with the next refresh (every 30 s)
    clerk = login(server, "clerk01")
    post(server, "/halls/jinan/tickets", KIOSK, {"queue": "A"})
    post(server, "/halls/jinan/counters/1/open", clerk)
    ticket = post(server, "/halls/jinan/counters/1/call-next", clerk).json()
    post(server, "/halls/jinan/counters/1/finish", clerk)
    post(server, "/halls/jinan/counters/1/rating", counter_tablet(1), {"ticket_id": ticket["id"], "level": 4})
    expect(jinan.locator("[data-figure='waiting']")).to_have_text("0人")
    page.evaluate("window.__district.refresh()")
    expect(jinan.locator("[data-figure='served']")).to_have_text("1件")
    expect(jinan.locator("[data-figure='satisfaction']")).to_have_text("100%1 条评价")
    shoot(page, "district")
    assert page.evaluate("window.__loadedOnce === true"), "the page was reloaded"
    assert page.evaluate("window.__violations") == []  # nothing refused by the page's policy


def test_a_manager_sees_their_own_hall(signed_in: Callable[[str], Page], shoot: Shoot) -> None:
    page = signed_in("manager-gl")
    expect(page.locator(".hall-card")).to_have_count(1)
    expect(card(page, "gulou")).to_have_attribute("data-feed", "live")
    shoot(page, "district-manager")


def test_a_clerk_is_refused_in_chinese(signed_in: Callable[[str], Page], shoot: Shoot) -> None:
    page = signed_in("clerk01")
    expect(page.get_by_role("heading", name="没有权限查看全区概览")).to_be_visible()
    wait_until(page, "!document.querySelector('.hall-card')")
    shoot(page, "district-forbidden")
