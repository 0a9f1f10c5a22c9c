"""The art. 22 facts through the pages (issue 20), in Debian's Chromium against a real server: the
clerk's 受理 dialog records the channel and the paper (受理方式), shows the item's deciding
departments and adds one; the manager's 报表 tab then shows 网上办理率, 联合办理率, 无纸化率 moved by
that case, each column's heading carrying its definition."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from server.demo import DEMO_PASSWORD
from tests.browser.conftest import HallClient
from tests.browser.test_counter_cases import key, pick, signed_in

Shoot = Callable[[Page, str], Path]


def test_the_receive_dialog_records_the_facts_and_the_report_shows_them(
        open_page: Callable[..., Page], hall: HallClient, shoot: Shoot) -> None:
    hall.issue("A")
    page = signed_in(open_page, 1, "clerk01")
    key(page, "呼叫下一位").click()
    expect(page.locator("#status")).not_to_have_text("空闲")
    key(page, "开始办理").click()
    expect(page.locator("#status")).to_have_text("办理中")
    page.keyboard.press("0")
    expect(page.locator("#case-dialog")).to_be_visible()
    box = page.locator("#case-dialog")
    facts = box.locator("#case-facts")
    expect(facts.locator("#case-departments")).to_have_text("选择事项后显示")
    expect(facts.get_by_label("窗口申报")).to_be_checked()  # the usual answers, always sent
    expect(facts.get_by_label("纸质材料")).to_be_checked()
    pick(box, "jycy", "就业创业证申领")
    expect(facts.locator("#case-departments")).to_have_text("区人社局")  # from the catalog, read-only
    facts.get_by_label("网上申报").check()
    facts.get_by_label("电子材料（无纸化）").check()
    facts.locator("#case-add-department").select_option(label="区医保局")
    expect(facts.locator("#case-departments")).to_have_text("区人社局、区医保局（增加）")
    box.locator("#applicant-name").fill("王小明")
    shoot(page, "receive-facts")
    box.get_by_role("button", name="提交受理").click()
    expect(box.locator("#result-accepted")).to_be_visible()
    number = box.locator("#result-receipt").inner_text()
    assert re.fullmatch(r"JA\d{12}", number)

    # the next 受理 starts from the usual answers again
    box.get_by_role("button", name="继续受理").click()
    expect(facts.get_by_label("窗口申报")).to_be_checked()
    expect(facts.get_by_label("纸质材料")).to_be_checked()
    box.get_by_role("button", name="取消").click()

    manager = open_page("/dashboard/jinan", size={"width": 1920, "height": 1080})
    manager.fill("input[name=username]", "manager")
    manager.fill("input[name=password]", DEMO_PASSWORD)
    manager.click("button[type=submit]")
    manager.wait_for_url(lambda url: "/login" not in url)
    manager.goto("/dashboard/jinan#reports")
    expect(manager.locator("html")).to_have_attribute("data-tab", "reports")
    form = manager.locator("#report-form")
    form.locator("select[name=by]").select_option("counter")
    form.get_by_role("button", name="查询").click()
    row = manager.locator("#case-rows tr[data-key='1']")
    expect(row.locator("td[data-key=cases]")).to_have_text("1")
    for rate in ("online_rate", "joint_rate", "paperless_rate", "comprehensive_rate"):
        expect(row.locator(f"td[data-key={rate}]")).to_have_text("100.0%")
    expect(row.locator("td[data-key=immediate_rate]")).to_have_text("0.0%")  # not decided today
    heading = manager.locator("#case-table thead th", has_text="无纸化率")
    expect(heading).to_have_attribute("title", re.compile("已记录是否无纸化的办件"))
    form.locator("select[name=by]").select_option(label="部门")
    form.get_by_role("button", name="查询").click()
    expect(manager.locator("#case-rows tr[data-key=YBJ] td[data-key=joint_rate]")).to_have_text("100.0%")
    shoot(manager, "report-rates-by-department")

    manager_token = httpx.post(f"{hall.server.base}/api/v1/auth/login",
                               json={"username": "manager", "password": DEMO_PASSWORD}, timeout=10).json()["token"]
    listed = httpx.get(f"{hall.server.base}/api/v1/halls/jinan/cases", params={"q": number}, timeout=10,
                       headers={"Authorization": f"Bearer {manager_token}"}).json()["cases"]
    assert listed[0]["departments"] == ["RSJ", "YBJ"]
