"""The 大厅设置 tab of `/admin/{hall}` (issue 18) in Debian's Chromium against a real server: the
hall's manager, signed in through the login page, renames the hall and sees 已保存 and the new name in
the page's header; is refused a lunch break that ends before it starts, the server's Chinese words
beside that very row, then fixes it; switches the calling policy to 比例 with K = 2, reading what it
means; sets one queue's wait target, the display's notice and Chinese alone; and
`GET /api/v1/halls/{hall}` and `…/settings` show what the page showed, while a saved section leaves
the others as they were, and a reload shows them again. Screenshots at 1366×768 go to /tmp/shots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.demo import DEMO_PASSWORD
from tests.browser.conftest import DESK, WATCH_VIOLATIONS
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def manager(browser: Browser, live_server: ServerProcess) -> Iterator[Page]:
    """The demo hall's manager, signed in through the login page, on the 大厅设置 tab."""
    context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.base)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.goto("/admin/jinan#settings")
    assert "/login" in page.url
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/jinan**")
    expect(page.locator("html")).to_have_attribute("data-loaded", "layout")  # the first tab
    page.get_by_role("tab", name="大厅设置").click()
    expect(page.locator("html")).to_have_attribute("data-loaded", "settings")
    yield page
    assert page.evaluate("window.__violations") == []  # nothing the page does is refused by its CSP
    context.close()


def shoot(page: Page, name: str, full: bool = True) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"settings-{name}.png", full_page=full)


def api(server: ServerProcess, path: str = "") -> Any:
    token = httpx.post(f"{server.base}/api/v1/auth/login", json={"username": "manager", "password": DEMO_PASSWORD},
                       timeout=10).json()["token"]
    response = httpx.get(f"{server.base}/api/v1/halls/jinan{path}", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_manager_renames_the_hall_and_changes_the_policy(manager: Page, live_server: ServerProcess) -> None:
    page = manager
    basic, hours, policy = page.locator("#settings-basic"), page.locator("#settings-hours"), page.locator(
        "#settings-policy")
    expect(basic.locator("input[name=name]")).to_have_value("晋安区行政服务中心")
    expect(basic.locator("input[name=phone]")).to_have_value("87711892")
    expect(policy.locator("input[value=guarded]")).to_be_checked()
    expect(policy.get_by_text("T：普通号最长等候（分钟）")).to_be_visible()  # the guarded policy's parameters
    expect(policy.locator("input[name=walk_in_max_wait_min]")).to_have_value("15")
    expect(policy.get_by_text("w：优先号等候时间的倍数")).to_be_hidden()
    shoot(page, "loaded")

    # 基本信息: a new name, saved on its own; the header follows.
    basic.locator("input[name=name]").fill("晋安区政务服务中心")
    basic.get_by_role("button", name="保存").click()
    expect(basic.locator(".saved")).to_have_text("已保存")
    expect(basic.locator(".saved")).to_be_visible()
    expect(page.locator("#hall-name")).to_have_text("晋安区政务服务中心")
    assert api(live_server)["name"] == "晋安区政务服务中心"

    # 开放时间: a lunch break that ends before it starts is refused beside its row.
    hours.get_by_role("button", name="添加时段").first.click()
    hours.get_by_role("button", name="添加时段").first.click()
    rows = hours.locator(".periods[data-day=workday] .period")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("input[name=start]")).to_have_value("13:30")
    rows.nth(1).locator("input[name=start]").fill("14:00")
    rows.nth(1).locator("input[name=end]").fill("13:00")
    hours.get_by_role("button", name="保存").click()
    expect(rows.nth(1).locator(".field-problem")).to_have_text("14:00 应早于 13:00")
    expect(rows.nth(0).locator(".field-problem")).to_be_hidden()
    expect(hours.locator(".saved")).to_be_hidden()
    shoot(page, "refused")
    rows.nth(1).locator("input[name=end]").fill("17:30")
    hours.locator("input[name=stop_issuing_min]").fill("30")
    hours.get_by_role("button", name="保存").click()
    expect(hours.locator(".saved")).to_be_visible()
    expect(rows.nth(1).locator(".field-problem")).to_be_hidden()

    # 叫号策略: 比例 K:1, its meaning on the page; K alone is asked for.
    ratio = policy.locator("label.policy", has=page.locator("input[value=ratio]"))
    expect(ratio).to_contain_text("每连续叫 K 位预约或优先号，就叫 1 位普通号")
    ratio.click()
    expect(policy.get_by_text("T：普通号最长等候（分钟）")).to_be_hidden()
    policy.locator("input[name=max_priority_streak]").fill("25")
    policy.get_by_role("button", name="保存").click()
    expect(policy.locator("[data-for='policy.max_priority_streak']")).to_have_text("应为 1 至 20 位之间的整数")
    policy.locator("input[name=max_priority_streak]").fill("2")
    policy.get_by_role("button", name="保存").click()
    expect(policy.locator(".saved")).to_have_text("已保存")
    expect(policy.locator("[data-for='policy.max_priority_streak']")).to_be_hidden()
    policy.scroll_into_view_if_needed()
    shoot(page, "saved")
    shoot(page, "saved-screen", full=False)

    # 预警阈值 per queue, and the display: its notice, Chinese alone.
    alerts, display = page.locator("#settings-alerts"), page.locator("#settings-display")
    alerts.get_by_text("按队列单独设置等候目标").click()
    alerts.get_by_label("A 社会民生类 等候目标（分钟）").fill("15")
    alerts.get_by_role("button", name="保存").click()
    expect(alerts.locator(".saved")).to_be_visible()
    expect(alerts.locator("summary")).to_have_text("按队列单独设置等候目标（已设 1 个队列）")
    display.locator("textarea[name=notice]").fill("今天下午 15:00 起暂停办理不动产登记业务")
    display.get_by_label("英文").uncheck()
    display.get_by_role("button", name="保存").click()
    expect(display.locator(".saved")).to_be_visible()
    alerts.scroll_into_view_if_needed()
    shoot(page, "alerts-display", full=False)

    settings = api(live_server, "/settings")
    assert settings["alerts"]["wait_target_min"] == {"default": 20, "A": 15}
    assert settings["notice"] == "今天下午 15:00 起暂停办理不动产登记业务" and settings["display_languages"] == ["zh"]
    assert settings["name"] == "晋安区政务服务中心"
    assert settings["policy"] == {"kind": "ratio", "max_priority_streak": 2, "walk_in_max_wait_s": 900,
                                  "priority_weight": 3}
    assert settings["opening_hours"] == {"workday": [{"start": "09:00", "end": "12:00"},
                                                     {"start": "14:00", "end": "17:30"}],
                                         "rest_day": [], "stop_issuing_min": 30}
    assert settings["phone"] == "87711892"
    assert api(live_server)["name"] == "晋安区政务服务中心"

    # What was saved is what the page shows after a reload.
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-loaded", "settings")
    expect(basic.locator("input[name=name]")).to_have_value("晋安区政务服务中心")
    expect(policy.locator("input[value=ratio]")).to_be_checked()
    expect(policy.locator("input[name=max_priority_streak]")).to_have_value("2")
    expect(rows).to_have_count(2)
