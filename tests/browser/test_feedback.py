"""意见建议/投诉 in Debian's Chromium against a real server: a visitor on a 360-px phone complains,
the manager's open dashboard shows it live, categorises it, replies and closes it, and the
visitor's own link shows the reply."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from server.demo import DEMO_PASSWORD
from tests.servers import ServerProcess

from .conftest import DESK, wait_until

Shoot = Callable[[Page, str], Path]


def test_a_complaint_from_a_phone_is_handled_live_on_the_dashboard(
        browser: Browser, live_server: ServerProcess, phone: Page, shoot: Shoot) -> None:
    desk = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.base)
    desk.set_default_timeout(10_000)
    manager = desk.new_page()
    manager.goto("/dashboard/jinan")
    manager.fill("input[name=username]", "manager")
    manager.fill("input[name=password]", DEMO_PASSWORD)
    manager.click("button[type=submit]")
    manager.wait_for_url("**/dashboard/jinan")
    manager.get_by_role("tab", name="意见建议").click()
    expect(manager.locator("html")).to_have_attribute("data-feed", "live")
    expect(manager.locator("[data-fb=empty]")).to_be_visible()

    phone.goto("/feedback/jinan?ticket=A003")
    expect(phone.get_by_text("关于排队号")).to_contain_text("A003")
    phone.get_by_role("button", name="提交").click()
    expect(phone.locator("#fb-text-error")).to_have_text("请写下具体情况")
    phone.locator("#fb-text").fill("3号窗口工作人员让我来回跑了三次，每次说的材料都不一样")
    phone.locator("#fb-contact").fill("13800001234")
    shoot(phone, "feedback-phone-form")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("button", name="提交").click()
    expect(phone.locator("#fb-done")).to_be_visible()
    expect(phone.locator("#fb-due")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))  # 5 working days on
    shoot(phone, "feedback-phone-done")
    status_link = phone.locator("#fb-link").get_attribute("href")
    assert status_link and status_link.startswith("/feedback/jinan/s/")

    item = manager.locator("[data-fb=list] li.feedback").first
    expect(item).to_be_visible()  # live: the dashboard feed's feedback.new
    expect(item).to_contain_text("来回跑了三次")
    expect(item).to_contain_text("13800001234")
    expect(item).to_contain_text("排队号 A003")
    expect(manager.locator("#feedback-count")).to_have_text("1")
    shoot(manager, "feedback-dashboard-new")

    item.get_by_role("button", name="分类 / 答复 / 办结").click()
    box = manager.locator("#feedback-dialog")
    box.locator("input[name=line]").fill("A 社会民生类")
    box.locator("select[name=level]").select_option("窗口")
    box.locator("input[name=person]").fill("3号窗口")
    box.locator("select[name=counter]").select_option("3")
    box.locator("input[name=clerk]").fill("nobody")
    box.get_by_role("button", name="保存").click()
    expect(box.locator(".problem")).to_contain_text("clerk")  # the server's refusal names the field
    box.locator("input[name=clerk]").fill("")
    box.locator("textarea[name=reply]").fill("已核实，对窗口人员进行一次性告知培训，感谢您的监督")
    box.locator("input[name=close]").check()
    shoot(manager, "feedback-dashboard-dialog")
    box.get_by_role("button", name="保存").click()
    expect(box).to_be_hidden()
    expect(manager.locator("[data-fb=empty]")).to_be_visible()
    manager.locator("[data-fb=status]").select_option("closed")
    closed = manager.locator("[data-fb=list] li.feedback").first
    expect(closed).to_have_attribute("data-status", "closed")
    expect(closed).to_contain_text("A 社会民生类 / 窗口 / 3号窗口")
    shoot(manager, "feedback-dashboard-closed")

    phone.goto(status_link)
    expect(phone.locator("#status")).to_have_text("已办结")
    expect(phone.locator("#reply")).to_contain_text("一次性告知培训")
    assert "13800001234" not in phone.content()
    wait_until(phone, "document.documentElement.scrollWidth <= 360")
    shoot(phone, "feedback-phone-status")
    desk.close()
