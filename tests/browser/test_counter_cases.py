"""Cases (办件) at the clerk's counter app, in Debian's Chromium against a real server: 受理 with
the item found by pinyin initials, the ID number checked in the browser, an incomplete case's
一次性告知书 and a complete case's receipt number and due date; an L (查询发证) ticket showing its
ready case, collected at the counter with the collector's ID."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from stdnum.cn import ric

from server.demo import DEMO_PASSWORD
from tests.api.conftest import KIOSK
from tests.browser.conftest import HallClient
from tests.servers import ServerProcess, seeded

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

Shoot = Callable[[Page, str], Path]
DESK: ViewportSize = {"width": 1366, "height": 768}
PHONE = "13812345678"


def id_number(i: int) -> str:
    """A valid 18-character ID number (GB 11643 check digit), different for each ``i``."""
    body = f"35011119850101{i:03d}"
    return body + ric.calc_check_digit(body + "0")


def signed_in(open_page: Callable[[str], Page], counter: int, username: str) -> Page:
    """The counter page through the login page, then 签到 at the counter."""
    path = f"/counter/jinan/{counter}"
    page = open_page(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    expect(page.locator("html")).to_have_attribute("data-feed", "live")
    page.get_by_role("button", name="签到").click()
    expect(page.locator("#status")).to_have_text("空闲")
    return page


def key(page: Page, text: str) -> Any:
    return page.locator(".keys button:visible", has_text=text)


def pick(box: Any, query: str, name: str) -> None:
    box.locator("#item-search").fill(query)
    box.locator("#item-list button", has_text=name).click()
    expect(box.locator("#item-chosen")).to_contain_text(name)


def test_receiving_an_incomplete_then_a_complete_case(open_page: Callable[[str], Page], hall: HallClient,
                                                      shoot: Shoot) -> None:
    ticket = hall.issue("A")
    page = signed_in(open_page, 1, "clerk01")
    expect(key(page, "受理")).to_be_disabled()  # nobody at the counter yet
    expect(key(page, "受理").locator("kbd")).to_have_text("0")
    key(page, "呼叫下一位").click()
    expect(page.locator("#number")).to_have_text(str(ticket["number"]))
    key(page, "开始办理").click()
    expect(page.locator("#status")).to_have_text("办理中")

    page.keyboard.press("0")  # the shortcut on 受理
    box = page.locator("#case-dialog")
    expect(box).to_be_visible()
    expect(box.locator(".ticket-ref")).to_have_text(str(ticket["number"]))
    first = box.locator("#item-list .item").first
    expect(first).to_contain_text("A01")  # before any search: the counter's own queue (A)
    pick(box, "jycy", "就业创业证申领")
    expect(box.locator("#materials input[name=material]")).to_have_count(2)
    box.locator("#applicant-name").fill("王小明")
    wrong = id_number(1)[:17] + ("0" if id_number(1)[17] != "0" else "1")
    box.locator("#applicant-id").fill(wrong)
    box.get_by_role("button", name="提交受理").click()
    expect(box.locator("#case-problem")).to_contain_text("校验位不正确")
    box.locator("#applicant-id").fill(id_number(1))
    box.locator("#applicant-phone").fill(PHONE)
    box.get_by_label("近期一寸照片").uncheck()
    shoot(page, "receive-form")
    box.get_by_role("button", name="提交受理").click()

    expect(box.locator("#result-incomplete")).to_be_visible()
    expect(box.get_by_role("heading", name="一次性告知书")).to_be_visible()
    expect(box.locator("#notice-missing li")).to_have_text(["近期一寸照片"])
    expect(box.locator("#notice-receipt")).to_have_text(re.compile(r"^JA\d{12}$"))
    expect(box.get_by_role("button", name="打印告知书")).to_be_visible()
    box.get_by_role("button", name="打印告知书").click()
    expect(box.locator("#result-note")).to_have_text("告知书已发送到本窗口打印机")
    with page.context.expect_page() as opened:
        box.get_by_role("button", name="打开告知书").click()
    assert opened.value.url.endswith("/notice")
    opened.value.close()
    shoot(page, "notice")

    box.get_by_role("button", name="继续受理").click()
    expect(box.locator("#case-form")).to_be_visible()
    expect(box.locator("#applicant-name")).to_have_value("王小明")  # the same applicant, another item
    pick(box, "jycy", "就业创业证申领")
    box.get_by_role("button", name="提交受理").click()
    expect(box.locator("#result-accepted")).to_be_visible()
    receipt = box.locator("#result-receipt")
    expect(receipt).to_have_text(re.compile(r"^JA\d{12}$"))
    expect(box.locator("#result-due")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}(（暂定）)?$"))
    expect(box.get_by_role("button", name="打印回执")).to_be_visible()
    expect(box.get_by_role("button", name="打开回执")).to_be_visible()
    shoot(page, "receipt")
    number = receipt.inner_text()
    case = httpx.get(f"{hall.server.base}/api/v1/cases/{number}", params={"check": PHONE[-4:]}, timeout=10).json()
    assert case["status"] == "accepted" and case["ticket_number"] == ticket["number"]
    assert case["item"]["code"] == "A04"

    # A server failure without a Chinese message: the page's alert says so in Chinese, no status code.
    page.route("**/api/v1/halls/jinan/cases", lambda route: route.fulfill(
        status=503, content_type="application/json", body='{"error": {"code": "x", "message": "(unavailable)"}}'))
    box.get_by_role("button", name="继续受理").click()
    pick(box, "A04", "就业创业证申领")  # the item code finds it too
    box.get_by_role("button", name="提交受理").click()
    expect(page.locator("#alert-text")).to_have_text("受理失败：服务器暂时无法处理，请稍后重试")
    expect(box.locator("#case-problem")).to_have_text("受理失败：服务器暂时无法处理，请稍后重试")
    page.unroute("**/api/v1/halls/jinan/cases")
    box.get_by_role("button", name="取消").click()
    expect(box).to_be_hidden()
    key(page, "办结").click()
    expect(key(page, "受理")).to_be_disabled()


def test_an_l_ticket_shows_its_case_and_the_result_is_collected(open_page: Callable[[str], Page],
                                                                 hall: HallClient, shoot: Shoot) -> None:
    clerk4 = hall.clerk("clerk04")
    hall.counter(4, "open", clerk4)
    made = hall.post("/halls/jinan/cases", clerk4, {
        "item": "B02", "applicant": {"name": "王小明", "id_number": id_number(2), "phone": PHONE}})
    assert made.status_code == 201, made.text
    receipt = made.json()["receipt_no"]
    dept = hall.clerk("dept-scjg")
    for status in ("in_review", "approved", "ready"):
        moved = httpx.post(f"{hall.server.base}/api/v1/cases/{receipt}/events", json={"status": status},
                           headers=dept, timeout=10)
        assert moved.status_code == 200, moved.text
    pickup = hall.post(f"/cases/{receipt}/pickup-ticket", KIOSK, {"check": PHONE[-4:]})
    assert pickup.status_code == 201, pickup.text

    page = signed_in(open_page, 11, "clerk11")
    key(page, "呼叫下一位").click()
    expect(page.locator("#number")).to_have_text(pickup.json()["number"])
    block = page.locator("#pickup")
    expect(block).to_be_visible()
    expect(page.locator("#case-no")).to_have_text(receipt)
    expect(page.locator("#case-item")).to_have_text("有限责任公司设立登记")
    expect(page.locator("#case-status")).to_have_text("待领取")
    shoot(page, "pickup")

    block.get_by_role("button", name="领取").click()
    box = page.locator("#collect-dialog")
    box.get_by_label("领取人姓名").fill("李四")
    box.get_by_label("领取人身份证号码").fill(id_number(3))
    box.get_by_role("button", name="确认领取").click()
    expect(box.locator(".problem")).to_contain_text("领取人身份证与申请人不符")  # in Chinese, no English gloss
    expect(page.locator("#alert-text")).not_to_contain_text("422")
    box.get_by_label("代领（已核验委托书）").check()
    box.get_by_role("button", name="确认领取").click()
    expect(box.locator("#collect-slip")).to_be_visible()  # the pickup slip (领取凭条), then closed
    expect(box.locator("#slip-collector")).to_have_text("李四（代领）")
    box.get_by_role("button", name="关闭").click()
    expect(box).to_be_hidden()
    expect(page.locator("#alert-text")).to_have_text("已登记由 李四 代领")
    expect(page.locator("#case-status")).to_have_text("已领取")
    expect(block.get_by_role("button", name="领取")).to_be_disabled()
    shoot(page, "collected")


@pytest.fixture
def at_0950(browser: Browser, sqlite_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, Callable[[str], Page]]]:
    """A server whose clock starts on a Wednesday at 09:50, so the 10:00 slot can be checked in."""
    server = ServerProcess(seeded(sqlite_url), tmp_path,
                           extra_env={"ONEWINDOW_CLOCK_AT": "2026-11-25T09:50:00+08:00"}).start()
    context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=server.base)
    context.set_default_timeout(10_000)

    def open_(path: str) -> Page:
        page = context.new_page()
        page.goto(path)
        return page

    yield server, open_
    context.close()
    server.stop()


def test_an_appointment_ticket_shows_the_booking_and_prefills_the_applicant(
        at_0950: tuple[ServerProcess, Callable[[str], Page]], shoot: Shoot) -> None:
    server, open_ = at_0950
    booking = httpx.post(f"{server.base}/api/v1/halls/jinan/appointments", json={
        "queue": "A", "date": "2026-11-25", "slot": "10:00", "name": "张三丰", "id_number": id_number(18),
        "phone": PHONE, "item": "A04"}).json()
    assert booking["item"] == {"code": "A04", "name": "就业创业证申领"}
    ticket = httpx.post(f"{server.base}/api/v1/halls/jinan/tickets", headers=KIOSK,
                        json={"queue": "A", "appointment_code": booking["code"]}).json()
    assert ticket["channel"] == "appointment"
    page = signed_in(open_, 1, "clerk01")
    key(page, "呼叫下一位").click()
    expect(page.locator("#number")).to_have_text(str(ticket["number"]))
    expect(page.locator("#appointment")).to_be_visible()
    expect(page.locator("#appt-name")).to_have_text("张三丰")
    expect(page.locator("#appt-id")).to_have_text(id_number(18)[-4:])
    expect(page.locator("#appt-slot")).to_have_text("10:00")
    expect(page.locator("#appt-item")).to_have_text("A04 就业创业证申领")
    expect(page.locator("#pickup")).to_be_hidden()
    shoot(page, "appointment")
    key(page, "受理").click()
    expect(page.locator("#applicant-name")).to_have_value("张三丰")
    box = page.locator("#case-dialog")
    expect(box.locator("#item-chosen")).to_have_text("已选：A04 就业创业证申领（区人社局）")
    expect(box.locator("#item-list .item.chosen")).to_contain_text("就业创业证申领")
    expect(box.locator("#materials input[name=material]")).to_have_count(2)
    expect(box.locator("#materials")).to_contain_text("近期一寸照片")
    page.locator("#case-dialog").get_by_role("button", name="取消").click()
    key(page, "办结").click()
    expect(page.locator("#appointment")).to_be_hidden()  # the next ticket's own facts only
