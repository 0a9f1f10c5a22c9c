"""The guide's desk on a tablet used standing (/guide/{hall}): a guide signs in, takes a priority
ticket for a visitor by phone in theme A, finds an item by its pinyin initials and takes a ticket for
its queue, sends another visitor to 代办 with a recorded matter, records a consultation (when that
register exists), and is seen in landscape (1280×800) and portrait (800×1280)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, expect

from server.demo import DEMO_PASSWORD
from tests.browser.conftest import wait_until
from tests.servers import ServerProcess

LANDSCAPE: ViewportSize = {"width": 1280, "height": 800}
PORTRAIT: ViewportSize = {"width": 800, "height": 1280}
Shoot = Callable[[Page, str], Path]


def tablet(browser: Browser, server: ServerProcess, size: ViewportSize, username: str = "guide") -> Page:
    context = browser.new_context(viewport=size, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=server.base)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/guide/jinan")
    expect(page).to_have_url(f"{server.base}/login?next=/guide/jinan")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#login button[type=submit]")
    expect(page).to_have_url(f"{server.base}/guide/jinan")
    return page


def manager_sees(server: ServerProcess, path: str) -> httpx.Response:
    token = httpx.post(f"{server.base}/api/v1/auth/login", timeout=10,
                       json={"username": "manager", "password": DEMO_PASSWORD}).json()["token"]
    return httpx.get(f"{server.base}/api/v1/halls/jinan{path}", headers={"Authorization": f"Bearer {token}"},
                     timeout=10)


def test_a_guide_takes_numbers_sends_to_assisted_service_and_records_a_consultation(
        browser: Browser, live_server: ServerProcess, shoot: Shoot) -> None:
    page = tablet(browser, live_server, LANDSCAPE)
    wait_until(page, "document.documentElement.dataset.ready === '1'")
    # every target is big enough for a finger
    for selector in ("#themes button", "#priorities button", ".tabs button", "#phone"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["height"] >= 48, selector

    # an elderly visitor, by phone, theme A
    page.fill("#phone", "1381234")
    page.click("#themes button[data-queue=A]")
    expect(page.locator("#phone-error")).to_have_text("手机号应为以1开头的11位数字")
    page.fill("#phone", "13812345678")
    page.click("#priorities button[data-priority=elderly]")
    page.click("#themes button[data-queue=A]")
    expect(page.locator("#slip-number")).to_have_text("A001")
    expect(page.locator("#slip-text")).to_contain_text("优先：老年人")
    expect(page.locator("#slip-text")).to_contain_text("手机尾号 5678")
    snapshot = httpx.get(f"{live_server.base}/api/v1/halls/jinan/snapshot", timeout=10).json()
    assert next(q for q in snapshot["queues"] if q["code"] == "A")["waiting"] == 1
    shoot(page, "landscape-ticket")

    # an item by its pinyin initials: 个体工商户设立登记 (gtgshsldj), queue B
    page.fill("#pinyin", "gtgsh")
    item = page.locator("#items button[data-item=B01]")
    expect(item).to_contain_text("个体工商户设立登记")
    item.click()
    expect(page.locator("#slip-number")).to_have_text("B001")
    expect(page.locator("#priorities button[data-priority=none]")).to_have_attribute("aria-checked", "true")

    # another visitor to 代办: a V ticket and a matter recorded
    page.fill("#phone", "13900001111")
    page.click("#priorities button[data-priority=disabled]")
    page.fill("#a-name", "王秀英")
    page.fill("#a-note", "轮椅出行，需陪同办理")
    page.click("#send-assisted")
    expect(page.locator("#slip-number")).to_have_text("V001")
    matter = page.locator("#matters li").first
    expect(matter).to_contain_text("王*英 · V001")
    expect(matter).to_contain_text("接待")
    expect(matter).to_contain_text("代为取号")
    expect(page.locator("#open-count")).to_have_text("1")
    matter.get_by_role("button", name="陪同办理").click()
    expect(page.locator("#matters li").first).to_contain_text("陪同办理")
    shoot(page, "landscape-assisted")
    listed = manager_sees(live_server, "/assisted?status=open").json()["assisted"]
    assert [(m["visitor"]["masked_name"], m["ticket"]["number"]) for m in listed] == [("王*英", "V001")]
    assert [s["step"] for s in listed[0]["steps"]] == ["接待", "代为取号", "陪同办理"]
    assert "王秀英" not in page.content()

    # closing it with its result
    page.locator("#matters li").first.get_by_role("button", name="办结").click()
    page.get_by_label("办理结果").fill("已陪同办结")
    page.get_by_role("button", name="确认办结").click()
    expect(page.locator("#matters-empty")).to_be_visible()
    closed = manager_sees(live_server, "/assisted?status=closed").json()["assisted"]
    assert closed[0]["closed"]["result"] == "已陪同办结"

    # a consultation, if the register is there; else the server's own words
    page.click("#tab-consult")
    page.fill("#c-topic", "营业执照需要哪些材料")
    page.fill("#c-answer", "身份证、经营场所证明")
    page.click("#consult-form button[type=submit]")
    expect(page.locator("#consult-ok, #consult-error").filter(has_text="咨询")).to_be_visible()
    if manager_sees(live_server, "/consultations").status_code == 200:
        expect(page.locator("#consult-ok")).to_have_text("已登记咨询：营业执照需要哪些材料")
    shoot(page, "landscape-consult")

    # looking up a case: none yet
    page.click("#tab-cases")
    page.fill("#q", "不存在的人")
    page.click("#case-form button[type=submit]")
    expect(page.locator("#cases")).to_have_text("没有找到办件")

    upright = tablet(browser, live_server, PORTRAIT)
    wait_until(upright, "document.documentElement.dataset.ready === '1'")
    take = upright.locator("section.take").bounding_box()
    side = upright.locator("section.side").bounding_box()
    assert take is not None and side is not None and side["y"] >= take["y"] + take["height"]  # stacked
    assert upright.evaluate("document.documentElement.scrollWidth") <= 800  # nothing off the side
    shoot(upright, "portrait")


def test_a_clerk_is_refused_and_nobody_is_sent_to_sign_in(browser: Browser, live_server: ServerProcess) -> None:
    page = tablet(browser, live_server, LANDSCAPE, "clerk01")
    expect(page.locator("h1")).to_have_text("没有权限使用导办台")
    assert httpx.get(f"{live_server.base}/guide/jinan", timeout=10, follow_redirects=False).status_code == 303
