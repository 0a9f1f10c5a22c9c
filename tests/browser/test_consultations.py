"""咨询登记 and 代办 in Debian's Chromium against a real server whose clock starts on a Wednesday at
09:30: the clerk of the Z window (counter 11) records a phone consultation from the counter page and
sends it to 区市场监管局, due two working days later (the Friday); the manager finds it in the
dashboard's 咨询登记 tab, with the clerk as its first responder, and filters by channel. A manager
sends one to 区市场监管局 from its row; that department's account answers it on its workbench (where
another department's does not show, and the overdue one comes first); the manager sees the answer
and closes it. A manager follows the guide's 代办 matters, their steps, and closes one with its result."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from sqlalchemy import update

from server.demo import DEMO_PASSWORD
from server.store.db import open_database
from server.store.tables_registers import consultations
from tests.browser.conftest import DESK, wait_until
from tests.browser.test_backoffice import Api
from tests.browser.test_dashboard import signed_in
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

TODAY = "2026-11-25"  # a Wednesday: two working days later is Friday the 27th
CLOCK_AT = f"{TODAY}T09:30:00+08:00"  # where clocked_server's clock starts
SHOTS = Path("/tmp/shots")


def counter_page(desk: Callable[..., BrowserContext], username: str, number: int) -> Page:
    page = desk().new_page()
    page.goto(f"/counter/jinan/{number}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/counter/jinan/{number}$"))
    return page


def test_a_clerk_records_and_escalates_a_phone_consultation_the_manager_sees_it(
        desk_context: Callable[..., BrowserContext]) -> None:
    SHOTS.mkdir(exist_ok=True)
    clerk = counter_page(desk_context, "clerk11", 11)
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

    manager = signed_in(desk_context, path="/dashboard/jinan#consultations")
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


def _errors(page: Page) -> list[str]:
    """What the page's scripts threw, and what its policy refused."""
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    page.on("console", lambda m: found.append(m.text) if m.type == "error" and "Content Security" in m.text else None)
    return found


