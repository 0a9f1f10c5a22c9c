"""The 设备 tab of `/admin/{hall}` (issue 18, "Devices") in Debian's Chromium against a real server:
the hall's manager issues a kiosk token, sees it once with its setup address and QR code, opens
that address on a second browser (the kiosk PC), whose kiosk page comes up signed in as that
kiosk; the list then shows the kiosk 刚刚 online; the manager ticks a counter for the demo's
agent, then revokes the kiosk, whose page is refused from then on. Screenshots at 1366×768 go to
/tmp/shots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.demo import DEMO_PASSWORD
from tests.browser.conftest import DESK, WATCH_VIOLATIONS, read_qr
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def manager(browser: Browser, live_server: ServerProcess) -> Iterator[Page]:
    """The demo hall's manager, signed in through the login page, on the 设备 tab."""
    context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.base)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.goto("/admin/jinan")
    assert "/login" in page.url
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/jinan**")
    expect(page.locator("html")).to_have_attribute("data-loaded", "layout")  # its tabs are wired
    page.get_by_role("tab", name="设备").click()
    expect(page.locator("html")).to_have_attribute("data-loaded", "devices")
    yield page
    assert page.evaluate("window.__violations") == []  # nothing the page does is refused by its CSP
    context.close()


def shoot(page: Page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"devices-{name}.png", full_page=full_page)


def tokens(server: ServerProcess) -> list[dict[str, Any]]:
    login = httpx.post(f"{server.base}/api/v1/auth/login", json={"username": "manager", "password": DEMO_PASSWORD},
                       timeout=10)
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    response = httpx.get(f"{server.base}/api/v1/halls/jinan/tokens", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["tokens"]
    return listed


def test_a_manager_sets_a_kiosk_up_and_revokes_it(manager: Page, browser: Browser, live_server: ServerProcess,
                                                  tmp_path: Path) -> None:
    kiosks = manager.locator("section[data-kind=kiosk]")
    demo_kiosk = kiosks.locator("tr", has_text="kiosk-1")
    expect(demo_kiosk.locator("td.seen")).to_have_text("从未")  # the demo's kiosk was never used
    expect(demo_kiosk.locator("td.seen")).to_have_class("seen stale")
    expect(manager.locator("section[data-kind=counter] tbody tr")).to_have_count(12)
    shoot(manager, "list", full_page=True)

    manager.get_by_role("button", name="签发新设备").click()
    dialog = manager.locator("#dev-issue-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=kind]").select_option("counter")
    expect(dialog.locator("select[name=counter]")).to_be_visible()  # a tablet is bound to a counter
    dialog.locator("select[name=kind]").select_option("kiosk")
    expect(dialog.locator("select[name=counter]")).to_be_hidden()
    dialog.locator("input[name=name]").fill("kiosk-1")
    dialog.get_by_role("button", name="签发").click()
    expect(dialog.locator(".problem")).to_contain_text("已有名为“kiosk-1”的自助取号机")  # the server's words
    shoot(manager, "refused")
    dialog.locator("input[name=name]").fill("东门取号机")
    dialog.get_by_role("button", name="签发").click()

    issued = manager.locator("#dev-issued-dialog")
    expect(issued).to_be_visible()
    expect(issued).to_contain_text("该令牌只显示一次")
    expect(issued.locator(".what")).to_have_text("自助取号机“东门取号机”")
    setup = issued.locator("textarea[name=setup_url]").input_value()
    token = issued.locator("input[name=token]").input_value()
    assert setup == f"{live_server.base}/kiosk/jinan?token={token}" and len(token) >= 32
    qr = issued.locator("figure.qr img")
    expect(qr).to_be_visible()
    shoot(manager, "issued")
    assert read_qr(qr, tmp_path) == setup  # a phone or the kiosk's camera reads the same address

    # the kiosk PC opens the address once: the kiosk page comes up as that kiosk, the token gone from the address
    kiosk_pc = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
    kiosk = kiosk_pc.new_page()
    kiosk.goto(setup)
    assert kiosk.url == f"{live_server.base}/kiosk/jinan"
    assert kiosk.evaluate("JSON.parse(document.getElementById('page-data').textContent).kiosk") == "东门取号机"
    expect(kiosk.locator("html")).to_have_attribute("data-feed", "live")
    expect(kiosk.locator(".theme").first).to_be_visible()
    kiosk.screenshot(path=SHOTS / "devices-kiosk.png")

    issued.get_by_role("button", name="我已完成设置，关闭").click()
    expect(issued).to_be_hidden()
    expect(issued.locator("input[name=token]")).to_have_value("")  # the secret leaves the page (on close)
    manager.get_by_role("button", name="刷新").click()
    row = kiosks.locator("tr", has_text="东门取号机")
    expect(row.locator("td.seen")).to_have_text("刚刚")
    expect(row.locator("td.seen")).to_have_class("seen")
    shoot(manager, "seen", full_page=True)

    # the demo's agent drives counters 1–3; the manager gives it counter 4 as well
    agent = manager.locator("section[data-kind=agent] tr", has_text="kiosk-1")
    expect(agent.locator("input[value='1']")).to_be_checked()
    agent.locator("input[value='4']").check()
    agent.get_by_role("button", name="保存").click()
    expect(manager.locator("#message")).to_contain_text("1号窗口、2号窗口、3号窗口、4号窗口")
    assert next(t for t in tokens(live_server) if t["kind"] == "agent")["counters"] == [1, 2, 3, 4]

    # an agent's token goes into its configuration file, not a page: no address, no QR code
    manager.get_by_role("button", name="签发新设备").click()
    dialog.locator("select[name=kind]").select_option("agent")
    expect(dialog.locator("[data-hint=agent]")).to_be_visible()
    dialog.locator("input[name=name]").fill("counter-pc-5")
    dialog.get_by_role("button", name="签发").click()
    expect(issued.locator("textarea[name=config]")).to_be_visible()
    assert 'token = "' in issued.locator("textarea[name=config]").input_value()
    expect(issued.locator("figure.qr")).to_be_hidden()
    expect(issued.locator("textarea[name=setup_url]")).to_be_hidden()
    shoot(manager, "agent-issued")
    issued.get_by_role("button", name="我已完成设置，关闭").click()
    expect(manager.locator("section[data-kind=agent] tr", has_text="counter-pc-5")).to_have_count(1)

    row.get_by_role("button", name="吊销").click()
    confirm = manager.locator("#confirm-dialog")
    expect(confirm).to_contain_text("吊销自助取号机“东门取号机”？")
    shoot(manager, "revoke")
    confirm.get_by_role("button", name="确认").click()
    expect(row).to_have_count(0)
    expect(manager.locator("#message")).to_contain_text("已吊销自助取号机“东门取号机”")
    assert "东门取号机" not in {t["name"] for t in tokens(live_server)}
    expect(kiosk.locator("html")).to_have_attribute("data-feed", "refused", timeout=15_000)  # its feed is closed
    kiosk.reload()
    expect(kiosk.locator("body")).to_contain_text("取号令牌无效")
    kiosk_pc.close()
    shoot(manager, "revoked", full_page=True)
