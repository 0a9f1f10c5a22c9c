"""Fees (收费) where a result is handed over, in Chromium against a real server: the collect dialog (领取)
at the L window shows the item's fee standard and the charges recorded at 受理; when nothing was
charged yet the clerk records a pickup charge there; the pickup slip (领取凭条) the dialog turns into
after the collection shows them, on screen and on paper."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.api.conftest import KIOSK
from tests.browser.conftest import HallClient
from tests.browser.test_counter_cases import PHONE, id_number, key, signed_in
from tests.browser.test_fees import set_fee

Shoot = Callable[[Page, str], Path]


def ready_case(hall: HallClient, applicant_id: str, charge: dict[str, Any] | None = None) -> str:
    """A B02 case received at counter 4 (with ``charge`` recorded at 受理), decided and ready, and its
    L ticket taken at the kiosk: its receipt number."""
    clerk4 = hall.clerk("clerk04")
    hall.counter(4, "open", clerk4)
    made = hall.post("/halls/jinan/cases", clerk4, {
        "item": "B02", "applicant": {"name": "王小明", "id_number": applicant_id, "phone": PHONE}})
    assert made.status_code == 201, made.text
    receipt = str(made.json()["receipt_no"])
    if charge:
        paid = hall.post(f"/cases/{receipt}/fees", clerk4, {**charge, "stage": "acceptance"})
        assert paid.status_code == 201, paid.text
    dept = hall.clerk("dept-scjg")
    for status in ("in_review", "approved", "ready"):
        assert hall.post(f"/cases/{receipt}/events", dept, {"status": status}).status_code == 200
    assert hall.post(f"/cases/{receipt}/pickup-ticket", KIOSK, {"check": PHONE[-4:]}).status_code == 201
    return receipt


def collect_dialog(open_page: Callable[[str], Page], receipt: str) -> tuple[Page, Any]:
    page = signed_in(open_page, 11, "clerk11")
    key(page, "呼叫下一位").click()
    expect(page.locator("#case-no")).to_have_text(receipt)
    page.locator("#pickup").get_by_role("button", name="领取").click()
    box = page.locator("#collect-dialog")
    expect(box).to_be_visible()
    return page, box


def test_the_collect_dialog_and_the_pickup_slip_show_the_fee_recorded_at_acceptance(
        open_page: Callable[[str], Page], hall: HallClient, shoot: Shoot) -> None:
    set_fee(hall, "B02", "工本费10元")
    receipt = ready_case(hall, id_number(21), {"amount": "10", "settlement": "window"})
    page, box = collect_dialog(open_page, receipt)
    charges = box.locator("#collect-charges")
    expect(charges.locator("#collect-fee-standard")).to_have_text("收费标准：工本费10元")
    expect(charges.locator("#collect-charge-list li")).to_have_text(["受理时 10.00元（窗口缴费）"])
    expect(charges.locator("#collect-fee-state")).to_have_text("已登记收费 合计 10.00元")
    expect(box.locator("#collect-fee")).to_be_hidden()  # settled: nothing more is asked
    expect(charges.get_by_role("button", name="补登收费")).to_be_visible()
    box.get_by_label("领取人姓名").fill("王小明")
    box.get_by_label("领取人身份证号码").fill(id_number(21))
    shoot(page, "collect-settled")
    box.get_by_role("button", name="确认领取").click()

    slip = box.locator("#collect-slip")
    expect(slip).to_be_visible()
    expect(slip.get_by_role("heading", name="领取凭条")).to_be_visible()
    expect(slip.locator("#slip-receipt")).to_have_text(receipt)
    expect(slip.locator("#slip-item")).to_have_text("有限责任公司设立登记")
    expect(slip.locator("#slip-collector")).to_have_text("王小明（申请人本人）")
    expect(slip.locator("#slip-at")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    expect(slip.locator("#slip-standard")).to_have_text("工本费10元")
    expect(slip.locator("#slip-charges li")).to_have_text(["受理时 10.00元（窗口缴费）"])
    expect(slip.locator("#slip-total")).to_have_text("10.00元")
    expect(page.locator("#case-status")).to_have_text("已领取")
    shoot(page, "pickup-slip")
    page.emulate_media(media="print")  # on paper: the slip alone, without its buttons
    expect(page.locator("#pickup")).to_be_hidden()
    expect(slip.get_by_role("button", name="打印凭条")).to_be_hidden()
    expect(slip.locator("#slip-total")).to_be_visible()
    shoot(page, "pickup-slip-print")
    page.emulate_media(media="screen")
    slip.get_by_role("button", name="关闭").click()
    expect(box).to_be_hidden()


def test_a_pickup_charge_is_recorded_from_the_collect_dialog(
        open_page: Callable[[str], Page], hall: HallClient, shoot: Shoot) -> None:
    set_fee(hall, "B02", "工本费10元")
    receipt = ready_case(hall, id_number(22))
    page, box = collect_dialog(open_page, receipt)
    expect(box.locator("#collect-fee-standard")).to_have_text("收费标准：工本费10元")
    expect(box.locator("#collect-fee-state")).to_have_text("尚未登记收费：请在下方登记领取时收费")
    fee = box.locator("#collect-fee")
    expect(fee).to_be_visible()
    box.get_by_label("领取人姓名").fill("王小明")
    box.get_by_label("领取人身份证号码").fill(id_number(22))
    box.get_by_role("button", name="确认领取").click()  # no amount: refused in the page, nothing sent
    expect(box.locator("#collect-form .problem")).to_have_text("请填写收费金额（元）；减免请选择“减免”并写明原因。")
    expect(page.locator("#case-status")).to_have_text("待领取")

    fee.get_by_label("金额（元）").fill("10")
    fee.get_by_role("radio", name="网上缴费").check()
    shoot(page, "collect-unsettled")
    box.get_by_role("button", name="确认领取").click()
    slip = box.locator("#collect-slip")
    expect(slip.locator("#slip-charges li")).to_have_text(["领取时 10.00元（网上缴费）"])
    expect(slip.locator("#slip-total")).to_have_text("10.00元")
    expect(slip.locator("#slip-problem")).to_be_hidden()
    shoot(page, "pickup-slip-charged")

    listed = httpx.get(f"{hall.server.base}/api/v1/cases/{receipt}/fees", headers=hall.clerk("clerk11"), timeout=10)
    assert [(c["stage"], c["amount_fen"], c["settlement"], c["counter"]) for c in listed.json()["charges"]] == [
        ("pickup", 1000, "online", 11)]
