"""A person's cases found by their ID card, in Debian's Chromium against a real server: swiped on
the reader of counter 4, the clerk's page shows their earlier cases in the hall (既往办件); swiped
at the kiosk's 办件查询, their cases are listed with masked names, one is shown as the receipt
lookup shows it, and a ready one gets its 查询发证 (L) ticket. The card reads are posted as each
PC's device agent posts them; the ID number never reaches a page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from devices.idcard.emulator import demo_card
from devices.idcard.text import IdCard
from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.store import accounts
from server.store.db import open_database
from tests.api.conftest import SECRET
from tests.servers import ServerProcess, seeded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

Shoot = Callable[[Page, str], Path]
TODAY = "2026-11-25"
CLOCK_AT = f"{TODAY}T09:30:00+08:00"  # a Wednesday: where clocked_server's clock starts
WANG = demo_card(40, name="王小明", today=date(2026, 11, 25), sequence=321)
LI = demo_card(35, name="李四", today=date(2026, 11, 25), sequence=456)
COUNTER_AGENT = {"Authorization": "Bearer counter-4-pc-agent-token-0000000000001"}  # --counter 4
KIOSK_AGENT = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}
KIOSK_TOKEN = demo_token(SECRET, "kiosk", "kiosk-1")


@pytest.fixture
def clocked_database(sqlite_url: str) -> str:
    """The demo hall with the agent of counter 4's PC, as `onewindow token add --counter 4` makes it."""
    db = open_database(seeded(sqlite_url))
    with db.writer.begin() as conn:
        accounts.add_token(conn, COUNTER_AGENT["Authorization"].removeprefix("Bearer "), device_kind="agent",
                           hall="jinan", name="counter-4-pc", counter=4)
    db.dispose()
    return sqlite_url


