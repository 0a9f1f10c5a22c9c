"""The applicant's own case page `/c/{status_token}` in a real browser on a phone, against a real
server: the case as received, the department's progress arriving live over /ws/cases/… without a
reload, the printable 接件回执 with its QR code, the 一次性告知书 of an incomplete case, a server
restart under an open page, and an unknown token."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import qrcode
from playwright.sync_api import Page, expect
from qrcode.image.svg import SvgPathImage

from tests.browser.conftest import HallClient, wait_until
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

Shoot = Callable[[Page, str], Path]
IPHONE: ViewportSize = {"width": 390, "height": 844}
CLERK_COUNTER = 4  # clerk04's counter, serving queues B/C: 区市场监管局's items (B02)
B02_MATERIALS = ["公司章程", "股东身份证明", "住所使用证明", "设立登记申请书"]
NAME, ID_NUMBER, PHONE = "王小明", "11010519491231002X", "13812345678"
RECONNECT_S = 20


@pytest.fixture
def phone(browser: Browser, live_server: ServerProcess) -> Iterator[Page]:
    """A 390×844 phone set to Chinese in the hall's time zone."""
    context = browser.new_context(viewport=IPHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.base)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def clerk(hall: HallClient) -> dict[str, str]:
    headers = hall.clerk("clerk04")
    hall.counter(CLERK_COUNTER, "open", headers)  # a clerk receives cases at the counter they hold
    return headers


def receive(hall: HallClient, clerk: dict[str, str], missing: list[str] | None = None) -> dict[str, Any]:
    body = {"item": "B02", "applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE},
            "materials_missing": missing or []}
    response = hall.post("/halls/jinan/cases", clerk, body)
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


def move(hall: HallClient, headers: dict[str, str], receipt_no: str, status: str) -> None:
    response = hall.post(f"/cases/{receipt_no}/events", headers, {"status": status})
    assert response.status_code == 200, response.text


def open_case(page: Page, case: dict[str, Any]) -> None:
    page.goto(f"/c/{case['status_token']}")
    expect(page.locator("#receipt-no")).to_have_text(case["receipt_no"])
    expect(page.locator("html")).to_have_attribute("data-feed", "live")


def assert_fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def pdf_pages(page: Page) -> int:
    """Pages of the print (the page's own @page: A4 portrait) as Chromium saves it to PDF."""
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def assert_private(page: Page) -> None:
    source = page.content()
    assert ID_NUMBER not in source and ID_NUMBER[-4:] not in source and PHONE not in source
    assert NAME not in source  # masked: 王*明


def test_department_progress_arrives_live(phone: Page, hall: HallClient, clerk: dict[str, str],
                                          shoot: Shoot) -> None:
    case = receive(hall, clerk)
    open_case(phone, case)
    expect(phone.locator("#hall")).to_have_text("晋安区行政服务中心")
    expect(phone.locator("#item")).to_have_text(case["item_name"])
    expect(phone.locator("#department")).to_have_text("区市场监管局")
    expect(phone.locator("#status")).to_have_text("已受理")
    expect(phone.locator("#applicant")).to_have_text("王*明")
    expect(phone.locator("#due")).to_contain_text(case["due_at"])
    expect(phone.locator("#reconnecting")).to_be_hidden()
    expect(phone.locator("#notice-link")).to_be_hidden()
    steps = phone.locator("#timeline li")
    expect(steps).to_have_count(1)
    assert_private(phone)
    assert_fits(phone)
    shoot(phone, "accepted")

    phone.evaluate("window.notReloaded = true")
    dept = hall.clerk("dept-scjg")
    for count, (status, shown) in enumerate((("in_review", "审查中"), ("approved", "已批准"),
                                              ("ready", "待领取")), start=2):
        move(hall, dept, case["receipt_no"], status)
        expect(phone.locator("#status")).to_have_text(shown)
        expect(steps).to_have_count(count)
        expect(steps.first.locator(".step-label")).to_have_text(shown)  # newest first
    expect(steps.last.locator(".step-label")).to_have_text("已受理")
    expect(phone.locator("#explain")).to_have_text("办理结果已可领取：请携带身份证到查询发证窗口（L）取号领取。")
    assert phone.evaluate("window.notReloaded") is True  # live, not reloaded
    assert_private(phone)
    assert_fits(phone)
    shoot(phone, "ready")


