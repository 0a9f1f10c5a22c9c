"""Every page under its strict Content-Security-Policy in real Chromium: the header is there (with
no framing and no sniffing), nothing the page itself needs is refused (no violation reported, and
the page goes live), and a script or handler injected into a page does not run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from server.demo import DEMO_PASSWORD
from tests.api.conftest import KIOSK, counter_tablet
from tests.browser.conftest import WATCH_VIOLATIONS, HallClient
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# The page's own report of a refusal, gathered before any of its scripts run.


@pytest.fixture
def context(browser: Browser, live_server: ServerProcess) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.base)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_VIOLATIONS)
    yield context
    context.close()


def visit(context: BrowserContext, path: str) -> tuple[Page, list[str]]:
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, f"{path}: {policy!r}"
    assert response.headers.get("x-content-type-options") == "nosniff", path
    assert response.headers.get("x-frame-options") == "DENY", path
    return page, console


def refusals(page: Page, console: list[str]) -> list[str]:
    page.wait_for_timeout(300)  # a late style or socket refused shows up here too
    reported: list[str] = page.evaluate("window.__violations")
    return reported + [text for text in console if "Content Security Policy" in text]


def sign_in(context: BrowserContext, username: str) -> None:
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.close()


def case_token(hall: HallClient, missing: list[str]) -> str:
    """A case received at counter 4: incomplete (with its 一次性告知书) when materials are missing."""
    clerk = hall.clerk("clerk04")
    hall.counter(4, "open", clerk)
    body = {"item": "B02", "applicant": {"name": "王小明", "phone": "13812345678"}, "materials_missing": missing}
    response = hall.post("/halls/jinan/cases", clerk, body)
    assert response.status_code == 201, response.text
    token: str = response.json()["status_token"]
    return token


def test_every_page_runs_under_its_policy(context: BrowserContext, hall: HallClient) -> None:
    ticket = hall.issue("A")
    accepted, incomplete = case_token(hall, []), case_token(hall, ["公司章程"])
    kiosk = KIOSK["Authorization"].removeprefix("Bearer ")
    tablet = counter_tablet(1)["Authorization"].removeprefix("Bearer ")
    live_pages = ["/display/jinan", "/display/jinan/counter/1", f"/kiosk/jinan?token={kiosk}",
                  f"/counter/jinan/1/rate?token={tablet}"]
    pages = {f"/t/{ticket['status_token']}": str(ticket["number"]), f"/c/{accepted}": "王*明",
             f"/c/{accepted}/receipt": "接件回执", f"/c/{incomplete}/notice": "一次性告知",
             "/login": "登录", "/book/jinan": "预约", "/apply/jinan": "网上预审", "/": "晋安区行政服务中心"}
    sign_in(context, "manager")
    live_pages += ["/counter/jinan/1", "/dashboard/jinan"]
    pages.update({"/admin": "晋安区行政服务中心", "/admin/jinan": "队列", "/district": "晋安区行政服务中心",
                  "/prereview/jinan": "网上预审"})
    for path in live_pages + list(pages):
        page, console = visit(context, path)
        if path in live_pages:  # its scripts ran, its socket connected
            expect(page.locator("html")).to_have_attribute("data-feed", "live")
        else:  # its scripts filled it in
            expect(page.locator("body")).to_contain_text(pages[path])
        assert refusals(page, console) == [], path
        page.close()


def test_the_print_button_works_without_an_inline_handler(context: BrowserContext, hall: HallClient) -> None:
    page, console = visit(context, f"/c/{case_token(hall, [])}/receipt")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="打印 / 保存为 PDF").click()
    assert page.evaluate("window.__printed") is True
    assert refusals(page, console) == []


def test_an_injected_script_does_not_run(context: BrowserContext, live_server: ServerProcess) -> None:
    """Were a page ever to echo markup unescaped, the policy is the second wall: an inline script
    and an inline handler, written into a served page, are refused and reported."""
    page, console = visit(context, "/login")
    page.evaluate("""() => {
      const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.append(s);
      const d = document.createElement('div'); d.innerHTML = '<img src="/static/none.png" onerror="window.__ran = 2">';
      document.body.append(d);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in refused for refused in refusals(page, console))


def test_static_files_are_not_sniffed(live_server: ServerProcess) -> None:
    response = httpx.get(f"{live_server.base}/static/js/live.js", timeout=10)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"


