"""Fees (收费) at the clerk's counter, in Chromium against a real server: the 受理 dialog shows the item's
fee standard, the clerk records 窗口缴费, and the receipt (接件回执) shows the amount and how it was paid."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import HallClient
from tests.browser.test_counter_cases import id_number, key, pick, signed_in

SHOTS = Path("/tmp/shots")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"fees-{name}.png")


def set_fee(hall: HallClient, code: str, fee: str) -> None:
    manager = hall.clerk("manager")
    base = f"{hall.server.base}/api/v1/halls/jinan/items"
    item = next(i for i in httpx.get(base, timeout=10).json() if i["code"] == code)
    body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    response = httpx.put(f"{base}/{code}", json={**body, "fee": fee}, headers=manager, timeout=10)
    assert response.status_code in (200, 201), response.text


def test_a_clerk_records_a_window_payment_at_acceptance(open_page: Callable[[str], Page], hall: HallClient) -> None:
    set_fee(hall, "A04", "工本费10元")
    ticket = hall.issue("A")
    page = signed_in(open_page, 1, "clerk01")
    key(page, "呼叫下一位").click()
    expect(page.locator("#number")).to_have_text(str(ticket["number"]))
    key(page, "开始办理").click()
    key(page, "受理").click()
    box = page.locator("#case-dialog")
    expect(box.locator("#case-fee")).to_be_hidden()  # no item yet
    pick(box, "jycy", "就业创业证申领")
    fee = box.locator("#case-fee")
    expect(fee).to_be_visible()
    expect(fee.locator("#case-fee-standard")).to_have_text("收费标准：工本费10元")
    box.locator("#applicant-name").fill("王小明")
    box.locator("#applicant-id").fill(id_number(7))

    # 减免 without a reason stops the 受理, saying why; nothing is sent
    fee.get_by_role("radio", name="减免").check()
    fee.get_by_label("金额（元）").fill("10")
    expect(fee.get_by_label("减免原因")).to_be_visible()
    box.get_by_role("button", name="提交受理").click()
    expect(box.locator("#case-problem")).to_have_text("减免须写明原因。")
    expect(box.locator("#case-form")).to_be_visible()

    fee.get_by_role("radio", name="窗口缴费").check()
    expect(fee.get_by_label("减免原因")).to_be_hidden()
    shot(page, "accept-dialog")
    box.get_by_role("button", name="提交受理").click()
    expect(box.locator("#result-accepted")).to_be_visible()
    expect(box.locator("#result-fee")).to_have_text("10.00元（窗口缴费）")
    receipt = box.locator("#result-receipt")
    expect(receipt).to_have_text(re.compile(r"^JA\d{12}$"))
    shot(page, "accepted")

    with page.context.expect_page() as opened:
        box.get_by_role("button", name="打开回执").click()
    paper = opened.value
    paper.wait_for_load_state()
    expect(paper.locator("#fee")).to_have_text("工本费10元；已登记 10.00元（窗口缴费）")
    shot(paper, "receipt")
