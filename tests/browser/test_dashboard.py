"""The manager's dashboard `/dashboard/{hall}` (督查看板) in Debian's Chromium against a real server
whose clock starts on a Wednesday at 09:30 (ONEWINDOW_CLOCK_AT) and is moved ahead by the admin:
a long wait becomes an alert that the manager acknowledges, a bad rating opens a follow-up that is
called back, fixed and closed from the page, the day's report is exported to Excel through the
page's link, and the manager's actions on counters show the server's refusals."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from server.demo import DEMO_PASSWORD
from tests.browser.conftest import DESK, HallApi
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ViewportSize

Shoot = Callable[[Page, str], Path]
WIDE: ViewportSize = {"width": 1920, "height": 1080}
TODAY = "2026-11-25"  # a Wednesday, a working day
CLOCK_AT = f"{TODAY}T09:30:00+08:00"  # where clocked_server's clock starts
PATH = "/dashboard/jinan"


def signed_in(desk: Callable[..., BrowserContext], username: str = "manager", size: ViewportSize = WIDE,
              path: str = PATH, fake_clock: bool = False) -> Page:
    """The dashboard, reached through the login page as the 督查科 does; with `fake_clock` the
    browser's timers can be fast-forwarded (page.clock)."""
    page = desk(size).new_page()
    if fake_clock:
        page.clock.install()
    page.goto(path)
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{PATH}")
    if "#" in path:  # the login page goes back to the path; the tab is in the fragment
        page.goto(path)
    expect(page.locator("html")).to_have_attribute("data-tab", path.partition("#")[2] or "live")
    return page


