"""The dashboard's 预测 tab (issue 22), in Chromium against a real server whose clock starts on a
Wednesday at 09:50, with last Wednesday's history in the database (a simulated day of the demo
profile, tests/simulation/history.py): C has 25 visitors waiting and counter 7 alone open for it.
The manager asks "如果 8号窗口 在 10:00 开放并办理 C" and sees C's average wait go down; the
calling policies compared over November are four rows, the hall's own marked."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESK, WATCH_VIOLATIONS, HallApi, wait_until
from tests.browser.test_dashboard import signed_in
from tests.servers import seeded
from tests.simulation.conftest import demo_profile
from tests.simulation.history import seed_history

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

Shoot = Callable[[Page, str], Path]
CLOCK_AT = "2026-11-25T09:50:00+08:00"  # a Wednesday; where clocked_server's clock starts
OPEN = (1, 4, 7, 9, 11, 12)  # a counter for every queue; C has counter 7 alone
C_BACKLOG = 25


@pytest.fixture
def clocked_database(sqlite_url: str) -> str:
    """The demo hall, and last Wednesday (2026-11-18) of history for the fit."""
    seed_history(seeded(sqlite_url), demo_profile(), date(2026, 11, 18), 1)
    return sqlite_url


def c_backlog(hall: HallApi) -> None:
    for number in OPEN:
        hall.counter(number, "open", "manager")
    for _ in range(C_BACKLOG):
        hall.issue("C")


def test_one_more_c_window_at_ten_and_the_policies_compared(
        desk_context: Callable[..., BrowserContext], hall_api: HallApi, shoot: Shoot) -> None:
    c_backlog(hall_api)
    page = signed_in(desk_context, size=DESK, path="/dashboard/jinan#whatif")  # a 1366 px desk, tabs and all
    page.add_init_script(WATCH_VIOLATIONS)
    page.reload()
    panel = page.locator("[data-whatif]").first
    expect(page.get_by_role("tab", name="预测")).to_have_attribute("aria-selected", "true")

    # on opening: the day as it is, and the next two hours' arrivals per queue from last Wednesday
    arrivals = page.locator("[data-whatif=arrivals] li")
    expect(arrivals).to_have_count(7)
    expect(page.locator("[data-whatif=basis]")).to_contain_text("依据近 4 周周三的取号记录")
    c_expected = int(arrivals.filter(has_text="经营许可类").locator(".wi-count").inner_text())
    assert 5 <= c_expected <= 40
    expect(panel).to_have_attribute("data-state", "done")
    expect(page.locator("[data-whatif=note]")).to_contain_text("现状预计")

    form = page.locator("[data-whatif=form]")
    form.locator("select[name=counter]").select_option(label="8号窗口")
    form.locator("input[name=at]").fill("10:00")
    form.locator("select[name=kind]").select_option(label="开放并办理")
    form.locator("select[name=queue]").select_option("C")
    form.get_by_role("button", name="推演").click()
    expect(page.locator("[data-whatif=status]")).to_have_text("计算中…")
    expect(panel).to_have_attribute("data-state", "done", timeout=15_000)

    headline = page.locator("[data-whatif=headline]")
    expect(headline).to_be_visible()
    expect(headline).to_contain_text("如果 8号窗口 在 10:00 开放并办理 C 经营许可类")
    expect(headline).to_contain_text("C 类平均等候")
    row = page.locator("[data-whatif=rows] tr[data-queue=C]")
    expect(row).to_have_class("changed")
    avg = row.locator("td[data-key=avg]")
    before, after = float(avg.get_attribute("data-before") or 0), float(avg.get_attribute("data-after") or 0)
    assert after < 0.7 * before, (before, after)
    expect(avg).to_have_class("num better")
    expect(avg.locator(".wi-to")).to_have_text(str(round(after / 60)))
    expect(page.locator("[data-whatif=rows] tr[data-queue=A]")).not_to_have_class("changed")
    shoot(page, "whatif")

    # 叫号策略对比: last month (October) holds nothing; November does
    policies = page.locator("[data-whatif=policies]")
    expect(policies).to_have_attribute("data-state", "refused", timeout=15_000)
    expect(page.locator("[data-whatif=policy-status]")).to_contain_text("历史数据不足")
    month = page.locator("[data-whatif=policy-form] input[name=month]")
    month.fill("2026-11")
    page.locator("[data-whatif=policy-form]").get_by_role("button", name="比较").click()
    expect(policies).to_have_attribute("data-state", "done", timeout=30_000)
    rows = page.locator("[data-whatif=policy-rows] tr")
    expect(rows).to_have_count(4)
    expect(rows.locator("td.name")).to_have_text(["保护等候当前", "严格优先", "比例 N:1", "加权等候"])
    expect(page.locator("[data-whatif=policy-rows] tr.current")).to_have_attribute("data-policy", "guarded")
    for key in ("walk_in_p90", "priority_p90"):
        expect(rows.locator(f"td[data-key={key}]")).to_have_text([re.compile(r"^\d+ 分钟$")] * 4)
    expect(page.locator("[data-whatif=policy-range]")).to_contain_text("2026-11-01 至 2026-11-24")
    page.locator("[data-whatif=policies]").scroll_into_view_if_needed()
    shoot(page, "policies")
    wait_until(page, "window.__violations.length === 0", timeout=1_000)
