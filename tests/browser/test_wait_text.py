"""The wait visitors read (docs/eta.md, "What visitors see"): one number when the estimate's range is
narrow, the range when it is wide, the same on the wall display, the kiosk and the printed slip
(the screens' static/js/wait.js, the slip's server/domain/estimate.py wait_minutes), in Debian's
Chromium against a live server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from server.cli import demo_token
from server.domain.estimate import eta_range, wait_minutes
from tests.api.conftest import SECRET
from tests.browser.conftest import HallClient
from tests.servers import ServerProcess

Shoot = Callable[[Page, str], Path]
KIOSK_TOKEN = demo_token(SECRET, "kiosk", "kiosk-1")


def snapshot(server: ServerProcess) -> dict[str, Any]:
    response = httpx.get(f"{server.base}/api/v1/halls/jinan/snapshot", timeout=10)
    assert response.status_code == 200, response.text
    return {q["code"]: q for q in response.json()["queues"]}


def test_the_display_and_the_kiosk_show_a_range_when_wide_and_a_number_when_narrow(
        open_page: Callable[..., Page], hall: HallClient, live_server: ServerProcess, shoot: Shoot) -> None:
    for _ in range(8):  # a long line in A before the counters open …
        hall.issue("A")
    hall.issue("B")  # … and one visitor in B
    queues = snapshot(live_server)
    a, b = queues["A"], queues["B"]
    assert a["eta_s"] > 600 and b["eta_s"] < 180
    wide = wait_minutes(a["eta_s"], a["eta_range_s"])
    narrow = wait_minutes(b["eta_s"], b["eta_range_s"])
    assert "–" in wide and "–" not in narrow

    display = open_page("/display/jinan", {"width": 1920, "height": 1080})
    expect(display.locator("#queues [data-queue='A'] .queue-eta")).to_have_text(f"约 {wide} 分钟")
    expect(display.locator("#queues [data-queue='B'] .queue-eta")).to_have_text(f"约 {narrow} 分钟")
    shoot(display, "display")

    kiosk = open_page(f"/kiosk/jinan?token={KIOSK_TOKEN}", {"width": 1080, "height": 1920})
    expect(kiosk.locator(".theme-wait[data-wait='A']")).to_have_text(f"等候 8 人 · 约 {wide} 分钟")
    expect(kiosk.locator(".theme-wait[data-wait='B']")).to_have_text(f"等候 1 人 · 约 {narrow} 分钟")


def test_the_screens_and_the_slip_round_alike(open_page: Callable[..., Page]) -> None:
    page = open_page("/display/jinan")
    estimates = [0, 1, 29, 30, 89, 90, 150, 299, 300, 450, 719, 720, 1500, 3600, 7200, 20000]
    cases: list[tuple[int, list[int] | None]] = [(eta, list(eta_range(eta))) for eta in estimates]
    cases += [(300, None), (750, [600, 900]), (300, [250, 380])]
    shown = page.evaluate("""async (cases) => {
        const { waitMinutes } = await import("/static/js/wait.js");
        return cases.map(([eta, range]) => waitMinutes(eta, range));
    }""", cases)
    assert shown == [wait_minutes(eta, range_) for eta, range_ in cases]