def live(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("data-feed", "live")
    expect(page.locator("#counter-cards li").first).to_be_visible()


def test_a_long_wait_sounds_an_alert_until_the_manager_acknowledges_it(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot) -> None:
    page = signed_in(desk_context, fake_clock=True)
    live(page)
    expect(page.locator("#alert-empty")).to_be_visible()
    ticket = hall_api.issue("A")
    row = page.locator("#queue-rows tr[data-queue=A]")
    expect(row.locator("td.waiting")).to_have_text("1")
    # 预计等候: the words a visitor taking a number now reads on the slip, the estimate on hover
    expect(row.locator("td.eta")).to_have_text(re.compile(r"^约 \d+(–\d+)? 分钟$"))
    expect(row.locator("td.eta")).to_have_attribute("title", re.compile(r"^预计 \d"))
    for chart in ("arrivals", "waits", "load"):
        expect(page.locator(f"img[data-chart={chart}]")).to_have_js_property("complete", True)
        assert page.locator(f"img[data-chart={chart}]").evaluate("img => img.naturalWidth") > 0, chart
    shoot(page, "live")

    hall_api.advance(21 * 60)
    alert = page.locator(".alert-item[data-kind=long_wait]")
    expect(alert).to_be_visible(timeout=15_000)
    expect(alert).to_have_attribute("data-acked", "false")
    expect(alert.locator(".a-action")).to_contain_text("处理建议")
    expect(page.locator("#alerts-panel")).to_have_class("alerts card sounding")
    expect(page.locator("#alerts-panel")).to_have_attribute("data-chimes", "1")  # rung once, at once
    expect(row).to_have_class("long")
    expect(row.locator("td").nth(2)).to_contain_text("21分")
    shoot(page, "alert")
    page.clock.fast_forward(31_000)  # still not acknowledged: it sounds again
    expect(page.locator("#alerts-panel")).to_have_attribute("data-chimes", "2")

    alert.get_by_role("button", name="确认").click()
    expect(alert).to_have_attribute("data-acked", "true")
    expect(alert.locator(".a-acked")).to_contain_text("已确认")
    expect(page.locator("#alerts-panel")).to_have_attribute("data-unacked", "0")
    standing = hall_api.call("GET", "/halls/jinan/alerts", "manager")["alerts"]
    waits = [a for a in standing if a["kind"] == "long_wait"]
    assert waits and all(a["acked"] and a["acked"]["by"] == "manager" for a in waits), standing
    shoot(page, "acknowledged")
    page.clock.fast_forward(31_000)  # acknowledged: silent
    page.wait_for_timeout(300)
    expect(page.locator("#alerts-panel")).to_have_attribute("data-chimes", "2")

    page.reload()  # the acknowledgement is the server's, not the page's
    expect(page.locator(".alert-item[data-kind=long_wait]")).to_have_attribute("data-acked", "true")
    assert ticket["number"]


def test_a_bad_rating_opens_a_follow_up_closed_from_the_page(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot) -> None:
    hall_api.counter(1, "open", "clerk01")
    hall_api.issue("A")
    served = hall_api.serve(1, "clerk01")
    hall_api.rate(1, {"ticket_id": served["id"], "level": 1, "reasons": ["服务态度差"]})

    page = signed_in(desk_context, path=f"{PATH}#followups")
    item = page.locator("#followup-list li.followup").first
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-status", "open")
    expect(item).to_contain_text("非常不满意")
    expect(item).to_contain_text(served["number"])
    expect(page.locator("#followup-count")).to_have_text("1")
    shoot(page, "followup-open")

    box = page.locator("#followup-dialog")
    item.get_by_role("button", name="指派").click()
    box.locator("input[name=assignee]").fill("nobody")
    box.get_by_role("button", name="保存").click()
    expect(box.locator(".problem")).to_be_visible()  # the server's refusal, in Chinese, in the dialog
    assert any("\u4e00" <= ch <= "\u9fff" for ch in box.locator(".problem").inner_text())
    box.locator("input[name=assignee]").fill("clerk01")
    box.get_by_role("button", name="保存").click()
    expect(box).to_be_hidden()
    expect(item).to_contain_text("责任人林晓燕（clerk01）")

    item.get_by_role("button", name="回访").click()
    expect(box).to_be_visible()
    box.locator("textarea[name=callback_note]").fill("已电话回访，群众反映等候时窗口人员态度生硬")
    box.get_by_role("button", name="保存").click()
    expect(box).to_be_hidden()
    expect(item).to_contain_text("已联系：已电话回访")

    item.get_by_role("button", name="整改").click()
    box.locator("textarea[name=fix_note]").fill("对窗口人员进行服务规范培训")
    shoot(page, "followup-fix")
    box.get_by_role("button", name="保存").click()
    expect(box).to_be_hidden()
    expect(item).to_contain_text("对窗口人员进行服务规范培训")

    item.get_by_role("button", name="办结").click()
    confirm = page.locator("#confirm-dialog")
    confirm.get_by_role("button", name="确认").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#followup-empty")).to_be_visible()  # no open one left
    page.locator("#followup-status").select_option("closed")
    closed = page.locator("#followup-list li.followup").first
    expect(closed).to_have_attribute("data-status", "closed")
    expect(closed.get_by_role("button", name="办结")).to_have_count(0)
    shoot(page, "followup-closed")
    body = hall_api.call("GET", "/halls/jinan/followups?status=closed", "manager")
    assert [f["ticket"] for f in body["followups"]] == [served["number"]]
    assert body["followups"][0]["callback"]["reached"] is True


def test_the_days_report_exports_to_excel_through_the_page(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot, tmp_path: Path) -> None:
    hall_api.counter(1, "open", "clerk01")
    for queue in ("A", "A", "A", "B"):
        hall_api.issue(queue)
    hall_api.serve(1, "clerk01")
    hall_api.serve(1, "clerk01")
    hall_api.advance(120)

    page = signed_in(desk_context, path=f"{PATH}#reports")
    form = page.locator("#report-form")
    expect(form.locator("input[name=date]")).to_have_value(TODAY)
    form.locator("select[name=by]").select_option("queue")
    form.get_by_role("button", name="查询").click()
    total = page.locator("#report-total tr")
    expect(total.locator("td[data-key=tickets]")).to_have_text("4")
    expect(total.locator("td[data-key=served]")).to_have_text("2")
    expect(page.locator("#report-rows tr[data-key=A] td[data-key=tickets]")).to_have_text("3")

    form.get_by_role("button", name="导出 Excel").click()
    link = page.locator("#export-link")
    expect(link).to_be_visible(timeout=30_000)
    expect(page.locator("#export-progress")).to_have_js_property("value", 100)
    shoot(page, "exported")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "report.xlsx"
    download.value.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    assert sheet is not None
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = lines[1]
    totals = lines[-1]
    assert totals[0] == "合计", lines
    assert totals[header.index("取号数")] == 4
    assert totals[header.index("办结数")] == 2
    by_key = {line[0]: line for line in lines[2:-1]}
    assert by_key["A"][header.index("取号数")] == 3

    form.get_by_role("button", name="导出 CSV").click()
    expect(link).to_have_text("下载 CSV 文件", timeout=30_000)
    with page.expect_download() as download:
        link.click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_bytes().decode("utf-8-sig"))))
    assert rows[-1][0] == "合计" and rows[-1][rows[0].index("取号数")] == "4", rows


