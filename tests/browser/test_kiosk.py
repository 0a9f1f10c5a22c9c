"""The self-service kiosk `/kiosk/{hall}` in a real browser against a real server: themes, search
by pinyin initials, the priority step, the ticket with its QR code, card reads from the agent,
the idle reset, out of service and back, English, and both screen orientations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from devices.idcard.emulator import demo_card
from devices.printer.emulator import PrinterEmulator
from server.cli import demo_token
from tests.api.conftest import SECRET
from tests.browser.conftest import RECONNECT_S, HallClient, read_qr, wait_until
from tests.devices.conftest import AgentProcess, eventually
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

Shoot = Callable[[Page, str], Path]
KIOSK_TOKEN = demo_token(SECRET, "kiosk", "kiosk-1")
AGENT = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}


def full_card(age: int, name: str, sequence: int) -> dict[str, object]:
    """A card as the agent's reader decodes it (the server masks it for the kiosk)."""
    card = demo_card(age, name=name, sequence=sequence)
    return {"name": card.name, "gender": card.gender, "nation": card.nation,
            "birth_date": card.birth_date.isoformat(), "id_number": card.id_number}


ELDER = full_card(67, "张小三", 1)
OTHER = full_card(35, "李四", 2)


@pytest.fixture
def open_kiosk(browser: Browser, live_server: ServerProcess) -> Iterator[Callable[..., Page]]:
    contexts = []

    def open_(size: ViewportSize = PORTRAIT, query: str = "") -> Page:
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      base_url=live_server.base, has_touch=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"/kiosk/jinan?token={KIOSK_TOKEN}{query}")
        expect(page.locator("html")).to_have_attribute("data-feed", "live")
        return page

    yield open_
    for context in contexts:
        context.close()


def take(page: Page, theme: str, group: str = "普通") -> None:
    page.locator(f".theme[data-queue='{theme}']").click()
    page.get_by_role("radio", name=group).click()
    page.get_by_role("button", name="确认取号").click()


def post_card(hall: HallClient, card: dict[str, object]) -> None:
    response = hall.post("/halls/jinan/kiosks/kiosk-1/card", AGENT, {"card": card})
    assert response.status_code == 202, response.text


def test_token_goes_into_a_cookie_and_out_of_the_address(open_kiosk: Callable[..., Page],
                                                         live_server: ServerProcess) -> None:
    page = open_kiosk()
    assert "token" not in page.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "onewindow_kiosk")
    assert cookie["httpOnly"] and cookie["value"] == KIOSK_TOKEN
    page.reload()
    expect(page.locator(".theme")).to_have_count(4)
    bare = httpx.get(f"{live_server.base}/kiosk/jinan")
    assert bare.status_code == 403 and "本取号机尚未配置" in bare.text
    wrong = httpx.get(f"{live_server.base}/kiosk/jinan?token=nonsense", follow_redirects=False)
    assert wrong.status_code == 403 and "取号令牌无效" in wrong.text


def test_theme_priority_ticket_with_qr(open_kiosk: Callable[..., Page], hall: HallClient,
                                      live_server: ServerProcess, shoot: Shoot, tmp_path: Path) -> None:
    hall.issue("A")
    page = open_kiosk()
    expect(page.locator(".theme[data-queue='A']")).to_contain_text("社会民生类")
    expect(page.locator("[data-covers='A']")).to_contain_text("城乡居民基本养老保险参保登记")
    expect(page.locator(".theme-wait[data-wait='A']")).to_contain_text("等候 1 人")
    expect(page.locator("#hall-phone")).to_have_text("咨询电话 87711892")  # the seed's line, a hall setting
    shoot(page, "home-portrait")
    page.locator(".theme[data-queue='A']").click()
    expect(page.get_by_role("radio", name="普通")).to_have_attribute("aria-checked", "true")
    page.get_by_role("radio", name="孕妇").click()
    expect(page.get_by_role("radio", name="孕妇")).to_have_attribute("aria-checked", "true")
    page.get_by_role("button", name="确认取号").click()
    expect(page.locator("#ticket-title")).to_have_text("取号成功")
    expect(page.locator("#slip-number")).to_have_text("A002")
    expect(page.locator("#slip-queue")).to_have_text("A · 社会民生类")
    expect(page.locator("#slip-ahead")).to_have_text("前面还有 0 人")  # a priority ticket goes before A001
    expect(page.locator("#slip-eta")).to_contain_text("预计等待约")
    expect(page.locator("#no-printer")).to_have_text("本机暂无打印，请拍照保存二维码")
    qr = page.locator("#slip-qr")
    wait_until(page, "document.getElementById('slip-qr').naturalWidth > 0")
    src = qr.get_attribute("src")
    assert src is not None
    svg = httpx.get(live_server.base + src)
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<path" in svg.text
    token = src.split("/")[2]
    assert read_qr(qr, tmp_path) == f"{live_server.base}/t/{token}"  # a phone scanning the screen lands here
    shoot(page, "ticket-portrait")
    assert hall.ticket(src.split("/")[2])["priority"] == "pregnant"
    page.get_by_role("button", name="完成").click()
    expect(page.locator("#home")).to_be_visible()


