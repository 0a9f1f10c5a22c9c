"""咨询登记 in Debian's Chromium against a real server whose clock starts on a Wednesday at 09:30:
the clerk of the Z window (counter 11) records a phone consultation from the counter page and sends
it to 区市场监管局, due two working days later (the Friday); the manager finds it in the dashboard's
咨询登记 tab, with the clerk as its first responder, and filters by channel."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from server.demo import DEMO_PASSWORD
from tests.browser.conftest import wait_until
from tests.browser.test_dashboard import signed_in
from tests.servers import ServerProcess, seeded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ViewportSize

DESK: ViewportSize = {"width": 1366, "height": 768}
TODAY = "2026-11-25"  # a Wednesday: two working days later is Friday the 27th
SHOTS = Path("/tmp/shots")


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(seeded(sqlite_url), tmp_path,
                            extra_env={"ONEWINDOW_CLOCK_AT": f"{TODAY}T09:30:00+08:00"}).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def desk(browser: Browser, server: ServerProcess) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def open_(size: ViewportSize = DESK) -> BrowserContext:
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=server.base)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()


def counter_page(desk: Callable[..., BrowserContext], username: str, number: int) -> Page:
    page = desk().new_page()
    page.goto(f"/counter/jinan/{number}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/counter/jinan/{number}$"))
    return page


def test_a_clerk_records_and_escalates_a_phone_consultation_the_manager_sees_it(
        desk: Callable[..., BrowserContext]) -> None:
    SHOTS.mkdir(exist_ok=True)
    clerk = counter_page(desk, "clerk11", 11)
    clerk.click("#consult-open")
    dialog = clerk.locator("#consult-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=channel][value=phone]").check()
    dialog.locator("input[name=topic]").fill("个体户转为公司，原营业执照如何注销")
    wait_until(clerk, "document.querySelectorAll('#consult-dialog select[name=item_code] option').length > 1")
    dialog.locator("textarea[name=answer]").fill("需先办理公司设立，再申请个体户注销")
    dialog.locator("input[name=escalated]").check()
    expect(dialog.locator("select[name=department]")).to_be_visible()
    dialog.locator("select[name=department]").select_option(label="区市场监管局")
    clerk.screenshot(path=SHOTS / "consult-counter-dialog.png")
    dialog.locator("button[value=ok]").click()
    expect(dialog).to_be_hidden()
    expect(clerk.locator("#consult-done")).to_be_in_viewport()
    expect(clerk.locator("#consult-done")).to_contain_text("已转区市场监管局，2026-11-27前答复")
    clerk.screenshot(path=SHOTS / "consult-counter-done.png")

    manager = signed_in(desk, path="/dashboard/jinan#consultations")
    rows = manager.locator("#tab-consultations tbody tr")
    expect(rows).to_have_count(1)
    first = rows.first
    expect(first).to_contain_text("个体户转为公司")
    expect(first).to_contain_text("电话")
    expect(first).to_contain_text("（11号窗口）")
    expect(first).to_contain_text("区市场监管局")
    expect(first).to_contain_text("2026-11-27")
    expect(first).to_contain_text("待部门答复")
    manager.screenshot(path=SHOTS / "consult-dashboard.png")
    # the manager records one on site, then filters by channel
    manager.click("[data-consult=new]")
    box = manager.locator("#consult-dialog")
    box.locator("input[name=topic]").fill("大厅几点下班")
    box.locator("textarea[name=answer]").fill("下午五点")
    box.locator("button[value=ok]").click()
    expect(rows).to_have_count(2)
    manager.locator("#tab-consultations select[name=channel]").select_option("phone")
    manager.click("#tab-consultations button[type=submit]")
    expect(rows).to_have_count(1)
    expect(manager.locator("[data-consult=total]")).to_have_text("共 1 条")
    manager.screenshot(path=SHOTS / "consult-dashboard-filtered.png")
