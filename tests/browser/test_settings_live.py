"""The screens follow the hall's settings live (issue 18, 大厅设置): a manager changes them over the
API and the open pages change without a reload (a mark left on ``window`` at load is still there).

- The wall display shows its English labels only while ``display_languages`` holds ``en``.
- The opening hours stand on the kiosk and the wall display; outside them the kiosk says
  当前非办理时间 and when it issues again instead of offering the themes (booked visitors still
  check in), and a visitor who chose a theme just before is told the server's own words (409
  ``hall_closed``, naming the hours), then the kiosk goes back to the start. Hours back: it issues.
- At the end of a period the kiosk closes by itself, on the server's word of when.

The server's clock starts on a Wednesday (ONEWINDOW_CLOCK_AT), so the hours are judged the same
whatever the hour the tests run at."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from tests.api.conftest import SECRET
from tests.browser.conftest import wait_until
from tests.servers import ServerProcess, seeded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

Shoot = Callable[[Page, str], Path]
KIOSK_TOKEN = demo_token(SECRET, "kiosk", "kiosk-1")
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
TV: ViewportSize = {"width": 1920, "height": 1080}
PHONE: ViewportSize = {"width": 360, "height": 740}
MARK = "window.__loadedOnce === true"  # set once at load: gone if the page ever reloads
CLOCK_AT = "2026-11-25T12:40:00+08:00"  # clocked_server's: a Wednesday, in the lunch break of the usual hours
ALL_DAY = {"workday": [{"start": "09:00", "end": "17:00"}], "rest_day": [], "stop_issuing_min": 0}
USUAL = {"workday": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}], "rest_day": [],
         "stop_issuing_min": 30}
ENGLISH_SHOWN = "[...document.querySelectorAll('#screen [lang=en]')].filter((e) => e.checkVisibility()).length"


def start(sqlite_url: str, tmp_path: Path, clock_at: str) -> ServerProcess:
    return ServerProcess(seeded(sqlite_url), tmp_path, extra_env={"ONEWINDOW_CLOCK_AT": clock_at}).start()


class Api:
    """The live server's API as the hall's manager uses it."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        response = self.call("POST", "/auth/login", {"username": "manager", "password": DEMO_PASSWORD}, {})
        assert response.status_code == 200, response.text
        self.manager = {"Authorization": f"Bearer {response.json()['token']}"}

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.server.base}/api/v1{path}", json=body, timeout=10,
                             headers=self.manager if headers is None else headers)

    def settings(self, **changes: Any) -> dict[str, Any]:
        response = self.call("PUT", "/halls/jinan/settings", changes)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def api(clocked_server: ServerProcess) -> Api:
    return Api(clocked_server)


def opener(browser: Browser, server: ServerProcess) -> tuple[Callable[..., Page], list[Any]]:
    contexts: list[Any] = []

    def open_(path: str, size: ViewportSize) -> Page:
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      base_url=server.base, has_touch=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("data-feed", "live")
        page.evaluate("window.__loadedOnce = true")
        return page

    return open_, contexts


@pytest.fixture
def opened(browser: Browser, clocked_server: ServerProcess) -> Iterator[Callable[..., Page]]:
    """Opens a page in its own context, waits until its feed is live, and marks its window."""
    open_, contexts = opener(browser, clocked_server)
    yield open_
    for context in contexts:
        context.close()


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight"), "the page overflows"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "the page overflows sideways"
    assert page.evaluate("""[...document.querySelectorAll('#home button')].filter((b) => b.offsetParent)
        .every((b) => b.getBoundingClientRect().bottom <= innerHeight)"""), "a button is off the screen"


def test_the_wall_display_shows_english_only_when_asked(opened: Callable[..., Page], api: Api, shoot: Shoot) -> None:
    wall = opened("/display/jinan", TV)
    assert wall.evaluate(ENGLISH_SHOWN) >= 3  # 排队叫号 Queue calling, 当前叫号 Now calling, …
    expect(wall.locator(".subtitle [lang=en]")).to_have_text("Queue calling")

    api.settings(display_languages=["zh"])
    wait_until(wall, f"{ENGLISH_SHOWN} === 0", 10_000)
    expect(wall.locator(".subtitle")).to_have_text("排队叫号", use_inner_text=True)
    shoot(wall, "display-chinese-only")
    later = opened("/display/jinan", TV)  # a screen switched on now starts without them
    assert later.evaluate(ENGLISH_SHOWN) == 0

    api.settings(display_languages=["zh", "en"])
    wait_until(wall, f"{ENGLISH_SHOWN} >= 3", 10_000)
    wait_until(later, f"{ENGLISH_SHOWN} >= 3", 10_000)
    expect(wall.locator(".subtitle [lang=en]")).to_be_visible()
    for page in (wall, later):
        assert page.evaluate(MARK), "the page was reloaded"