def test_receipt_is_printable_with_a_qr_code_to_the_case(phone: Page, hall: HallClient, clerk: dict[str, str],
                                                         live_server: ServerProcess, shoot: Shoot) -> None:
    case = receive(hall, clerk)
    open_case(phone, case)
    phone.get_by_role("link", name="查看 / 打印接件回执").click()
    expect(phone).to_have_url(f"{live_server.base}/c/{case['status_token']}/receipt")
    expect(phone.get_by_role("heading", name="接件回执")).to_be_visible()
    expect(phone.locator("#receipt-no")).to_have_text(case["receipt_no"])
    expect(phone.locator("#department")).to_have_text("区市场监管局")
    expect(phone.locator("#applicant")).to_have_text("王*明")
    expect(phone.locator("#due")).to_have_text(case["due_at"] + ("（暂定）" if case["due_provisional"] else ""))
    expect(phone.locator("#materials li")).to_have_text(B02_MATERIALS)
    expect(phone.get_by_role("button", name="打印 / 保存为 PDF")).to_be_visible()
    wait_until(phone, "document.getElementById('qr').naturalWidth > 0")
    case_url = f"{live_server.base}/c/{case['status_token']}"
    expect(phone.locator("#qr-url")).to_have_text(case_url)
    # The server's SVG is exactly the QR code of the case page's address.
    svg = httpx.get(f"{case_url}/qr.svg", timeout=10)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text == qrcode.make(case_url, image_factory=SvgPathImage, border=2).to_string(encoding="unicode")
    assert_private(phone)
    assert_fits(phone)
    shoot(phone, "receipt")
    phone.emulate_media(media="print")
    expect(phone.get_by_role("button", name="打印 / 保存为 PDF")).to_be_hidden()
    shoot(phone, "receipt-print")
    assert pdf_pages(phone) == 1  # one A4 sheet


def test_incomplete_case_has_a_one_time_notice(phone: Page, hall: HallClient, clerk: dict[str, str],
                                               shoot: Shoot) -> None:
    missing = ["公司章程", "住所使用证明"]
    case = receive(hall, clerk, missing)
    open_case(phone, case)
    expect(phone.locator("#status")).to_have_text("待补正材料")
    expect(phone.locator("#due")).to_have_text("材料补齐后计算")
    expect(phone.locator("#missing-list li")).to_have_text(missing)
    expect(phone.locator("#receipt-label")).to_have_text("登记编号")  # a record, not yet a receipt
    expect(phone.locator("#receipt-link")).to_be_hidden()
    shoot(phone, "incomplete")
    phone.get_by_role("link", name="查看 / 打印一次性告知书").click()
    expect(phone.get_by_role("heading", name="一次性告知书")).to_be_visible()
    expect(phone.locator("#missing li")).to_have_text(missing)
    expect(phone.locator("#law")).to_contain_text("一次性告知")
    expect(phone.locator("#counter")).to_contain_text(str(CLERK_COUNTER))
    expect(phone.locator("#issued-at")).to_contain_text(case["received_at"][:10])
    expect(phone.locator("#contact")).to_have_text("咨询电话：87711892")  # the hall's line (seed art. 15)
    assert_private(phone)
    assert_fits(phone)
    shoot(phone, "notice")
    assert pdf_pages(phone) == 1

    receipt = phone.request.get(f"/c/{case['status_token']}/receipt")
    assert receipt.status == 404 and "尚未受理，没有接件回执" in receipt.text()  # art. 16(三): on acceptance only
    # The materials are supplied: the case page drops the notice live; the notice is gone.
    phone.go_back()
    expect(phone.locator("html")).to_have_attribute("data-feed", "live")
    move(hall, clerk, case["receipt_no"], "accepted")
    expect(phone.locator("#status")).to_have_text("已受理")
    expect(phone.locator("#notice-link")).to_be_hidden()
    expect(phone.locator("#missing")).to_be_hidden()
    expect(phone.locator("#receipt-label")).to_have_text("受理编号")
    expect(phone.locator("#receipt-link")).to_be_visible()
    assert phone.request.get(f"/c/{case['status_token']}/notice").status == 404


def test_page_reconnects_after_a_server_restart(phone: Page, hall: HallClient, clerk: dict[str, str],
                                                live_server: ServerProcess, shoot: Shoot) -> None:
    case = receive(hall, clerk)
    open_case(phone, case)
    live_server.stop()
    mark = phone.locator("#reconnecting")
    expect(mark).to_have_text("连接中断，正在重连")
    expect(mark).to_be_visible()
    shoot(phone, "reconnecting")
    live_server.start()
    expect(phone.locator("html")).to_have_attribute("data-feed", "live", timeout=RECONNECT_S * 1000)
    expect(mark).to_be_hidden()
    move(hall, hall.clerk("dept-scjg"), case["receipt_no"], "in_review")
    expect(phone.locator("#status")).to_have_text("审查中")


@pytest.mark.parametrize("suffix", ["", "/receipt", "/notice"])
def test_unknown_token_is_a_chinese_404(phone: Page, suffix: str, shoot: Shoot) -> None:
    response = phone.goto(f"/c/no-such-case{suffix}")
    assert response is not None and response.status == 404
    expect(phone.get_by_role("heading", name="没有找到这个办件")).to_be_visible()
    assert_fits(phone)
    if not suffix:
        shoot(phone, "not-found")
    assert phone.request.get("/c/no-such-case/qr.svg").status == 404
