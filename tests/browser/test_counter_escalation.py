"""窗口无否决权 (seed art. 27) in Debian's Chromium: the clerk of window 4 cannot settle what a
visitor asks for, and reports it from the counter page with 无法办理？上报. Without a reason the
server's refusal, naming 原因, stays in the dialog; with one the page confirms 已上报督查科 and the
manager finds it, from window 4, among the hall's escalations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.browser.test_consultations import counter_page
from tests.browser.test_dashboard import signed_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

SHOTS = Path("/tmp/shots")
CLOCK_AT = "2026-11-25T09:30:00+08:00"  # a Wednesday: where clocked_server's clock starts


@pytest.fixture(autouse=True)
def shots() -> Iterator[None]:
    SHOTS.mkdir(exist_ok=True)
    yield


def test_a_clerk_reports_what_the_window_cannot_settle_and_the_manager_sees_it(
        desk_context: Callable[..., BrowserContext]) -> None:
    clerk = counter_page(desk_context, "clerk04", 4)
    opener = clerk.locator("#escalate-open")
    expect(opener).to_have_text("无法办理？上报")
    opener.click()
    dialog = clerk.locator("#escalate-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[name=what]")).to_have_value("")  # no ticket being served
    dialog.locator("input[name=what]").fill("办理个体工商户营业执照跨区迁移")
    dialog.locator("button[value=ok]").click()
    problem = dialog.locator(".problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("原因")
    expect(dialog).to_be_visible()
    clerk.screenshot(path=SHOTS / "escalate-refused.png")

    dialog.locator("textarea[name=why]").fill("系统不支持跨区迁移，窗口无权限办理")
    dialog.locator("input[name=contact]").fill("13800000000")
    dialog.locator("button[value=ok]").click()
    expect(dialog).to_be_hidden()
    done = clerk.locator("#escalate-done")
    expect(done).to_be_in_viewport()
    expect(done).to_contain_text("已上报督查科，编号")
    clerk.screenshot(path=SHOTS / "escalate-done.png")

    manager = signed_in(desk_context)
    listed = manager.request.get("/api/v1/halls/jinan/escalations")
    assert listed.ok, listed.text()
    [made] = listed.json()["escalations"]
    assert made["counter"] == 4
    assert made["what"] == "办理个体工商户营业执照跨区迁移"
    assert made["why"] == "系统不支持跨区迁移，窗口无权限办理"
    assert made["contact"] == "13800000000"
    assert made["status"] == "open"
    assert done.inner_text().endswith(f"编号 {made['id']}")
