"""好差评 on the visitor's own page in a real browser: once the service is done, /t/{token} asks
for a rating; 非常不满意 with a reason opens a follow-up (整改) that a manager closes after the
call-back and the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import HallClient
from tests.browser.test_kiosk import LANDSCAPE, PORTRAIT, open_kiosk
from tests.browser.test_ticket_page import assert_fits, open_ticket

__all__ = ["open_kiosk"]  # the fixture

Shoot = Callable[[Page, str], Path]


def test_a_bad_rating_from_the_phone_opens_a_followup_that_closes(phone: Page, hall: HallClient,
                                                                   shoot: Shoot) -> None:
    mine = hall.issue("A")
    open_ticket(phone, mine)
    expect(phone.locator("#rate")).to_be_hidden()  # nothing to rate while waiting
    clerk = hall.clerk()
    hall.counter(1, "open", clerk)
    hall.counter(1, "call-next", clerk)
    hall.counter(1, "finish", clerk)
    expect(phone.locator("#status")).to_have_text("已办结")
    rate = phone.locator("#rate")
    expect(rate.get_by_role("heading", name="请评价本次服务")).to_be_visible()
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        expect(rate.get_by_role("button", name=label, exact=True)).to_be_visible()
    send = rate.get_by_role("button", name="提交评价")
    expect(send).to_be_disabled()
    rate.get_by_role("button", name="满意", exact=True).click()
    expect(phone.locator("#rate-why")).to_be_hidden()  # reasons only for the unhappy two
    rate.get_by_role("button", name="非常不满意").click()
    expect(phone.get_by_text("不满意的原因（可多选）")).to_be_visible()
    rate.get_by_role("button", name="服务态度差").click()
    expect(rate.get_by_role("button", name="服务态度差")).to_have_attribute("aria-pressed", "true")
    assert_fits(phone)
    shoot(phone, "rating")
    send.click()
    expect(phone.locator("#rate-thanks")).to_have_text("感谢您的评价！我们会认真改进。")
    expect(rate).to_be_hidden()
    shoot(phone, "thanks")

    phone.reload()  # rated: the page does not ask again
    expect(phone.locator("#status")).to_have_text("已办结")
    expect(phone.locator("#rate")).to_be_hidden()

    manager = hall.clerk("manager")
    base = hall.server.base + "/api/v1"
    listed = httpx.get(f"{base}/halls/jinan/followups?status=open", headers=manager, timeout=10).json()
    [followup] = listed["followups"]
    assert followup["ticket"] == mine["number"] and followup["rating"]["level"] == 1
    assert followup["rating"]["reasons"] == ["服务态度差"] and followup["rating"]["source"] == "phone"
    url = f"{base}/followups/{followup['id']}"
    early = httpx.patch(url, json={"close": True}, headers=manager, timeout=10)
    assert early.status_code == 409
    done = httpx.patch(url, json={"callback": {"note": "已回访", "reached": True}, "fix": {"note": "窗口服务规范培训"},
                                  "close": True}, headers=manager, timeout=10)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "closed"
    assert httpx.get(f"{base}/halls/jinan/followups?status=open", headers=manager,
                     timeout=10).json()["followups"] == []


def test_english_and_a_happy_rating(phone: Page, hall: HallClient) -> None:
    mine = hall.issue("A")
    clerk = hall.clerk()
    hall.counter(1, "open", clerk)
    hall.counter(1, "call-next", clerk)
    hall.counter(1, "finish", clerk)
    open_ticket(phone, mine, live=False)
    phone.get_by_role("button", name="English").click()
    rate = phone.locator("#rate")
    expect(rate.get_by_role("heading", name="Please rate this service")).to_be_visible()
    rate.get_by_role("button", name="Very satisfied").click()
    rate.get_by_role("button", name="Send my rating").click()
    expect(phone.locator("#rate-thanks")).to_contain_text("Thank you for your rating")
    manager = hall.clerk("manager")
    listed = httpx.get(f"{hall.server.base}/api/v1/halls/jinan/followups", headers=manager, timeout=10).json()
    assert listed["followups"] == []  # a happy rating opens nothing


def test_the_kiosk_rates_a_service_by_ticket_number(open_kiosk: Callable[..., Page], hall: HallClient,
                                                    shoot: Shoot) -> None:
    mine = hall.issue("A")
    clerk = hall.clerk("clerk02")
    hall.counter(2, "open", clerk)
    hall.counter(2, "call-next", clerk)
    hall.counter(2, "finish", clerk)
    for size in (PORTRAIT, LANDSCAPE):  # the extra button keeps the home screen whole
        page = open_kiosk(size)
        assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
    page.get_by_role("button", name="服务评价").click()
    expect(page.locator("#rate-title")).to_have_text("服务评价")
    keys = page.locator("#number-keys")
    for key in "A999":
        keys.get_by_role("button", name=key, exact=True).click()
    expect(page.locator("#number-entry")).to_have_text("A999")
    page.get_by_role("radio", name="满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#error")).to_have_text("今天没有这个号码，请核对后重新输入")
    keys.get_by_role("button", name="删除").click()
    keys.get_by_role("button", name="删除").click()
    keys.get_by_role("button", name="删除").click()
    for key in str(mine["number"])[1:]:
        keys.get_by_role("button", name=key, exact=True).click()
    expect(page.locator("#number-entry")).to_have_text(str(mine["number"]))
    page.get_by_role("radio", name="不满意", exact=True).click()
    page.locator(".rate-reason[data-reason='等候时间长']").click()
    shoot(page, "kiosk-rating")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#rate-thanks")).to_have_text("感谢您的评价！我们会认真改进。")
    manager = hall.clerk("manager")
    listed = httpx.get(f"{hall.server.base}/api/v1/halls/jinan/followups", headers=manager, timeout=10).json()
    [followup] = listed["followups"]
    assert (followup["ticket"], followup["counter"], followup["rating"]["source"]) == (mine["number"], 2, "kiosk")
    assert followup["rating"]["reasons"] == ["等候时间长"]
    page.get_by_role("button", name="返回首页").click()
    expect(page.locator("#home-title")).to_be_visible()
