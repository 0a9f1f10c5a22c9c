"""The case register (办件台账) on the manager's dashboard, in Debian's Chromium against a real server
whose clock starts on a Wednesday at 09:30: the manager pages through the hall's cases, filters them
by status and applicant, sees the overdue ones in red, and exports what the filters found to Excel,
whose rows are the cases the page showed."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESK, HallApi
from tests.browser.test_dashboard import signed_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

Shoot = Callable[[Page, str], Path]
TODAY = "2026-11-25"  # a Wednesday
CLOCK_AT = f"{TODAY}T09:30:00+08:00"  # where clocked_server's clock starts


def receive(hall: HallApi, item: str, name: str, phone: str | None = None) -> str:
    applicant: dict[str, Any] = {"name": name}
    if phone:
        applicant["phone"] = phone
    case = hall.call("POST", "/halls/jinan/cases", "manager", {"item": item, "applicant": applicant})
    return str(case["receipt_no"])


def shown(page: Page) -> list[str]:
    rows = page.locator(".reg-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.receipt)")
    return [str(r) for r in rows]


def test_the_manager_pages_filters_and_exports_the_register(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot, tmp_path: Path) -> None:
    wang = [receive(hall_api, "B02", "王小明", "13812345678") for _ in range(3)]  # 区市场监管局, 3 working days
    others = [receive(hall_api, "B10", f"申请人{n:02d}") for n in range(22)]  # 即办: due today
    for receipt in (wang[0], wang[2]):
        hall_api.call("POST", f"/cases/{receipt}/events", "dept-scjg", {"status": "in_review"})
    newest_first = list(reversed(wang + others))
    hall_api.advance(86400)  # Thursday: the 即办 cases received yesterday are overdue

    page = signed_in(desk_context, path="/dashboard/jinan#register", size=DESK)
    panel = page.locator("#tab-register")
    expect(panel.locator("[data-reg=total]")).to_have_text("共 25 件")
    expect(panel.locator("[data-reg=page]")).to_have_text("第 1 / 2 页")
    expect(panel.locator(".reg-table tbody tr")).to_have_count(20)
    assert shown(page) == newest_first[:20]
    expect(panel.locator("[data-reg=prev]")).to_be_disabled()
    first = panel.locator(f".reg-table tr[data-receipt='{others[-1]}']")
    expect(first.locator(".reg-due")).to_have_class("reg-due overdue")  # due yesterday: in red
    expect(first.locator(".reg-due")).to_contain_text("已超期")
    assert first.locator(".reg-due").evaluate("el => getComputedStyle(el).color") == "rgb(192, 0, 0)"
    expect(first.locator(".reg-status")).to_have_text("已受理")
    expect(first.locator(".reg-dept")).to_have_text("区市场监管局")
    shoot(page, "register")

    panel.locator("[data-reg=next]").click()
    expect(panel.locator("[data-reg=page]")).to_have_text("第 2 / 2 页")
    expect(panel.locator(".reg-table tbody tr")).to_have_count(5)
    assert shown(page) == newest_first[20:]
    expect(panel.locator("[data-reg=next]")).to_be_disabled()
    newest = panel.locator(f".reg-table tr[data-receipt='{wang[0]}']")
    expect(newest.locator(".reg-who")).to_contain_text("王小明")  # in full, with the phone, for staff
    expect(newest.locator(".reg-who")).to_contain_text("13812345678")
    expect(newest.locator(".reg-due")).not_to_have_class("reg-due overdue")
    panel.locator("[data-reg=prev]").click()
    expect(panel.locator("[data-reg=page]")).to_have_text("第 1 / 2 页")

    form = panel.locator("[data-reg=form]")
    form.locator("select[name=status]").select_option("in_review")
    form.locator("input[name=q]").fill("王小明")
    form.get_by_role("button", name="查询").click()
    expect(panel.locator("[data-reg=total]")).to_have_text("共 2 件")
    expect(panel.locator("[data-reg=page]")).to_have_text("第 1 / 1 页")
    assert shown(page) == [wang[2], wang[0]]
    expect(panel.locator(".reg-table tbody .reg-status").first).to_have_text("审查中")

    form.get_by_role("button", name="导出 Excel").click()
    link = panel.locator("[data-reg=export-link]")
    expect(link).to_be_visible(timeout=30_000)
    expect(panel.locator("[data-reg=export-progress]")).to_have_js_property("value", 100)
    expect(panel.locator("[data-reg=export-label]")).to_have_text("已导出 2 件")
    shoot(page, "exported")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "cases.xlsx"
    download.value.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    assert sheet is not None
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, rows = lines[1], lines[2:]
    assert [row[0] for row in rows] == [wang[2], wang[0]]
    assert {row[header.index("申请人")] for row in rows} == {"王小明"}
    assert {row[header.index("状态")] for row in rows} == {"审查中"}

    form.get_by_role("button", name="重置").click()
    expect(panel.locator("[data-reg=total]")).to_have_text("共 25 件")


def test_a_clerk_reaches_the_register_from_the_counter_without_the_export(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot) -> None:
    receipts = [receive(hall_api, "A04", name) for name in ("林一", "林二", "陈三")]
    page = desk_context().new_page()
    page.goto("/counter/jinan/4")
    page.fill("input[name=username]", "clerk04")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url("**/counter/jinan/4")
    page.get_by_role("button", name="台账").click()
    box = page.locator("#register-dialog")
    expect(box).to_be_visible()
    expect(box.locator("[data-reg=total]")).to_have_text("共 3 件")
    expect(box.get_by_role("button", name="导出 Excel")).to_be_hidden()  # exports are the managers'
    box.locator("input[name=q]").fill("林")
    box.locator("input[name=q]").press("Enter")
    expect(box.locator("[data-reg=total]")).to_have_text("共 2 件")
    assert shown(page) == [receipts[1], receipts[0]]
    shoot(page, "counter-register")
    box.get_by_role("button", name="关闭").click()
    expect(box).to_be_hidden()


def test_the_clerk_records_the_material_a_department_asked_for(desk_context: Callable[..., BrowserContext],
                                                               hall_api: HallApi) -> None:
    receipt = receive(hall_api, "B02", "王小明")
    hall_api.call("POST", f"/cases/{receipt}/events", "dept-scjg", {"status": "supplement", "missing": ["股东会决议"]})
    page = desk_context().new_page()
    page.goto("/counter/jinan/4")
    page.fill("input[name=username]", "clerk04")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url("**/counter/jinan/4")
    page.get_by_role("button", name="台账").click()
    row = page.locator(f"#register-dialog tr[data-receipt='{receipt}']")
    expect(row).to_contain_text("补正中")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="补正收件").click()
    expect(row).to_contain_text("审查中")
    expect(row.get_by_role("button", name="补正收件")).to_have_count(0)
    case = hall_api.call("GET", f"/halls/jinan/cases?q={receipt}", "manager")["cases"][0]
    assert case["status"] == "in_review" and case["materials_missing"] == []
