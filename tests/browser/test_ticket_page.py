"""The visitor's own ticket page `/t/{status_token}` in a real browser on a narrow phone, against
a real server: embedded state, live updates over /ws/tickets/…, the call alert, English, cancel,
and a server restart under an open page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import HallClient, restart_under
from tests.servers import ServerProcess

Shoot = Callable[[Page, str], Path]


def open_ticket(page: Page, ticket: dict[str, object], live: bool = True) -> None:
    """Open the ticket's page; with `live`, wait until its feed is connected too."""
    page.goto(f"/t/{ticket['status_token']}")
    expect(page.locator("#number")).to_have_text(str(ticket["number"]))
    if live:
        expect(page.locator("html")).to_have_attribute("data-feed", "live")


def assert_fits(page: Page) -> None:
    """Nothing wider than the phone: no horizontal scroll at 360 px."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# status, people ahead, the buttons a waiting visitor sees
WAITING_ONE_AHEAD = {
    "zh": ("等候中", "前面还有 1 人", ("取消排队", "开启提醒音")),
    "en": ("Waiting", "1 person ahead of you", ("Give up my number", "Enable sound")),
}


def expect_waiting_one_ahead(page: Page, lang: str) -> None:
    status, ahead, buttons = WAITING_ONE_AHEAD[lang]
    expect(page.locator("#status")).to_have_text(status)
    expect(page.locator("#ahead")).to_have_text(ahead)
    for name in buttons:
        expect(page.get_by_role("button", name=name)).to_be_visible()
    assert_fits(page)


def test_waiting_then_called_live(phone: Page, hall: HallClient, shoot: Shoot) -> None:
    phone.add_init_script("navigator.vibrate = (pattern) => { window.vibrated = pattern; return true; }")
    hall.issue("A")
    mine = hall.issue("A")
    open_ticket(phone, mine)
    expect(phone.locator("#hall")).to_have_text("晋安区行政服务中心")
    expect(phone.locator("#queue")).to_have_text("A · 社会民生类")
    expect(phone.locator("#eta")).to_contain_text("预计等待约")
    expect_waiting_one_ahead(phone, "zh")
    shoot(phone, "waiting")
    phone.get_by_role("button", name="开启提醒音").click()  # the tap that lets the page play sound
    expect(phone.get_by_role("button", name="提醒音已开启")).to_be_disabled()

    clerk = hall.clerk()
    hall.counter(1, "open", clerk)
    hall.counter(1, "call-next", clerk)  # the ticket before mine
    expect(phone.locator("#ahead")).to_have_text("前面还有 0 人")
    # Nobody ahead, but the only open counter has just called: about one service (5 minutes) with its range.
    expect(phone.locator("#eta")).to_have_text("预计等待约 3–7 分钟")
    shoot(phone, "waiting-range")
    expect(phone.locator("#overlay")).to_be_hidden()

    hall.counter(1, "finish", clerk)
    hall.counter(1, "call-next", clerk)  # mine
    overlay = phone.locator("#overlay")
    expect(overlay).to_be_visible()
    expect(overlay.locator("#overlay-text")).to_have_text("请到 1号窗口 办理")
    expect(overlay.locator("#overlay-number")).to_have_text(str(mine["number"]))
    assert phone.evaluate("window.vibrated") == [300, 150, 300]
    assert_fits(phone)
    shoot(phone, "called-overlay")

    overlay.click()
    expect(overlay).to_be_hidden()
    expect(phone.locator("#status")).to_have_text("已叫号")
    expect(phone.locator("#where")).to_have_text("请到 1号窗口 办理")
    expect(phone.locator("#ahead")).to_be_hidden()
    expect(phone.get_by_role("button", name="取消排队")).to_be_hidden()
    shoot(phone, "called")

    hall.counter(1, "recall", clerk)
    expect(overlay).to_be_visible()  # a recall alerts again
    hall.counter(1, "start", clerk)
    expect(overlay).to_be_hidden()  # the call is over once service starts
    expect(phone.locator("#status")).to_have_text("办理中")
    expect(phone.locator("#where")).to_have_text("正在 1号窗口 办理")
    hall.counter(1, "finish", clerk)
    expect(phone.locator("#status")).to_have_text("已办结")
    expect(phone.locator("#final")).to_have_text("业务已办结，感谢您的耐心等候。")
    shoot(phone, "done")


def test_english_toggle_is_remembered(phone: Page, hall: HallClient, shoot: Shoot) -> None:
    hall.issue("A")
    mine = hall.issue("A")
    open_ticket(phone, mine, live=False)
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
    phone.get_by_role("button", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_text("Your number")).to_be_visible()
    expect_waiting_one_ahead(phone, "en")
    shoot(phone, "english")

    phone.reload()
    expect(phone.locator("#status")).to_have_text("Waiting")
    phone.get_by_role("button", name="中文").click()
    expect(phone.locator("#status")).to_have_text("等候中")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")


def test_unknown_ticket_is_a_chinese_404(phone: Page, shoot: Shoot) -> None:
    response = phone.goto("/t/no-such-ticket")
    assert response is not None and response.status == 404
    expect(phone.get_by_role("heading", name="没有找到这张票")).to_be_visible()
    assert_fits(phone)
    shoot(phone, "not-found")


def test_page_survives_a_server_restart(phone: Page, hall: HallClient, live_server: ServerProcess,
                                        shoot: Shoot) -> None:
    mine = hall.issue("A")
    open_ticket(phone, mine)

    restart_under(phone, live_server, shoot)
    clerk = hall.clerk()
    hall.counter(1, "open", clerk)
    hall.counter(1, "call-next", clerk)
    expect(phone.locator("#overlay-text")).to_have_text("请到 1号窗口 办理")


def test_visitor_cancels_a_waiting_ticket(phone: Page, hall: HallClient, shoot: Shoot) -> None:
    mine = hall.issue("A")
    open_ticket(phone, mine, live=False)
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="取消排队").click()
    expect(phone.locator("#status")).to_have_text("已取消")
    expect(phone.locator("#final")).to_be_visible()
    expect(phone.get_by_role("button", name="取消排队")).to_be_hidden()
    assert hall.ticket(mine["status_token"])["status"] == "cancelled"
    shoot(phone, "cancelled")


def test_dismissing_the_confirm_keeps_the_ticket(phone: Page, hall: HallClient) -> None:
    mine = hall.issue("A")
    open_ticket(phone, mine, live=False)
    phone.once("dialog", lambda dialog: dialog.dismiss())
    phone.get_by_role("button", name="取消排队").click()
    expect(phone.locator("#status")).to_have_text("等候中")
    assert hall.ticket(mine["status_token"])["status"] == "waiting"
