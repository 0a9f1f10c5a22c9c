"""The clerk's counter app `/counter/{hall}/{n}` and the 好差评 tablet `/counter/{hall}/{n}/rate`,
in Debian's Chromium against a real server: sign-in, every counter action with what the page
shows after it, the wall display's view of the calls, a rating stored, two browsers on one
counter, and a server restart under an open page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.store.db import open_database
from server.store.tables import ratings
from tests.api.conftest import SECRET
from tests.browser.conftest import HallClient, restart_under
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

Shoot = Callable[[Page, str], Path]
DESK: ViewportSize = {"width": 1366, "height": 768}
TABLET: ViewportSize = {"width": 1024, "height": 600}
PATH = "/counter/jinan/1"


def signed_in(open_page: Callable[..., Page], username: str = "clerk01") -> Page:
    """The counter page, reached through the login page as a clerk at the desk does."""
    page = open_page(PATH)
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{PATH}")
    expect(page.locator("html")).to_have_attribute("data-feed", "live")
    return page


def key(page: Page, text: str) -> Any:
    return page.locator(".keys button:visible", has_text=text)


def issue(hall: HallClient, queue: str = "A", priority: str = "none") -> dict[str, Any]:
    return dict(hall.issue(queue, priority))


def recent_calls(hall: HallClient) -> list[tuple[str, int]]:
    body = httpx.get(f"{hall.server.base}/api/v1/halls/jinan/snapshot", timeout=10).json()
    return [(c["ticket"]["number"], c["counter"]) for c in body["recent_calls"]]


def dialog(page: Page, button: str, fill: Callable[[Any], object], confirm: str) -> None:
    key(page, button).click()
    box = page.locator("dialog[open]")
    expect(box).to_be_visible()
    fill(box)
    box.get_by_role("button", name=confirm).click()
    expect(box).to_be_hidden()


def test_a_clerks_day_at_the_counter(open_page: Callable[..., Page], hall: HallClient, shoot: Shoot,
                                     live_server: ServerProcess) -> None:
    elderly = issue(hall, "A", "elderly")
    second, third = issue(hall), issue(hall)
    page = signed_in(open_page)
    expect(page.locator("#status")).to_have_text("未签到")
    expect(key(page, "呼叫下一位")).to_be_disabled()

    page.get_by_role("button", name="签到").click()
    expect(page.locator("#status")).to_have_text("空闲")
    expect(page.locator("#holder")).to_have_text("已签到")
    expect(page.locator("#next li").first).to_contain_text("A001")
    expect(page.locator("#next li").first).to_contain_text("老年人")
    expect(page.locator("#queues li").first).to_contain_text("等候 3 人")
    for text in ("重呼", "开始办理", "办结", "过号", "转移"):
        expect(key(page, text)).to_be_disabled()

    page.keyboard.press("1")  # the shortcut on 呼叫下一位
    expect(page.locator("#number")).to_have_text(elderly["number"])
    expect(page.locator("#priority")).to_have_text("老年人优先")
    expect(page.locator("#channel")).to_have_text("取号机")
    expect(page.locator("#status")).to_have_text("叫号中")
    expect(key(page, "呼叫下一位")).to_be_disabled()
    assert (elderly["number"], 1) in recent_calls(hall)  # what the wall display shows
    expect(page.locator("#queues li").first).to_contain_text("等候 2 人")  # the side panel follows
    expect(page.locator("#next li").first).to_contain_text(second["number"])
    shoot(page, "calling")

    key(page, "重呼").click()
    expect(page.locator("#recalls")).to_have_text("（已重呼 1 次）")

    dialog(page, "转移", lambda box: (box.locator("select[name=queue]").select_option("B"),
                                     box.locator("select[name=reason]").select_option("排错队列")), "确认转移")
    expect(page.locator("#number")).to_have_text("—")
    moved = hall.ticket(elderly["status_token"])
    assert (moved["queue"], moved["status"]) == ("B", "waiting")

    key(page, "呼叫下一位").click()
    expect(page.locator("#number")).to_have_text(second["number"])
    key(page, "过号").click()
    expect(page.locator("#number")).to_have_text("—")
    expect(page.locator("#no-shows")).to_have_text("1")

    dialog(page, "回呼", lambda box: box.locator("input[name=number]").fill(second["number"].lower()), "回呼")
    expect(page.locator(f"#next li[data-number={second['number']}]")).to_be_visible()  # back in the queue
    assert hall.ticket(second["status_token"])["status"] == "waiting"

    dialog(page, "暂停", lambda box: box.get_by_label("休息").check(), "暂停")
    expect(page.locator("#status")).to_have_text("暂停中：休息")
    expect(key(page, "呼叫下一位")).to_be_disabled()
    key(page, "恢复").click()
    expect(page.locator("#status")).to_have_text("空闲")

    tablet = open_page(f"{PATH}/rate?token={demo_token(SECRET, 'counter', 'counter-1')}", TABLET)
    expect(tablet.locator("html")).to_have_attribute("data-feed", "live")
    expect(tablet.locator("#idle")).to_be_visible()
    shoot(tablet, "rate-idle")

    dialog(page, "特呼", lambda box: box.locator("input[name=number]").fill(third["number"]), "呼叫")
    expect(page.locator("#number")).to_have_text(third["number"])
    assert (third["number"], 1) in recent_calls(hall)
    key(page, "开始办理").click()
    expect(page.locator("#status")).to_have_text("办理中")
    expect(page.locator("#ticket-state")).to_have_text("办理中")
    key(page, "办结").click()
    expect(page.locator("#number")).to_have_text("—")
    expect(page.locator("#served")).to_have_text("1")
    expect(page.locator("#average")).not_to_have_text("—")

    expect(tablet.locator("#ask")).to_be_visible()
    expect(tablet.locator("#ticket")).to_have_text(third["number"])
    tablet.get_by_role("button", name="不满意", exact=True).click()
    tablet.get_by_role("button", name="等候时间长").click()
    shoot(tablet, "rate-reasons")
    tablet.get_by_role("button", name="提交评价").click()
    expect(tablet.locator("#thanks")).to_be_visible()
    db = open_database(live_server.database_url)
    with db.reader.connect() as conn:
        rows = conn.execute(select(ratings)).all()
    db.dispose()
    assert [(r.ticket_id, r.counter, r.clerk, r.level, r.reasons) for r in rows] == [
        (third["id"], 1, "clerk01", 2, ["等候时间长"])]

    # An error the clerk can act on, in Chinese, never "409 Conflict".
    dialog(page, "特呼", lambda box: box.locator("input[name=number]").fill(third["number"]), "呼叫")
    expect(page.locator("#alert")).to_be_visible()
    expect(page.locator("#alert-text")).to_contain_text(f"{third['number']} 已办结")
    assert "409" not in page.locator("#alert-text").inner_text()
    shoot(page, "error")

    page.get_by_role("button", name="签退").click()
    expect(page.locator("#status")).to_have_text("未签到")


def test_two_browsers_on_one_counter(open_page: Callable[..., Page], hall: HallClient) -> None:
    tickets = [issue(hall) for _ in range(3)]
    first, second = signed_in(open_page), signed_in(open_page)
    first.get_by_role("button", name="签到").click()
    expect(second.locator("#status")).to_have_text("空闲")  # the other's 签到, live

    key(first, "呼叫下一位").dblclick()
    expect(second.locator("#number")).to_have_text(tickets[0]["number"])
    expect(first.locator("#next li").first).to_contain_text(tickets[1]["number"])
    assert [hall.ticket(t["status_token"])["status"] for t in tickets] == ["called", "waiting", "waiting"]

    key(second, "办结").click()
    expect(first.locator("#number")).to_have_text("—")
    # Both clerks press 呼叫下一位 at the same moment: one ticket is called, never two.
    for page in (first, second):
        page.evaluate("document.querySelector('[data-action=\"call-next\"]').click()")
    expect(first.locator("#number")).to_have_text(tickets[1]["number"])
    expect(second.locator("#number")).to_have_text(tickets[1]["number"])
    assert [hall.ticket(t["status_token"])["status"] for t in tickets] == ["done", "called", "waiting"]
    key(first, "办结").click()

    # A manager finds the counter held: the page says by whom, and the manager may take it over.
    manager = signed_in(open_page, "manager")
    expect(manager.locator("#holder")).to_have_text("本窗口已由 clerk01 签到")
    manager.get_by_role("button", name="签到").click()
    expect(manager.locator("#alert-text")).to_contain_text("1号窗口已由 clerk01 签到")
    manager.get_by_role("button", name="接管本窗口").click()
    expect(manager.locator("#holder")).to_have_text("已签到")
    expect(first.locator("#holder")).to_have_text("本窗口已由 manager 签到")
    expect(key(first, "呼叫下一位")).to_be_disabled()


def test_the_page_survives_a_server_restart(open_page: Callable[..., Page], hall: HallClient,
                                            live_server: ServerProcess, shoot: Shoot) -> None:
    page = signed_in(open_page)
    page.get_by_role("button", name="签到").click()
    expect(page.locator("#status")).to_have_text("空闲")
    restart_under(page, live_server, shoot)
    ticket = issue(hall)
    expect(page.locator("#next li").first).to_contain_text(ticket["number"])
    key(page, "呼叫下一位").click()
    expect(page.locator("#number")).to_have_text(ticket["number"])
    assert (ticket["number"], 1) in recent_calls(hall)