def test_a_manager_escalates_the_department_answers_in_its_back_office_the_manager_closes_it(
        desk_context: Callable[..., BrowserContext], clocked_server: ServerProcess, sqlite_url: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    api = Api(clocked_server)
    url = "/halls/jinan/consultations"
    late = api.call("POST", url, "clerk11", {"channel": "phone", "topic": "食品经营许可证到期如何延续",
                                             "escalated": True, "department": "SCJG"}, 201)
    api.call("POST", url, "clerk11", {"channel": "onsite", "topic": "发票领用需要什么", "escalated": True,
                                      "department": "SWJ"}, 201)
    db = open_database(sqlite_url)  # sent on Friday the 20th, due Monday the 23rd: overdue now
    with db.writer.begin() as conn:
        conn.execute(update(consultations).where(consultations.c.id == late["id"]).values(due_date=date(2026, 11, 23)))
    db.dispose()

    manager = signed_in(desk_context, size=DESK, path="/dashboard/jinan#consultations")
    problems = _errors(manager)
    panel = manager.locator("#tab-consultations")
    manager.click("[data-consult=new]")
    box = manager.locator("#consult-dialog")
    box.locator("input[name=topic]").fill("夜市摊点能否办理食品经营备案")
    box.locator("button[value=ok]").click()
    expect(box).to_be_hidden()
    row = panel.locator("tbody tr", has_text="夜市摊点")
    expect(row.locator(".chip")).to_have_text("待答复")
    expect(panel.locator("[data-consult=counts]")).to_contain_text("今日：现场 2 · 电话 1 · 转部门 2")
    expect(panel.locator("[data-consult=counts] .c-overdue")).to_have_text("已逾期 1")
    # 转部门: 区市场监管局, one working day
    row.locator("[data-act=escalate]").click()
    send = manager.locator("#consult-escalate-dialog")
    expect(send).to_be_visible()
    send.locator("select[name=department]").select_option(label="区市场监管局")
    send.locator("input[name=due_days]").fill("1")
    manager.screenshot(path=SHOTS / "consult-escalate-dialog.png")
    send.locator("button[value=ok]").click()
    expect(send).to_be_hidden()
    expect(row.locator(".chip")).to_have_text("待部门答复")
    expect(row).to_contain_text("区市场监管局 · 2026-11-26前")
    expect(row.locator("[data-act=escalate]")).to_have_count(0)
    expect(panel.locator("[data-consult=counts] .c-waiting")).to_have_text("待部门答复 3")
    overdue = panel.locator("tbody tr", has_text="延续")
    expect(overdue.locator(".chip")).to_have_text("已逾期")
    expect(overdue).to_contain_text("11月23日到期")
    manager.screenshot(path=SHOTS / "consult-dashboard-actions.png")

    # 区市场监管局's account: its two, the overdue first, not 区税务局's
    dept = desk_context().new_page()
    dept_problems = _errors(dept)
    dept.goto("/backoffice/jinan")
    dept.fill("input[name=username]", "dept-scjg")
    dept.fill("input[name=password]", DEMO_PASSWORD)
    dept.click("button[type=submit]")
    dept.wait_for_url("**/backoffice/jinan")
    tab = dept.locator(".tabs [data-list=consultations]")
    expect(tab.locator(".count")).to_have_text("2")
    tab.click()
    items = dept.locator("#consult-list li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("食品经营许可证到期如何延续")
    expect(items.nth(0)).to_contain_text("已逾期（11月23日到期）")
    expect(items.nth(1)).to_contain_text("夜市摊点")
    expect(items.nth(1)).to_contain_text("11月26日前答复")
    expect(dept.locator("#consult-list")).not_to_contain_text("发票")
    expect(dept.locator("#case-list")).to_be_hidden()
    items.nth(1).click()
    detail = dept.locator("#consult")
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("首问负责人")
    expect(detail).to_contain_text("督查科")
    dept.screenshot(path=SHOTS / "consult-backoffice.png")
    detail.locator("textarea[name=escalation_answer]").fill("夜市摊点可办理食品小摊点备案，带身份证到区市场监管局窗口")
    detail.locator("#consult-send").click()
    expect(dept.locator("#consult-answered")).to_contain_text("夜市摊点可办理食品小摊点备案")
    expect(items.nth(1)).to_contain_text("已答复")
    expect(tab.locator(".count")).to_have_text("1")
    dept.screenshot(path=SHOTS / "consult-backoffice-answered.png")
    # back to its cases: the case list again
    dept.click(".tabs [data-list=new]")
    expect(dept.locator("#consult-list")).to_be_hidden()
    expect(dept.locator("#placeholder")).to_be_visible()

    # the manager sees the department's answer and closes it
    panel.locator("button[type=submit]").click()
    expect(row).to_contain_text("区市场监管局答复：夜市摊点可办理食品小摊点备案")
    expect(row.locator(".chip")).to_have_text("部门已答复")
    row.locator("[data-act=close]").click()
    confirm = manager.locator("#confirm-dialog")
    expect(confirm).to_be_visible()
    confirm.locator("button[value=ok]").click()
    expect(row.locator(".chip")).to_have_text("已办结")
    expect(row.locator("button")).to_have_count(0)
    # 答复 on the overdue one: the desk's answer while the department's is awaited
    overdue.locator("[data-act=answer]").click()
    reply = manager.locator("#consult-answer-dialog")
    reply.locator("textarea[name=answer]").fill("已催办区市场监管局，明日回电")
    reply.locator("button[value=ok]").click()
    expect(overdue.locator(".c-answer")).to_contain_text("已催办区市场监管局")
    manager.screenshot(path=SHOTS / "consult-dashboard-answered.png")
    assert problems == [] and dept_problems == []


def test_a_manager_sees_the_guides_assisted_matters_with_their_steps(
        desk_context: Callable[..., BrowserContext], clocked_server: ServerProcess) -> None:
    SHOTS.mkdir(exist_ok=True)
    api = Api(clocked_server)
    code = api.call("GET", "/halls/jinan/items", "guide")[0]
    matter = api.call("POST", "/halls/jinan/assisted", "guide", {
        "visitor_name": "王秀英", "contact": "13812345678", "item": code["code"], "note": "老人行动不便"}, 201)
    for step, note in (("代为取号", "V001"), ("陪同办理", "陪同到3号窗口")):
        api.call("POST", f"/halls/jinan/assisted/{matter['id']}/steps", "guide", {"step": step, "note": note})
    api.call("POST", "/halls/jinan/assisted", "guide", {"visitor_name": "李建国"}, 201)

    manager = signed_in(desk_context, size=DESK, path="/dashboard/jinan#assisted")
    problems = _errors(manager)
    panel = manager.locator("#tab-assisted")
    expect(panel.locator("input[name=from]")).to_have_value(TODAY)
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(2)
    row = panel.locator("tbody tr", has_text="王*英")
    expect(row).to_contain_text("138****5678")
    expect(row).to_contain_text(code["name"])
    expect(row).to_contain_text("导办员")
    expect(row.locator(".a-step-line li")).to_have_text([re.compile("接待"), re.compile("代为取号"),
                                                          re.compile("陪同办理")])
    expect(row.locator(".chip")).to_have_text("办理中")
    assert "王秀英" not in panel.inner_text() and "13812345678" not in panel.inner_text()
    manager.screenshot(path=SHOTS / "assisted-dashboard.png")
    row.click()
    dialog = manager.locator("#assisted-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".a-step")).to_have_count(3)
    expect(dialog.locator(".a-step").nth(2)).to_contain_text("陪同到3号窗口")
    expect(dialog).to_contain_text("老人行动不便")
    manager.screenshot(path=SHOTS / "assisted-detail.png")
    dialog.locator("textarea[name=result]").fill("营业执照已代领并交本人")
    dialog.locator("button[value=ok]").click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".chip")).to_have_text("已办结")
    expect(row).to_contain_text("营业执照已代领并交本人")
    expect(row.locator(".a-step-line li")).to_have_count(4)
    panel.locator("select[name=status]").select_option("open")
    panel.locator("button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("李*国")
    panel.locator("input[name=from]").fill("2026-11-24")
    panel.locator("input[name=to]").fill("2026-11-24")
    panel.locator("button[type=submit]").click()
    expect(panel.locator("[data-assisted=empty]")).to_be_visible()
    manager.screenshot(path=SHOTS / "assisted-dashboard-filtered.png")
    assert problems == []
