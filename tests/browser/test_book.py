"""The visitor books an appointment on a phone (/book/{hall}), against a real server: queue, day,
slot, the ID number's check digit checked in the browser, the code shown large, then cancelled."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, expect
from stdnum.cn import ric

from server.domain.workdays import WorkCalendar
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

Shoot = Callable[[Page, str], Path]
ID_BODY = "11010519800101002"
ID_NUMBER = ID_BODY + ric.calc_check_digit(ID_BODY + "0")
WRONG_ID = ID_BODY + ("0" if ID_NUMBER[-1] != "0" else "1")


@pytest.fixture
def booking_phone(browser: Browser, live_server: ServerProcess) -> Iterator[Page]:
    """A 390×844 phone set to Chinese in the hall's time zone."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.base)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_book_a_slot_see_the_code_and_cancel(booking_phone: Page, live_server: ServerProcess,
                                             shoot: Shoot) -> None:
    page = booking_phone
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.base) else None)
    page.goto("/book/jinan")
    expect(page.locator("h1")).to_have_text("网上预约")
    queues = page.locator("#queues .choice")
    expect(queues).to_have_count(4)  # A–D; L, Z and V take no bookings
    page.get_by_role("button", name="A 社会民生类").click()
    item = page.locator("#item")
    expect(item).to_be_visible()
    expect(item.locator("option").first).to_have_text("暂不确定")
    expect(item).to_have_value("")
    expect(item.locator("option[value=B01]")).to_have_count(0)  # only queue A's items
    item.select_option("A04")
    days = page.locator("#days .choice")
    expect(days.first).to_be_visible()
    offered = [date.fromisoformat(str(d)) for d in days.evaluate_all("bs => bs.map(b => b.dataset.date)")]
    assert offered and all(WorkCalendar().is_working_day(d) for d in offered)  # closed days are not offered
    days.first.click()
    slot = page.locator("#slots .choice:not([disabled])").first
    expect(slot).to_be_visible()
    expect(slot.locator("small")).to_have_text("余 4 个")
    slot.click()
    expect(page.locator("#summary")).to_contain_text("就业创业证申领")
    page.fill("#name", "张三丰")
    page.fill("#id_number", WRONG_ID)
    page.fill("#phone", "13800138000")
    page.get_by_role("button", name="确认预约").click()
    expect(page.locator("#id_number-error")).to_have_text("身份证号码校验位不正确，请核对后重新输入。")
    shoot(page, "form")
    page.fill("#id_number", ID_NUMBER)
    page.get_by_role("button", name="确认预约").click()
    code = page.locator("#done-code")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{6}$"))
    expect(page.locator("#done")).to_contain_text("请在预约时段前 15 分钟至时段结束之间到大厅取号机签到")
    expect(page.locator("#done-name")).to_have_text("办事人：张*丰")
    expect(page.locator("#done-item")).to_have_text("办理事项：就业创业证申领")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "booked")
    booked = code.text_content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="取消预约").click()
    expect(page.locator("#cancelled")).to_have_text("预约已取消。")
    shoot(page, "cancelled")
    assert not outside, outside
    # cancelled for real: the same ID may book that slot again over the API
    again = httpx.post(f"{live_server.base}/api/v1/appointments/{booked}/cancel",
                       json={"id_last4": ID_NUMBER[-4:]}, timeout=10)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