def test_the_report_by_department_shows_each_departments_cases_and_exports_them(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot, tmp_path: Path) -> None:
    hall_api.counter(4, "open", "clerk04")
    joint = hall_api.call("POST", "/halls/jinan/cases", "clerk04",  # 联审联办: 区市场监管局 leads, 区税务局 too
                      {"item": "B02", "applicant": {"name": "张三"}, "departments": ["区税务局"]})
    single = hall_api.call("POST", "/halls/jinan/cases", "clerk04", {"item": "B01", "applicant": {"name": "李四"}})
    hall_api.call("POST", f"/cases/{single['receipt_no']}/events", "dept-scjg", {"status": "approved"})
    assert joint["receipt_no"] != single["receipt_no"]

    page = signed_in(desk_context, path=f"{PATH}#reports")
    form = page.locator("#report-form")
    form.locator("select[name=by]").select_option(label="部门")
    form.get_by_role("button", name="查询").click()
    scjg = page.locator("#department-rows tr[data-key=SCJG]")
    expect(scjg.locator("td.name")).to_have_text("区市场监管局")
    expect(scjg.locator("td[data-key=received]")).to_have_text("2")
    expect(scjg.locator("td[data-key=decided]")).to_have_text("1")
    expect(scjg.locator("td[data-key=on_time_rate]")).to_have_text("100.0%")
    expect(scjg.locator("td[data-key=avg_decide_days]")).to_have_text("0.0")
    expect(page.locator("#department-rows tr[data-key=SWJ] td[data-key=received]")).to_have_text("1")
    expect(page.locator("#department-total td[data-key=received]")).to_have_text("2")  # the joint case once
    expect(page.locator("#report-table")).to_be_hidden()  # the queue figures mean nothing by department
    # the art. 22 rates by department (docs/kpis.md): the joint case counts for 区税务局 too
    expect(page.locator("#case-rows tr[data-key=SWJ] td[data-key=joint_rate]")).to_have_text("100.0%")
    shoot(page, "report-by-department")

    form.get_by_role("button", name="导出 Excel").click()
    link = page.locator("#export-link")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "departments.xlsx"
    download.value.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    assert sheet is not None
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert str(lines[0][0]).endswith("按部门")
    by_name = {line[1]: line for line in lines[2:-1]}
    assert by_name["区市场监管局"][lines[1].index("收件数")] == 2 and by_name["区税务局"][lines[1].index("收件数")] == 1

    form.locator("select[name=by]").select_option("queue")  # back to the usual tables
    form.get_by_role("button", name="查询").click()
    expect(page.locator("#report-table")).to_be_visible()
    expect(page.locator("#department-table")).to_be_hidden()


