"""意见建议/投诉 at the kiosk in Chromium against a real server: the 意见建议 button beside 服务评价,
the QR code that continues on the phone, a complaint typed and sent with the kiosk's token, the
confirmation with the QR code of the visitor's own status link, the return home when idle, and the
manager finding it in the register; both screen orientations."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import HallClient, read_qr, wait_until
from tests.browser.test_kiosk import LANDSCAPE, PORTRAIT, open_kiosk  # noqa: F401  (the fixture)
from tests.servers import ServerProcess

Shoot = Callable[[Page, str], Path]
COMPLAINT = "取号机旁的座位太少，老人站着等了四十分钟"


def test_a_complaint_at_the_kiosk(open_kiosk: Callable[..., Page], hall: HallClient,  # noqa: F811
                                  live_server: ServerProcess, shoot: Shoot, tmp_path: Path) -> None:
    page = open_kiosk(PORTRAIT, "&idle=4")
    button = page.get_by_role("button", name="意见建议")
    expect(button).to_be_visible()
    shoot(page, "home-portrait")
    button.click()
    expect(page.locator("#feedback-title")).to_have_text("意见建议 / 投诉")
    wait_until(page, "document.getElementById('fb-phone-qr').naturalWidth > 0")
    assert read_qr(page.locator("#fb-phone-qr"), tmp_path) == f"{live_server.base}/feedback/jinan"
    expect(page.get_by_role("radio", name="投诉")).to_have_attribute("aria-checked", "false")
    page.get_by_role("radio", name="投诉").click()
    expect(page.get_by_role("radio", name="投诉")).to_have_attribute("aria-checked", "true")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#error")).to_have_text("请写下具体情况")
    page.locator("#fb-text").fill(COMPLAINT)
    page.locator("#fb-contact").fill("13800001234")
    shoot(page, "form-portrait")
    page.get_by_role("button", name="提交").click()

    expect(page.locator("#fb-done")).to_be_visible()
    expect(page.locator("#fb-done-title")).to_have_text("投诉已提交")
    expect(page.locator("#fb-due")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    wait_until(page, "document.getElementById('fb-status-qr').naturalWidth > 0")
    link = read_qr(page.locator("#fb-status-qr"), tmp_path)
    assert link.startswith(f"{live_server.base}/feedback/jinan/s/")
    shoot(page, "done-portrait")
    status = httpx.get(link)
    assert status.status_code == 200 and COMPLAINT in status.text
    assert httpx.get(f"{live_server.base}/feedback/jinan/s/nonsense/qr.svg").status_code == 404

    manager = hall.clerk("manager")
    listed = httpx.get(f"{live_server.base}/api/v1/halls/jinan/feedback", headers=manager).json()["feedback"]
    mine = [f for f in listed if f["text"] == COMPLAINT]
    assert len(mine) == 1
    assert mine[0]["kind"] == "complaint" and mine[0]["source"] == "kiosk"
    assert mine[0]["contact"] == "13800001234"

    # the next visitor finds the start screen, and an empty form
    expect(page.locator("#home")).to_be_visible(timeout=10_000)
    page.get_by_role("button", name="意见建议").click()
    expect(page.locator("#fb-text")).to_have_value("")
    expect(page.locator("#fb-done")).to_be_hidden()


def test_feedback_in_landscape_and_english(open_kiosk: Callable[..., Page], shoot: Shoot) -> None:  # noqa: F811
    page = open_kiosk(LANDSCAPE)
    button = page.get_by_role("button", name="意见建议")
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 1080  # on the screen, not below it
    shoot(page, "home-landscape")
    button.click()
    page.get_by_role("radio", name="建议").click()
    page.locator("#fb-text").fill("希望增加饮水机")
    shoot(page, "form-landscape")
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    page.get_by_role("button", name="English").click()
    expect(page.locator("#feedback-title")).to_have_text("Suggestions / complaints")
    expect(page.get_by_role("radio", name="Suggestion")).to_have_attribute("aria-checked", "true")
    shoot(page, "form-landscape-en")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#fb-done-title")).to_have_text("Your suggestion has been sent")
    shoot(page, "done-landscape-en")
