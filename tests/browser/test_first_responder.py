"""首问负责 (seed art. 25) in Debian's Chromium: window 1's clerk calls a visitor and sends them to
window 4; when window 4 calls them, its page names who took the matter first — 林晓燕 at window 1 —
so the second clerk knows whom to ask and who answers for it to the end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser.conftest import HallApi
from tests.browser.test_consultations import counter_page

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

SHOTS = Path("/tmp/shots")
CLOCK_AT = "2026-11-25T09:30:00+08:00"  # a Wednesday: where clocked_server's clock starts


def test_the_receiving_window_sees_the_first_responder(desk_context: Callable[..., BrowserContext],
                                                        hall_api: HallApi) -> None:
    hall_api.counter(1, "open", "clerk01")
    hall_api.counter(4, "open", "clerk04")
    hall_api.issue("A")
    called = hall_api.counter(1, "call-next", "clerk01")
    assert called["number"] == "A001"
    hall_api.counter(1, "transfer", "clerk01", {"counter": 4})

    clerk = counter_page(desk_context, "clerk04", 4)
    expect(clerk.locator("html")).to_have_attribute("data-feed", "live")
    expect(clerk.locator("#app")).to_have_attribute("data-status", "idle")  # open, nobody called yet
    first = clerk.locator("#first-row")
    clerk.locator("button[data-action=call-next]").click()
    expect(clerk.locator("#number")).to_have_text("A001")
    expect(first).to_be_visible()
    expect(clerk.locator("#first-responder")).to_have_text("林晓燕（1号窗口）")
    SHOTS.mkdir(exist_ok=True)
    clerk.screenshot(path=SHOTS / "first-responder.png")

    # a visitor who came straight to this window: the clerk here is the first responder, nothing to show
    hall_api.counter(4, "finish", "clerk04")
    hall_api.issue("B")
    clerk.locator("button[data-action=call-next]").click()
    expect(clerk.locator("#number")).to_have_text("B001")
    expect(first).to_be_hidden()