def test_the_kiosk_keeps_the_opening_hours(opened: Callable[..., Page], api: Api, shoot: Shoot) -> None:
    kiosk = opened(f"/kiosk/jinan?token={KIOSK_TOKEN}&idle=4", PORTRAIT)
    wide = opened(f"/kiosk/jinan?token={KIOSK_TOKEN}", LANDSCAPE)
    wall = opened("/display/jinan", TV)
    expect(kiosk.locator("#hall-hours")).to_be_hidden()  # no hours set: the kiosk issues at any time
    expect(wall.locator("#hours-line")).to_be_hidden()

    api.settings(opening_hours=ALL_DAY)
    expect(kiosk.locator("#hall-hours")).to_have_text("办理时间：工作日 09:00–17:00，周末及节假日休息")
    expect(wall.locator("#hours")).to_have_text("工作日 09:00–17:00，周末及节假日休息")
    expect(kiosk.locator(".theme")).to_have_count(4)
    expect(wide.locator("#hall-hours")).to_be_visible()
    for page, name in ((kiosk, "portrait"), (wide, "landscape")):
        shoot(page, f"kiosk-hours-{name}")
        fits(page)
    kiosk.locator(".theme[data-queue='A']").click()  # a visitor chooses a theme …
    expect(kiosk.locator("#priority")).to_be_visible()

    api.settings(opening_hours=USUAL)  # … as the manager sets the usual hours: 12:40 is the lunch break
    kiosk.get_by_role("button", name="确认取号").click()  # … and presses 确认取号: the server's own words
    refusal = kiosk.locator("#error")
    expect(refusal).to_contain_text("现在不是取号时间")
    expect(refusal).to_contain_text("09:00–12:00、13:30–17:00")
    expect(refusal).not_to_contain_text("the hall")
    expect(refusal).not_to_contain_text("暂时无法取号")
    shoot(kiosk, "kiosk-refused-closed")

    closed = wide.locator("#closed")
    expect(closed).to_be_visible()
    expect(closed).to_contain_text("当前非办理时间")
    expect(closed).to_contain_text("今天 13:30 开始取号")
    expect(wide.locator(".theme").first).to_be_hidden()
    expect(wide.locator("#checkin")).to_be_visible()  # a booked visitor still checks in
    expect(wide.locator("#closed-hours")).to_have_text(  # said in the notice, not twice
        "办理时间：工作日 09:00–12:00、13:30–17:00，周末及节假日休息；每段结束前 30 分钟停止取号")
    expect(wide.locator("#hall-hours")).to_be_hidden()
    expect(wall.locator("#hours")).to_contain_text("工作日 09:00–12:00、13:30–17:00")
    expect(kiosk.locator("#home")).to_be_visible(timeout=8000)  # back to the start after the idle time
    expect(kiosk.locator("#closed")).to_be_visible()
    expect(kiosk.locator("#error")).to_be_hidden()
    for page, name in ((kiosk, "portrait"), (wide, "landscape")):
        fits(page)
        shoot(page, f"kiosk-closed-{name}")
    shoot(wall, "display-hours")
    assert wall.evaluate("document.documentElement.scrollHeight <= innerHeight")

    kiosk.get_by_role("button", name="English").click()
    expect(kiosk.locator("#closed")).to_contain_text("Not issuing numbers now")
    expect(kiosk.locator("#closed-hours")).to_contain_text("Opening hours: working days 09:00–12:00, 13:30–17:00")
    shoot(kiosk, "kiosk-closed-en")
    kiosk.get_by_role("button", name="中文").click()

    api.settings(opening_hours=ALL_DAY)  # hours back: the themes come back and the kiosk issues again
    expect(kiosk.locator("#closed")).to_be_hidden()
    expect(kiosk.locator(".theme").first).to_be_visible()
    expect(kiosk.locator("#hall-hours")).to_have_text("办理时间：工作日 09:00–17:00，周末及节假日休息")
    kiosk.locator(".theme[data-queue='A']").click()
    kiosk.get_by_role("button", name="确认取号").click()
    expect(kiosk.locator("#slip-number")).to_have_text("A001")
    expect(wide.locator("#closed")).to_be_hidden()
    api.settings(opening_hours={"workday": [], "rest_day": []})  # unset: the line goes
    expect(wide.locator("#hall-hours")).to_be_hidden()
    expect(wall.locator("#hours-line")).to_be_hidden()
    for page in (kiosk, wide, wall):
        assert page.evaluate(MARK), "the page was reloaded"


def test_the_visitors_ticket_page_shows_the_hours(opened: Callable[..., Page], api: Api, shoot: Shoot) -> None:
    api.settings(opening_hours=USUAL)
    issued = api.call("POST", "/halls/jinan/tickets", {"queue": "A"})  # the manager hands out a number
    assert issued.status_code == 201, issued.text
    phone = opened(f"/t/{issued.json()['status_token']}", PHONE)
    expect(phone.locator("#hours")).to_have_text("办理时间：工作日 09:00–12:00、13:30–17:00，周末及节假日休息")
    shoot(phone, "ticket-hours")


def test_the_kiosk_closes_by_itself_when_the_period_ends(browser: Browser, sqlite_url: str, tmp_path: Path) -> None:
    """No event marks the end of a period: the kiosk asks again when the server said it would change."""
    server = start(sqlite_url, tmp_path, "2026-11-25T11:59:30+08:00")
    open_, contexts = opener(browser, server)
    try:
        Api(server).settings(opening_hours={**USUAL, "stop_issuing_min": 0})
        kiosk = open_(f"/kiosk/jinan?token={KIOSK_TOKEN}", PORTRAIT)
        expect(kiosk.locator(".theme")).to_have_count(4)
        expect(kiosk.locator("#closed")).to_be_hidden()
        expect(kiosk.locator("#closed")).to_be_visible(timeout=60_000)  # 12:00
        expect(kiosk.locator("#closed")).to_contain_text(re.compile("今天 13:30"))
        assert kiosk.evaluate(MARK)
    finally:
        for context in contexts:
            context.close()
        server.stop()
