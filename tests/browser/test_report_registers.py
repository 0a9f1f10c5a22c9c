"""The dashboard's 报表 tab, in Chromium against a real server whose clock starts on a Wednesday at 09:30:
under the report's own tables, the day's fee summary (收费, per item and per counter, yuan with two
decimals, 减免 counted) and the consultations (咨询) counted per day and per counter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from tests.browser.conftest import HallApi
from tests.browser.test_dashboard import signed_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

Shoot = Callable[[Page, str], Path]
TODAY = "2026-11-25"  # a Wednesday
CLOCK_AT = f"{TODAY}T09:30:00+08:00"  # where clocked_server's clock starts


def a_day_of_fees_and_questions(hall: HallApi) -> None:
    """Counter 4: a B02 case paid 10 元 at the window, a B01 case whose 20 元 was waived (低保户); clerk04
    answers a question on site, the guide sends one by phone to 区市场监管局."""
    items = hall.call("GET", "/halls/jinan/items", "manager")
    for code in ("B01", "B02"):
        item = next(i for i in items if i["code"] == code)
        body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
        hall.call("PUT", f"/halls/jinan/items/{code}", "manager", {**body, "fee": "工本费10元"})
    hall.counter(4, "open", "clerk04")
    for code, charge in (("B02", {"amount": "10", "settlement": "window"}),
                         ("B01", {"amount": "20", "settlement": "waived", "waived_reason": "低保户"})):
        case = hall.call("POST", "/halls/jinan/cases", "clerk04", {"item": code, "applicant": {"name": "王小明"}})
        hall.call("POST", f"/cases/{case['receipt_no']}/fees", "clerk04", {**charge, "stage": "acceptance"})
    hall.call("POST", "/halls/jinan/consultations", "clerk04", {"channel": "onsite", "topic": "个体户需要什么材料",
                                                                 "item": "B01", "answer": "身份证和经营场所证明"})
    hall.call("POST", "/halls/jinan/consultations", "guide", {"channel": "phone", "topic": "食品经营许可",
                                                               "escalated": True, "department": "SCJG"})


def test_the_report_tab_shows_the_fee_summary_and_the_consultations(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot) -> None:
    a_day_of_fees_and_questions(hall_api)
    page = signed_in(desk_context, path="/dashboard/jinan#reports")
    form = page.locator("#report-form")
    form.locator("select[name=by]").select_option("counter")
    form.get_by_role("button", name="查询").click()

    by_item = page.locator("#report-fees-item")
    expect(by_item.get_by_role("heading")).to_have_text("收费日汇总（按事项）")
    b02 = by_item.locator("tbody tr[data-key=B02]")
    expect(b02.locator("td.name")).to_have_text(TODAY)
    expect(b02.locator("td[data-key=window]")).to_have_text("10.00")
    expect(b02.locator("td[data-key=collected]")).to_have_text("10.00")
    b01 = by_item.locator("tbody tr[data-key=B01]")
    expect(b01.locator("td[data-key=waived]")).to_have_text("1")
    expect(b01.locator("td[data-key=waived_amount]")).to_have_text("20.00")
    expect(b01.locator("td[data-key=collected]")).to_have_text("0.00")
    total = by_item.locator("tfoot tr")
    expect(total.locator("th.name")).to_have_text("合计")
    expect(total.locator("[data-key=collected]")).to_have_text("10.00")
    expect(total.locator("[data-key=charges]")).to_have_text("2")
    counter = page.locator("#report-fees-counter tbody tr[data-key='4']")
    expect(counter.locator("td").nth(1)).to_have_text("4号窗口")
    expect(counter.locator("td[data-key=collected]")).to_have_text("10.00")
    expect(counter.locator("td[data-key=waived_amount]")).to_have_text("20.00")

    days = page.locator("#report-consultations-days")
    expect(days.get_by_role("heading")).to_have_text("咨询日汇总（第十五、十六条）")
    day = days.locator(f"tbody tr[data-key='{TODAY}']")
    for key, value in (("onsite", "1"), ("phone", "1"), ("total", "2"), ("escalated", "1"), ("answered", "0"),
                       ("overdue", "0")):
        expect(day.locator(f"td[data-key={key}]")).to_have_text(value)
    rows = page.locator("#report-consultations-rows")
    expect(rows.get_by_role("heading")).to_have_text("咨询（按窗口）")
    expect(rows.locator("tbody tr[data-key='4'] td.name")).to_have_text("4号窗口")
    expect(rows.locator("tbody tr[data-key='4'] td[data-key=onsite]")).to_have_text("1")
    expect(rows.locator("tbody tr[data-key=''] td.name")).to_have_text("未在窗口")
    expect(rows.locator("tbody tr[data-key=''] td[data-key=escalated]")).to_have_text("1")
    expect(rows.locator("tfoot [data-key=total]")).to_have_text("2")
    page.locator("#report-fees-item").scroll_into_view_if_needed()
    shoot(page, "report-fees-consultations")

    form.locator("select[name=by]").select_option("hall")  # by hall: the days alone
    form.get_by_role("button", name="查询").click()
    expect(page.locator("#report-consultations-rows")).to_have_count(0)
    expect(page.locator("#report-consultations-days tfoot [data-key=total]")).to_have_text("2")
    form.locator("input[name=date]").fill("2026-11-24")  # a day without either
    form.get_by_role("button", name="查询").click()
    expect(page.locator("#report-fees-item tbody")).to_have_text("该期间没有收费登记")
    expect(page.locator("#report-consultations-days tbody")).to_have_text("该期间没有咨询登记")