def test_a_lost_answer_is_retried_and_gives_the_same_ticket(open_kiosk: Callable[..., Page],
                                                            hall: HallClient) -> None:
    """The server issues A001 but its answer never reaches the kiosk (a blip, a restart): the
    kiosk tries again under the same Idempotency-Key and shows A001, and no second ticket exists."""
    page = open_kiosk()
    keys: list[str | None] = []

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.header_value("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server issues it ...
            route.abort("connectionreset")  # ... and the answer is lost on the way back
        else:
            route.continue_()

    page.route("**/api/v1/halls/jinan/tickets", lose_first_answer)
    take(page, "A")
    expect(page.locator("#slip-number")).to_have_text("A001")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    snapshot = httpx.get(f"{hall.server.base}/api/v1/halls/jinan/snapshot").json()
    assert next(q for q in snapshot["queues"] if q["code"] == "A")["waiting"] == 1
    page.get_by_role("button", name="完成").click()
    take(page, "A")  # a new press is a new ticket
    expect(page.locator("#slip-number")).to_have_text("A002")
    assert len(keys) == 3 and keys[2] != keys[0]


def test_search_by_pinyin_initials_leads_to_queue_b(open_kiosk: Callable[..., Page], shoot: Shoot) -> None:
    page = open_kiosk()
    page.locator("#search").fill("yyzz")
    results = page.locator(".result")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("营业执照变更登记")
    expect(results.nth(1)).to_contain_text("营业执照注销登记")
    expect(page.locator("#themes")).to_be_hidden()  # the results take the themes' place
    shoot(page, "search")
    results.first.click()
    expect(page.locator("#chosen")).to_have_text("B · 注册登记类 · 营业执照变更登记")
    page.get_by_role("button", name="确认取号").click()
    expect(page.locator("#slip-number")).to_have_text("B001")
    page.get_by_role("button", name="完成").click()
    page.locator("#search").fill("营业")
    expect(page.locator(".result").first).to_contain_text("营业执照")
    page.locator("#search").fill("zzzzqq")
    expect(page.locator(".results .none")).to_contain_text("没有找到")
    page.locator("#search").fill("")
    expect(page.locator("#themes")).to_be_visible()


def test_card_greets_preselects_and_refuses_a_second_ticket(open_kiosk: Callable[..., Page], hall: HallClient,
                                                            shoot: Shoot) -> None:
    page = open_kiosk()
    post_card(hall, ELDER)
    expect(page.locator("#greeting")).to_have_text("张*三，您好")
    page.locator(".theme[data-queue='C']").click()
    expect(page.get_by_role("radio", name="老年人（60岁以上）")).to_have_attribute("aria-checked", "true")
    page.get_by_role("button", name="确认取号").click()
    expect(page.locator("#slip-number")).to_have_text("C001")
    held_token = (page.locator("#slip-qr").get_attribute("src") or "").split("/")[2]
    page.get_by_role("button", name="完成").click()
    expect(page.locator("#greeting")).to_be_hidden()  # home forgets the visitor

    post_card(hall, ELDER)  # the same card again: the number it holds, not a new one
    take(page, "C", "老年人（60岁以上）")
    expect(page.locator("#ticket-title")).to_have_text("您已取过本类号码，请耐心等候")
    expect(page.locator("#slip-number")).to_have_text("C001")
    shoot(page, "held")
    page.get_by_role("button", name="完成").click()

    post_card(hall, OTHER)
    expect(page.locator("#greeting")).to_have_text("李*，您好")
    take(page, "C")  # another person: a new ticket
    expect(page.locator("#slip-number")).to_have_text("C002")
    page.get_by_role("button", name="完成").click()

    post_card(hall, ELDER)  # once the held ticket is no longer waiting, the card may take another
    assert hall.post(f"/tickets/{held_token}/cancel", {}).status_code == 200
    take(page, "C", "老年人（60岁以上）")
    expect(page.locator("#ticket-title")).to_have_text("取号成功")
    expect(page.locator("#slip-number")).to_have_text("C003")


def test_idle_returns_home_and_forgets(open_kiosk: Callable[..., Page], hall: HallClient) -> None:
    page = open_kiosk(query="&idle=2")
    post_card(hall, ELDER)
    expect(page.locator("#greeting")).to_be_visible()
    page.locator(".theme[data-queue='D']").click()
    expect(page.locator("#priority")).to_be_visible()
    expect(page.locator("#home")).to_be_visible(timeout=5000)
    expect(page.locator("#greeting")).to_be_hidden()
    page.locator("#search").fill("yyzz")
    expect(page.locator("#search")).to_have_value("", timeout=5000)


def test_out_of_service_while_the_server_is_down(open_kiosk: Callable[..., Page], live_server: ServerProcess,
                                                 shoot: Shoot) -> None:
    page = open_kiosk()
    oos = page.locator("#out-of-service")
    expect(oos).to_be_hidden()
    live_server.stop()
    expect(oos).to_be_visible()
    expect(oos).to_contain_text("暂停服务")
    shoot(page, "out-of-service")
    live_server.start()
    expect(page.locator("html")).to_have_attribute("data-feed", "live", timeout=RECONNECT_S * 1000)
    expect(oos).to_be_hidden()
    take(page, "A")
    expect(page.locator("#slip-number")).to_have_text("A001")


def test_english_and_both_orientations(open_kiosk: Callable[..., Page], shoot: Shoot, tmp_path: Path,
                                       live_server: ServerProcess) -> None:
    for size, name in ((PORTRAIT, "portrait"), (LANDSCAPE, "landscape")):
        page = open_kiosk(size)
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#home-title")).to_have_text("Choose the kind of service")
        expect(page.locator("[data-queue-name='B']")).to_have_text("Registration")
        shoot(page, f"home-en-{name}")
        page.get_by_role("button", name="中文").click()
        expect(page.locator("#home-title")).to_have_text("请选择办理事项类别")
        shoot(page, f"home-{name}")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
        small = page.evaluate("""[...document.querySelectorAll('button')].filter(b => b.offsetParent)
            .map(b => b.getBoundingClientRect()).filter(r => r.height < 64 || r.width < 64).length""")
        assert small == 0
        page.locator(".theme[data-queue='B']").click()
        shoot(page, f"priority-{name}")
        page.get_by_role("button", name="确认取号").click()
        expect(page.locator("#slip-number")).to_be_visible()
        wait_until(page, "document.getElementById('slip-qr').naturalWidth > 0")
        assert read_qr(page.locator("#slip-qr"), tmp_path).startswith(f"{live_server.base}/t/")
        shoot(page, f"ticket-{name}")
        page.get_by_role("button", name="完成").click()
        page.get_by_role("button", name="预约签到").click()
        expect(page.locator("#code-keys button")).to_have_count(26)
        shoot(page, f"checkin-{name}")
        page.get_by_role("button", name="返回").click()
        page.get_by_role("button", name="办件查询").click()
        expect(page.locator("#case-keys button")).to_have_count(14)
        small = page.evaluate("""[...document.querySelectorAll('button')].filter(b => b.offsetParent)
            .map(b => b.getBoundingClientRect()).filter(r => r.height < 64 || r.width < 64).length""")
        assert small == 0


def test_the_ticket_prints_and_a_printer_out_of_paper_is_said_plainly(
        open_kiosk: Callable[..., Page], live_server: ServerProcess, tmp_path: Path, shoot: Shoot) -> None:
    printer = PrinterEmulator(link=str(tmp_path / "printer"))
    printer.start()
    agent = AgentProcess(f"""
server = "{live_server.base}"
token = "{demo_token(SECRET, 'agent', 'kiosk-1')}"
outbox = "{tmp_path / 'outbox.sqlite3'}"
printer_status_s = 0.3
[devices.printer]
url = "serial://{tmp_path / 'printer'}?baud=9600"
""", tmp_path).start()
    try:
        page = open_kiosk(LANDSCAPE)
        manager = HallClient(live_server).clerk("manager")
        eventually(lambda: any(d["device"] == "printer" and d["state"] == "ok" for d in httpx.get(
            f"{live_server.base}/api/v1/halls/jinan/devices", headers=manager).json()), what="the printer online")
        take(page, "A")
        expect(page.locator("#slip-number")).to_have_text("A001")
        expect(page.locator("#no-printer")).to_have_text("号票已打印，请取走号票")
        printed = printer.wait_for_documents(1, 10.0)
        assert any("A001" in line.text for line in printed[0].lines)
        page.get_by_role("button", name="完成").click()

        printer.paper_out = True  # the roll runs out: the kiosk says so before anyone loses a ticket
        expect(page.locator("#printer-down")).to_have_text("打印机暂停服务：取号后请用手机拍下二维码")
        take(page, "A")
        expect(page.locator("#slip-number")).to_have_text("A002")  # the ticket is valid all the same
        expect(page.locator("#no-printer")).to_contain_text("打印机缺纸")
        expect(page.locator("#no-printer")).to_contain_text("拍下二维码")
        expect(page.locator("#slip-qr")).to_be_visible()
        shoot(page, "paper-out")
        assert len(printer.documents()) == 1
    finally:
        agent.stop()
        printer.stop()
