"""A number by ID card at the guide's desk (issue 20), on a tablet (820×1180) used standing: the desk's
agent (an ``agent`` token named desk1, issued by a manager as in the 设备 tab) posts the card of a
68-year-old; the page shows 张*三 with 老年人 proposed; the guide takes an A number with it; the same
card cannot hold a second A number but goes to 代办; a desk chosen on the page is remembered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from devices.idcard.emulator import demo_card
from server.demo import DEMO_PASSWORD
from tests.browser.conftest import WATCH_VIOLATIONS, wait_until
from tests.servers import ServerProcess

TABLET: ViewportSize = {"width": 820, "height": 1180}
Shoot = Callable[[Page, str], Path]
ELDER = demo_card(68, name="张小三", today=datetime.now(ZoneInfo("Asia/Shanghai")).date())
CARD = {"name": ELDER.name, "gender": ELDER.gender, "nation": ELDER.nation,
        "birth_date": ELDER.birth_date.isoformat(), "id_number": ELDER.id_number}


def bearer(server: ServerProcess, username: str) -> dict[str, str]:
    token = httpx.post(f"{server.base}/api/v1/auth/login", timeout=10,
                       json={"username": username, "password": DEMO_PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def desk_agent(server: ServerProcess, name: str = "desk1") -> dict[str, str]:
    issued = httpx.post(f"{server.base}/api/v1/halls/jinan/tokens", headers=bearer(server, "manager"),
                        json={"kind": "agent", "name": name}, timeout=10)
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def post_card(server: ServerProcess, agent: dict[str, str]) -> None:
    posted = httpx.post(f"{server.base}/api/v1/halls/jinan/kiosks/desk1/card", json={"card": CARD}, headers=agent,
                        timeout=10)
    assert posted.status_code == 202, posted.text


def signed_in_tablet(browser: Browser, server: ServerProcess) -> BrowserContext:
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=server.base)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.goto("/login?next=/guide/jinan")
    page.fill("input[name=username]", "guide")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#login button[type=submit]")
    expect(page).to_have_url(f"{server.base}/guide/jinan")
    page.close()
    return context


def test_a_guide_takes_a_number_by_id_card(browser: Browser, live_server: ServerProcess, shoot: Shoot) -> None:
    agent = desk_agent(live_server)
    context = signed_in_tablet(browser, live_server)
    page = context.new_page()
    page.goto("/guide/jinan?desk=desk1")
    wait_until(page, "document.documentElement.dataset.ready === '1'")
    wait_until(page, "document.documentElement.dataset.desk === 'live'")
    expect(page.locator("#desk-name")).to_have_text("desk1")
    expect(page.locator("#reader-state")).to_have_text("读卡器未上线")  # no agent socket: it posts over HTTP
    expect(page.locator("#card")).to_be_hidden()

    post_card(live_server, agent)
    expect(page.locator("#card-name")).to_have_text("张*三")
    expect(page.locator("#card-meta")).to_contain_text("68岁（老年人）")
    expect(page.locator("#card-hint")).to_have_text("建议优先：老年人（可在下方更改）")
    expect(page.locator("#reader-state")).to_have_text("读卡器就绪，请放身份证")
    expect(page.locator("#priorities button[data-priority=elderly]")).to_have_attribute("aria-checked", "true")
    assert ELDER.id_number not in page.content() and "张小三" not in page.content()
    shoot(page, "card-read")

    page.click("#themes button[data-queue=A]")
    expect(page.locator("#slip-number")).to_have_text("A001")
    expect(page.locator("#slip-text")).to_contain_text("优先：老年人")
    expect(page.locator("#slip-text")).to_contain_text("身份证 张*三")
    expect(page.locator("#card")).to_be_hidden()  # the next visitor starts afresh
    expect(page.locator("#priorities button[data-priority=none]")).to_have_attribute("aria-checked", "true")
    shoot(page, "ticket")
    snapshot = httpx.get(f"{live_server.base}/api/v1/halls/jinan/snapshot", timeout=10).json()
    assert next(q for q in snapshot["queues"] if q["code"] == "A")["waiting"] == 1

    # the same card again: one waiting ticket per card per queue, as at the kiosk
    post_card(live_server, agent)
    expect(page.locator("#card-name")).to_have_text("张*三")
    page.click("#themes button[data-queue=A]")
    expect(page.locator("#take-error")).to_contain_text("您已有 A001 号在等候")
    expect(page.locator("#slip-number")).to_have_text("A001")
    expect(page.locator("#card-name")).to_have_text("张*三")  # still there for another queue

    # or to 代办 with the card: a V number, the matter under the card's masked name
    page.click("#send-assisted")
    expect(page.locator("#slip-number")).to_have_text("V001")
    expect(page.locator("#matters li").first).to_contain_text("张*三 · V001")
    expect(page.locator("#card")).to_be_hidden()
    assert page.evaluate("window.__violations") == []

    # a desk chosen on the page, remembered on this tablet
    page.goto("/guide/jinan")
    wait_until(page, "document.documentElement.dataset.desk === 'live'")
    expect(page.locator("#desk-name")).to_have_text("desk1")
    page.evaluate("localStorage.clear()")
    page.goto("/guide/jinan")
    expect(page.locator("#reader-state")).to_have_text("未选择读卡器")
    expect(page.locator("#desk-form")).to_be_visible()
    page.fill("#desk-input", "导办台2")
    page.click("#desk-form button[type=submit]")
    wait_until(page, "document.documentElement.dataset.desk === 'live'")
    expect(page.locator("#desk-name")).to_have_text("导办台2")
    page.reload()
    wait_until(page, "document.documentElement.dataset.desk === 'live'")
    expect(page.locator("#desk-name")).to_have_text("导办台2")
    shoot(page, "chosen-desk")
    context.close()