def test_the_manager_steers_counters_and_queues_and_sees_the_refusals(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot) -> None:
    hall_api.counter(2, "open", "clerk02")
    hall_api.issue("A")
    hall_api.issue("A")
    page = signed_in(desk_context, size=DESK)
    live(page)
    card = page.locator("#counter-cards li[data-number='2']")
    expect(card).to_have_attribute("data-status", "idle")
    case = hall_api.call("POST", "/halls/jinan/cases", "clerk02",
                     {"item": "B01", "applicant": {"name": "张三"}, "counter": 2})  # due in one working day
    due = page.locator("#due-list li.soon")
    expect(due).to_contain_text(case["receipt_no"])
    expect(due).to_contain_text("个体工商户设立登记")

    card.get_by_role("button", name="暂停").click()
    box = page.locator("#pause-dialog")
    box.locator("select[name=reason]").select_option("业务培训")
    box.get_by_role("button", name="确认暂停").click()
    expect(box).to_be_hidden()
    expect(card).to_have_attribute("data-status", "paused")
    expect(card.locator(".chip")).to_have_text("暂停：业务培训")
    card.get_by_role("button", name="恢复").click()
    page.locator("#confirm-dialog").get_by_role("button", name="确认").click()
    expect(card).to_have_attribute("data-status", "idle")

    hall_api.counter(2, "call-next", "clerk02")  # a ticket at the window: closing it is refused
    expect(card.locator(".c-facts")).to_contain_text("A001")
    card.get_by_role("button", name="关闭").click()
    confirm = page.locator("#confirm-dialog")
    confirm.get_by_role("button", name="确认").click()
    problem = confirm.locator(".problem")
    expect(problem).to_be_visible()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem.inner_text()), problem.inner_text()
    shoot(page, "refused")
    confirm.get_by_role("button", name="取消").click()

    page.get_by_role("button", name="转移等候号").click()
    move = page.locator("#move-dialog")
    move.locator("select[name=from]").select_option("A")
    move.locator("select[name=to]").select_option("B")
    move.get_by_role("button", name="确认转移").click()
    expect(move).to_be_hidden()
    expect(page.locator("#queue-rows tr[data-queue=B] td.waiting")).to_have_text("1")
    expect(page.locator("#queue-rows tr[data-queue=A] td.waiting")).to_have_text("0")

    card.get_by_role("button", name="队列").click()
    queues = page.locator("#queues-dialog")
    queues.locator("input[value=B]").check()
    queues.get_by_role("button", name="确认").click()
    expect(queues).to_be_hidden()
    expect(card.locator(".c-facts")).to_contain_text("B")

    page.get_by_role("button", name="大厅公告").click()
    notice = page.locator("#notice-dialog")
    notice.locator("textarea").fill("今日下午三点起暂停办理不动产业务")
    notice.get_by_role("button", name="发布公告").click()
    expect(page.locator("#notice")).to_have_text("今日下午三点起暂停办理不动产业务")
    shoot(page, "steered")

    page.get_by_role("button", name="告警设置").click()
    settings = page.locator("#settings-dialog")
    expect(settings.locator("input[name=default]")).to_have_value("20")
    settings.locator("input[name=target-B]").fill("30")
    settings.get_by_role("button", name="保存").click()
    expect(settings).to_be_hidden()
    stored = hall_api.call("GET", "/halls/jinan/alert-settings", "manager")
    assert stored["wait_target_min"]["B"] == 30 and stored["wait_target_min"]["default"] == 20, stored

    page.locator("[data-tab=audit]").click()
    page.locator("#audit-form input[name=actor]").fill("manager")
    page.locator("#audit-form input[name=action]").fill("counter.pause")  # what the manager did here
    page.locator("#audit-form").get_by_role("button", name="查询").click()
    paused = page.locator("#audit-rows tr").first
    expect(paused).to_contain_text("暂停了窗口")
    expect(paused).to_contain_text("督查科（manager，管理人员）在2号窗口暂停了窗口（原因：业务培训")  # a sentence
    page.locator("#audit-form input[name=action]").fill("")
    page.locator("#audit-form").get_by_role("button", name="查询").click()
    expect(page.locator("#audit-rows")).to_contain_text("设置了大厅滚动公告")
    shoot(page, "audit")


def test_only_managers_see_the_dashboard(desk_context: Callable[..., BrowserContext], clocked_server: ServerProcess,
                                        shoot: Shoot) -> None:
    page = desk_context(DESK).new_page()
    page.goto(PATH)
    assert "/login" in page.url
    page.fill("input[name=username]", "clerk01")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{PATH}")
    expect(page.locator("h1")).to_have_text("没有权限查看督查看板")
    shoot(page, "forbidden")
    assert httpx.get(f"{clocked_server.base}{PATH}", timeout=10, follow_redirects=False).status_code == 303