def api(server: ServerProcess, method: str, path: str, body: Any = None,
        headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.request(method, f"{server.base}/api/v1{path}", json=body, headers=headers, timeout=10)


def login(server: ServerProcess, username: str) -> dict[str, str]:
    token = api(server, "POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def receive(server: ServerProcess, item: str, card: IdCard, phone: str = "13812345678") -> str:
    response = api(server, "POST", "/halls/jinan/cases", {
        "item": item, "applicant": {"name": card.name, "id_number": card.id_number, "phone": phone}},
        login(server, "manager"))
    assert response.status_code == 201, response.text
    return str(response.json()["receipt_no"])


def swipe(server: ServerProcess, path: str, card: IdCard, agent: dict[str, str]) -> None:
    response = api(server, "POST", path, {"card": {
        "name": card.name, "gender": card.gender, "nation": card.nation,
        "birth_date": card.birth_date.isoformat(), "id_number": card.id_number}}, agent)
    assert response.status_code == 202, response.text
    assert card.id_number not in response.text


def never_the_number(page: Page, card: IdCard) -> None:
    assert card.id_number not in page.content()


def test_a_card_swiped_at_the_counter_shows_the_persons_earlier_cases(
        desk_context: Callable[..., BrowserContext], clocked_server: ServerProcess, shoot: Shoot) -> None:
    first, second = receive(clocked_server, "B02", WANG), receive(clocked_server, "C01", WANG)
    receive(clocked_server, "A04", LI)
    for status in ("in_review", "approved", "ready"):
        api(clocked_server, "POST", f"/cases/{first}/events", {"status": status}, login(clocked_server, "dept-scjg"))
    page = desk_context().new_page()
    page.goto("/counter/jinan/4")
    page.fill("input[name=username]", "clerk04")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/counter/jinan/4")
    expect(page.locator("html")).to_have_attribute("data-feed", "live")
    page.get_by_role("button", name="签到").click()
    expect(page.locator("#status")).to_have_text("空闲")
    expect(page.locator("#history")).to_be_hidden()

    swipe(clocked_server, "/halls/jinan/counters/4/card", WANG, COUNTER_AGENT)
    history = page.locator("#history")
    expect(history).to_be_visible()
    expect(page.locator("#history-who")).to_have_text("王*明 · 共 2 件")
    rows = history.locator("li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(second)
    expect(rows.nth(0)).to_contain_text("食品经营许可证核发")
    expect(rows.nth(0)).to_contain_text("已受理")
    expect(rows.nth(1)).to_contain_text(first)
    expect(rows.nth(1).locator(".h-status")).to_have_text("待领取")
    expect(rows.nth(1)).to_contain_text(TODAY)
    never_the_number(page, WANG)
    shoot(page, "counter-history")

    swipe(clocked_server, "/halls/jinan/counters/4/card", LI, COUNTER_AGENT)  # the next visitor's card
    expect(page.locator("#history-who")).to_have_text("李* · 共 1 件")
    expect(rows).to_have_count(1)
    page.locator("#history-close").click()
    expect(history).to_be_hidden()


def test_the_kiosk_lists_the_card_holders_cases_and_issues_the_pickup_ticket(
        browser: Browser, clocked_server: ServerProcess, shoot: Shoot) -> None:
    first, second = receive(clocked_server, "B02", WANG), receive(clocked_server, "C01", WANG)
    other = receive(clocked_server, "A04", LI)
    for status in ("in_review", "approved", "ready"):
        api(clocked_server, "POST", f"/cases/{first}/events", {"status": status}, login(clocked_server, "dept-scjg"))
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=clocked_server.base, has_touch=True)
    context.set_default_timeout(10_000)
    kiosk = context.new_page()
    kiosk.goto(f"/kiosk/jinan?token={KIOSK_TOKEN}")
    expect(kiosk.locator("html")).to_have_attribute("data-feed", "live")

    kiosk.get_by_role("button", name="办件查询").click()
    expect(kiosk.locator("#case-card-hint")).to_contain_text("放置身份证")
    swipe(clocked_server, "/halls/jinan/kiosks/kiosk-1/card", WANG, KIOSK_AGENT)
    listed = kiosk.locator("#card-case-list button")
    expect(listed).to_have_count(2)
    expect(kiosk.locator("#card-cases-title")).to_have_text("王*明在本大厅的办件（共 2 件），请点击查看")
    expect(listed.nth(0)).to_contain_text(second)
    expect(listed.nth(1)).to_contain_text(first)
    expect(listed.nth(1)).to_contain_text("待领取")
    expect(kiosk.locator("#case-form")).to_be_hidden()  # no receipt number to type
    assert other not in kiosk.content()
    expect(kiosk.locator("#case-result")).to_be_hidden()

    listed.nth(0).click()
    expect(kiosk.locator("#case-status")).to_have_text("已受理")
    expect(kiosk.locator("#case-item")).to_contain_text(second)
    expect(kiosk.locator("#case-pickup")).to_be_hidden()
    listed.nth(1).click()
    expect(kiosk.locator("#case-status")).to_have_text("待领取")
    expect(kiosk.locator("#case-next")).to_contain_text("取号领取")
    never_the_number(kiosk, WANG)
    assert "王小明" not in kiosk.content() and "13812345678" not in kiosk.content()
    shoot(kiosk, "kiosk-cases")

    kiosk.get_by_role("button", name="取号领取").click()
    expect(kiosk.locator("#slip-number")).to_have_text("L001")
    shoot(kiosk, "kiosk-pickup")
    kiosk.get_by_role("button", name="完成").click()

    swipe(clocked_server, "/halls/jinan/kiosks/kiosk-1/card", LI, KIOSK_AGENT)  # on the start screen: no lookup
    kiosk.get_by_role("button", name="办件查询").click()  # then 办件查询: the card already read
    expect(listed).to_have_count(1)
    expect(kiosk.locator("#case-status")).to_have_text("已受理")  # the only one, shown at once
    context.close()
