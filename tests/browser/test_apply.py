"""Online pre-review (网上预审) in Chromium: from a 360-px phone a visitor applies for a 5-star item with a
PDF and a PNG, watches the upload's progress and gets the status link; a clerk passes it on
/prereview/jinan, seeing the photo itself; the visitor's status page then shows the new case's
receipt number, and the case page behind it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, expect

from server.demo import DEMO_PASSWORD
from tests.api.test_applications import APPLICANT, PDF, PHONE, png
from tests.browser.conftest import DESK, wait_until
from tests.browser.conftest import PHONE as PHONE_SIZE
from tests.servers import ServerProcess, seeded


@pytest.fixture
def apply_server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(seeded(sqlite_url), tmp_path,
                           extra_env={"ONEWINDOW_UPLOAD_DIR": str(tmp_path / "uploads")}).start()
    try:
        yield server
    finally:
        server.stop()


def bearer(server: ServerProcess, username: str) -> dict[str, str]:
    response = httpx.post(f"{server.base}/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                          timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def five_stars(server: ServerProcess, code: str) -> None:
    """The demo catalog has no stars: the manager marks the item as done online, 5 stars."""
    items = httpx.get(f"{server.base}/api/v1/halls/jinan/items", timeout=10).json()
    item = next(i for i in items if i["code"] == code)
    body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    response = httpx.put(f"{server.base}/api/v1/halls/jinan/items/{code}", headers=bearer(server, "manager"),
                         json={**body, "online": True, "star": 5}, timeout=10)
    assert response.status_code == 200, response.text


def context_page(browser: Browser, server: ServerProcess, size: ViewportSize, phone: bool,
                 violations: list[str]) -> Page:
    context = browser.new_context(viewport=size, device_scale_factor=2 if phone else 1,
                                  is_mobile=phone, has_touch=phone, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=server.base)
    context.set_default_timeout(10_000)
    page = context.new_page()

    def note(message: ConsoleMessage) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused" in message.text):
            violations.append(message.text)

    page.on("console", note)
    return page


def test_a_phone_applies_a_clerk_passes_and_the_status_page_shows_the_receipt(
        browser: Browser, apply_server: ServerProcess, tmp_path: Path,
        shoot: Callable[[Page, str], Path]) -> None:
    five_stars(apply_server, "A04")  # 就业创业证申领: 居民身份证, 近期一寸照片
    pdf, photo = tmp_path / "身份证正反面.pdf", tmp_path / "一寸照片.png"
    pdf.write_bytes(PDF)
    photo.write_bytes(png(120, 160))
    violations: list[str] = []

    phone = context_page(browser, apply_server, PHONE_SIZE, True, violations)
    phone.goto("/apply/jinan")
    expect(phone.locator("#limits")).to_contain_text("10 MB")
    shoot(phone, "apply-items")
    phone.get_by_role("button", name="就业创业证申领").click()
    phone.fill("#name", "王小明")
    phone.fill("#id_number", APPLICANT.id_number)
    phone.fill("#phone", PHONE)
    disguised = tmp_path / "扫描件.pdf"
    disguised.write_text("<html><script>alert(1)</script></html>")
    phone.set_input_files("#m0", str(disguised))
    phone.set_input_files("#m1", str(photo))
    phone.get_by_role("button", name="提交申请").click()  # the server looks at the content, not the name
    expect(phone.locator("#m0-error")).to_contain_text("不是 PDF、JPG 或 PNG 格式")
    shoot(phone, "apply-refused")
    phone.get_by_role("button", name="删除 扫描件.pdf").click()
    phone.set_input_files("#m0", str(pdf))
    expect(phone.locator("#material-0 .file-name")).to_have_text("身份证正反面.pdf")
    expect(phone.locator("#material-1 .file-name")).to_have_text("一寸照片.png")
    shoot(phone, "apply-filled")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    phone.get_by_role("button", name="提交申请").click()
    expect(phone.locator("#done")).to_be_visible()
    assert phone.evaluate("document.getElementById('progress-bar').value") == 100  # the upload's progress
    link = phone.locator("#status-link")
    status_url = str(link.get_attribute("href"))
    assert status_url.startswith("/apply/jinan/s/")
    expect(link).to_have_text(apply_server.base + status_url)
    shoot(phone, "apply-done")
    phone.get_by_role("link", name="查看预审进度").click()
    expect(phone.locator("#status")).to_have_text("待预审")
    expect(phone.locator("#applicant")).to_have_text("王*明")
    shoot(phone, "status-waiting")

    desk = context_page(browser, apply_server, DESK, False, violations)
    desk.goto("/prereview/jinan")
    desk.fill("input[name=username]", "clerk03")
    desk.fill("input[name=password]", DEMO_PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url("**/prereview/jinan")
    row = desk.locator("#rows tr").first
    expect(row).to_contain_text("就业创业证申领")
    expect(row).to_contain_text("王小明")
    expect(row).to_contain_text(PHONE)
    row.click()
    expect(desk.locator("#d-id")).to_have_text(f"尾号 {APPLICANT.id_number[-4:]}")
    photo_shown = desk.locator("#d-files img")
    expect(photo_shown).to_have_count(1)
    wait_until(desk, "document.querySelector('#d-files img').naturalWidth === 120")
    expect(desk.locator("#d-files")).to_contain_text("PDF")
    shoot(desk, "prereview-open")
    desk.get_by_role("button", name="通过", exact=True).click()
    expect(desk.locator("#d-status")).to_have_text("预审通过")
    receipt = desk.locator("#d-receipt").inner_text()
    assert receipt.startswith("JA") and len(receipt) == 14
    shoot(desk, "prereview-passed")

    phone.reload()
    expect(phone.locator("#status")).to_have_text("预审通过")
    expect(phone.locator("#receipt-no")).to_have_text(receipt)
    shoot(phone, "status-passed")
    # The result by post (art. 15(六)): the address is recorded, and never shown back.
    phone.get_by_role("button", name="邮寄送达").click()
    phone.fill("#address", "福州市鼓楼区五四路100号 王小明 收")
    phone.get_by_role("button", name="确认邮寄").click()
    expect(phone.locator("#delivery-chosen")).to_have_text("已选择：邮寄送达（地址已登记）")
    phone.locator("#delivery").scroll_into_view_if_needed()
    shoot(phone, "status-postal")
    assert "五四路" not in phone.content()
    phone.get_by_role("link", name="查看办件进度").click()
    expect(phone.locator("#receipt-no")).to_have_text(receipt)
    expect(phone.locator("#status")).to_have_text("已受理")
    assert APPLICANT.id_number not in phone.content() and PHONE not in phone.content()

    # A second application, failed with what is missing: the visitor's page shows the one-time notice.
    second = httpx.post(f"{apply_server.base}/api/v1/halls/jinan/applications", timeout=10,
                        data={"item": "A04", "name": "王小明", "id_number": APPLICANT.id_number, "phone": PHONE},
                        files=[("m0", ("id.pdf", PDF, "application/pdf")), ("m1", ("photo.png", png(), "image/png"))])
    assert second.status_code == 201, second.text
    desk.get_by_role("tab", name="待预审").click()
    desk.locator("#rows tr").first.click()
    expect(desk.locator("#d-no")).to_have_text(f"网上申请 #{second.json()['id']}")
    desk.get_by_label("近期一寸照片").check()
    desk.fill("#d-note", "照片过小，请上传清晰的一寸免冠照片")
    shoot(desk, "prereview-fail")
    desk.get_by_role("button", name="不通过").click()
    expect(desk.locator("#d-status")).to_have_text("预审未通过")
    phone.goto(second.json()["status_url"])
    expect(phone.locator("#status")).to_have_text("预审未通过")
    expect(phone.locator("#missing-list")).to_have_text("近期一寸照片")
    expect(phone.locator("#opinion")).to_have_text("预审意见：照片过小，请上传清晰的一寸免冠照片")
    shoot(phone, "status-failed")
    phone.get_by_role("link", name="重新申请").click()
    expect(phone.locator("#step-files")).to_be_visible()  # the same item chosen again
    expect(phone.locator("#materials .material-name").first).to_contain_text("居民身份证")
    assert violations == []
