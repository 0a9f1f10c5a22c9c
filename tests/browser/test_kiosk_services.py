"""The kiosk's 预约签到 and 办件查询 in real Chromium against a server whose clock starts on a
Wednesday at 09:50 (ONEWINDOW_CLOCK_AT), so the 10:00 slot's arrival window is open whatever
the hour the tests run at."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from devices.idcard.emulator import demo_card
from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from tests.api.conftest import SECRET
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

KIOSK_TOKEN = demo_token(SECRET, "kiosk", "kiosk-1")
AGENT = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}
TODAY = "2026-11-25"
CLOCK_AT = f"{TODAY}T09:50:00+08:00"  # where clocked_server's clock starts
Shoot = Callable[[Page, str], Path]


@pytest.fixture
def kiosk(browser: Browser, clocked_server: ServerProcess) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=clocked_server.base, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"/kiosk/jinan?token={KIOSK_TOKEN}")
    expect(page.locator("html")).to_have_attribute("data-feed", "live")
    yield page
    context.close()


def api(server: ServerProcess, method: str, path: str, body: Any = None,
        headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.request(method, f"{server.base}/api/v1{path}", json=body, headers=headers, timeout=10)


def login(server: ServerProcess, username: str) -> dict[str, str]:
    token = api(server, "POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def book(server: ServerProcess, id_number: str, name: str = "张三丰") -> str:
    response = api(server, "POST", "/halls/jinan/appointments", {
        "queue": "A", "date": TODAY, "slot": "10:00", "name": name, "id_number": id_number, "phone": "13800138000"})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def type_on(page: Page, pad: str, text: str) -> None:
    for key in text:
        page.locator(f"#{pad} button", has_text=key).first.click()


def test_check_in_with_the_booking_code(kiosk: Page, clocked_server: ServerProcess, shoot: Shoot) -> None:
    api(clocked_server, "POST", "/halls/jinan/tickets", {"queue": "A"}, {"Authorization": f"Bearer {KIOSK_TOKEN}"})
    code = book(clocked_server, demo_card(40, sequence=11).id_number)
    kiosk.get_by_role("button", name="预约签到").click()
    type_on(kiosk, "code-keys", code[:3] + "3")  # a slip of the finger …
    kiosk.get_by_role("button", name="删除").click()  # … put right
    type_on(kiosk, "code-keys", code[3:])
    expect(kiosk.locator("#code-entry")).to_have_text(code)
    shoot(kiosk, "code")
    kiosk.get_by_role("button", name="签到取号").click()
    expect(kiosk.locator("#slip-number")).to_have_text("A002")
    assert api(clocked_server, "GET", "/halls/jinan/snapshot").json()["queues"][0]["waiting"] == 2
    kiosk.get_by_role("button", name="完成").click()

    kiosk.get_by_role("button", name="预约签到").click()  # the same code again: the ticket it already has
    type_on(kiosk, "code-keys", code)
    kiosk.get_by_role("button", name="签到取号").click()
    expect(kiosk.locator("#slip-number")).to_have_text("A002")
    kiosk.get_by_role("button", name="完成").click()

    kiosk.get_by_role("button", name="预约签到").click()
    type_on(kiosk, "code-keys", "777777")
    kiosk.get_by_role("button", name="签到取号").click()
    expect(kiosk.locator("#error")).to_have_text("预约号不存在，请核对后重新输入，或到导办台咨询")


def test_an_id_card_finds_todays_booking_and_checks_it_in(kiosk: Page, clocked_server: ServerProcess,
                                                          shoot: Shoot) -> None:
    card = demo_card(67, name="张小三", sequence=12)
    book(clocked_server, card.id_number, name="张小三")
    read = api(clocked_server, "POST", "/halls/jinan/kiosks/kiosk-1/card", {"card": {
        "name": card.name, "gender": card.gender, "nation": card.nation,
        "birth_date": card.birth_date.isoformat(), "id_number": card.id_number}}, AGENT)
    assert read.status_code == 202, read.text
    expect(kiosk.locator("#booked")).to_have_text("张*三，您今天 10:00 预约了社会民生类，请点击“签到取号”")
    expect(kiosk.locator("#code-entry")).to_have_text(re.compile(r"^[0-9A-Z]{6}$"))  # filled in for them
    shoot(kiosk, "booked-by-card")
    kiosk.get_by_role("button", name="签到取号").click()
    expect(kiosk.locator("#slip-number")).to_have_text("A001")
    ticket = api(clocked_server, "GET", "/halls/jinan/snapshot").json()
    assert ticket["queues"][0]["waiting"] == 1


def test_case_status_and_a_pickup_ticket_for_a_ready_result(kiosk: Page, clocked_server: ServerProcess,
                                                           shoot: Shoot) -> None:
    clerk = login(clocked_server, "clerk04")
    assert api(clocked_server, "POST", "/halls/jinan/counters/4/open", headers=clerk).status_code == 200
    case = api(clocked_server, "POST", "/halls/jinan/cases", {
        "item": "B02", "applicant": {"name": "王小明", "phone": "13912345678"}}, clerk).json()
    receipt = case["receipt_no"]

    kiosk.get_by_role("button", name="办件查询").click()
    type_on(kiosk, "case-keys", receipt)
    kiosk.locator("#check-entry").click()
    type_on(kiosk, "case-keys", "0000")  # a wrong check: said exactly as for an unknown receipt
    kiosk.get_by_role("button", name="查询").click()
    expect(kiosk.locator("#error")).to_have_text("未找到该办件，请核对受理编号和后四位")
    for _ in range(4):
        kiosk.get_by_role("button", name="删除").click()
    type_on(kiosk, "case-keys", "5678")
    kiosk.get_by_role("button", name="查询").click()
    expect(kiosk.locator("#case-status")).to_have_text("已受理")
    expect(kiosk.get_by_role("button", name="取号领取")).to_be_hidden()

    dept = login(clocked_server, "dept-scjg")
    for status in ("in_review", "approved", "ready"):
        assert api(clocked_server, "POST", f"/cases/{receipt}/events", {"status": status}, dept).status_code == 200
    kiosk.get_by_role("button", name="查询").click()
    expect(kiosk.locator("#case-status")).to_have_text("待领取")
    expect(kiosk.locator("#case-next")).to_contain_text("取号领取")
    shoot(kiosk, "case-ready")
    kiosk.get_by_role("button", name="取号领取").click()
    expect(kiosk.locator("#slip-number")).to_have_text("L001")
    shoot(kiosk, "pickup-ticket")