# ---------------------------------------------------------------- the widths of a 督查科 desk (issue 14)
CLIPPED = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.offsetParent !== null && (el.scrollWidth > el.clientWidth + 1))
  .map((el) => el.textContent.trim())"""


WRAPPED = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => {
    if (el.offsetParent === null) return false;
    const style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.4;
    const inner = el.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return el.textContent.trim() !== "" && inner > line * 1.5;
  })
  .map((el) => el.textContent.trim())"""

OUTSIDE = """([selector, box]) => {
  const edge = document.querySelector(box).getBoundingClientRect().right;
  return [...document.querySelectorAll(selector)].filter((el) => el.getBoundingClientRect().right > edge + 0.5)
    .map((el) => el.textContent.trim());
}"""


def busy_hall(hall: HallApi) -> None:
    for number in (1, 2):
        hall.counter(number, "open", f"clerk0{number}")
    for queue in ("A", "A", "A", "A", "B"):
        hall.issue(queue)
    served = hall.serve(1, "clerk01")
    hall.serve(2, "clerk02")
    hall.rate(1, {"ticket_id": served["id"], "level": 1, "reasons": ["服务态度差"]})
    hall.counter(2, "pause", "clerk02", {"reason": "业务培训"})
    hall.advance(25 * 60)  # a long pause: an alert about counter 2


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_the_dashboard_fits_and_reads_right(desk_context: Callable[..., BrowserContext], hall_api: HallApi,
                                            shoot: Shoot, width: int) -> None:
    busy_hall(hall_api)
    page = signed_in(desk_context, size={"width": width, "height": 900})
    live(page)
    cards = page.locator("#counter-cards li")
    expect(cards.first).to_be_visible()
    pause = page.locator(".alert-item[data-kind=long_pause]")
    expect(pause).to_be_visible(timeout=15_000)
    shoot(page, f"live-{width}")
    assert page.evaluate(CLIPPED, "#counter-cards li, #counter-cards li *") == []
    assert page.evaluate(WRAPPED, "#queue-table td, #queue-table button, .c-name") == []
    assert page.evaluate(OUTSIDE, ["#queue-table button", ".queues"]) == []  # the 转移 buttons stay in the card
    expect(pause).to_contain_text("2号窗口")
    assert " 号窗口" not in page.locator("#alerts-panel").inner_text()

    page.locator("[data-tab=reports]").click()
    form = page.locator("#report-form")
    date = form.locator("input[name=date]")
    expect(date).to_have_value("2026-11-25")
    assert date.evaluate("el => el.type") == "text"  # not the browser's mm/dd/yyyy picker
    form.locator("select[name=by]").select_option("hall")
    form.get_by_role("button", name="查询").click()
    first_cell = page.locator("#report-rows tr td").first
    expect(first_cell).to_contain_text("晋安区行政服务中心")
    for table in ("#report-table", "#case-table"):  # whole: every column in sight, no sideways scrolling
        assert page.evaluate(CLIPPED, f"{table}, .table-wrap:has({table})") == [], table
        assert page.evaluate(WRAPPED, f"{table} td") == [], table  # no name one character a line
    shoot(page, f"report-{width}")

    page.locator("[data-tab=followups]").click()
    item = page.locator("#followup-list li.followup").first
    expect(item).to_contain_text("林晓燕")  # clerk01 by name, as the staff list knows them
    shoot(page, f"followups-{width}")

    page.locator("[data-tab=audit]").click()
    page.locator("#audit-form").get_by_role("button", name="查询").click()
    first = page.locator("#audit-rows tr").first
    expect(first.locator("td.sentence")).to_contain_text("。")  # each entry a sentence
    assert page.evaluate(CLIPPED, "#audit-table, .table-wrap:has(#audit-table)") == []
    assert "{" not in page.locator("#audit-rows").inner_text()  # no raw JSON
    shoot(page, f"audit-{width}")
