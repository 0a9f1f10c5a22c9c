"""Every screen follows a change of the hall's layout live (issue 18): a manager adds a queue and a
counter over the API, and the kiosk shows the new theme (and issues a ticket in it), the wall display
the new counter and queue, the clerk's page its new transfer targets and the dashboard its new row
and card, all without a reload (a mark left on ``window`` at load is still there). Retiring the
queue takes its button away; a visitor half-way through taking a number in it goes back to the
start and is told why. Then the shared model itself (static/js/hall_model.js), driven in the page:
``hall.changed`` folded in, and a fresh snapshot after a gap carrying the layout."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from tests.api.conftest import SECRET
from tests.browser.conftest import wait_until
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

Shoot = Callable[[Page, str], Path]
KIOSK_TOKEN = demo_token(SECRET, "kiosk", "kiosk-1")
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
TV: ViewportSize = {"width": 1920, "height": 1080}
DESK: ViewportSize = {"width": 1366, "height": 768}
MARK = "window.__loadedOnce === true"  # set once at load: gone if the page ever reloads


class Api:
    """The live server's API as a manager (and a kiosk) use it."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.manager = self.login("manager")

    def login(self, username: str) -> dict[str, str]:
        response = self.call("POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD}, {})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.server.base}/api/v1{path}", json=body, timeout=10,
                             headers=self.manager if headers is None else headers)

    def ok(self, method: str, path: str, body: Any = None) -> httpx.Response:
        response = self.call(method, path, body)
        assert response.status_code in (200, 201, 204), f"{method} {path}: {response.status_code} {response.text}"
        return response


@pytest.fixture
def api(live_server: ServerProcess) -> Api:
    return Api(live_server)


@pytest.fixture
def opened(browser: Browser, live_server: ServerProcess) -> Iterator[Callable[..., Page]]:
    """Opens a page in its own context, waits until its feed is live, and marks its window."""
    contexts = []

    def open_(path: str, size: ViewportSize = DESK, login: str | None = None) -> Page:
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      base_url=live_server.base, has_touch=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if login:
            page.goto(f"/login?next={path}")
            page.locator("#login").get_by_label("用户名").fill(login)
            page.locator("#login").get_by_label("密码").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(re.compile(f"^[^?]*{re.escape(path)}$"))
        else:
            page.goto(path)
        expect(page.locator("html")).to_have_attribute("data-feed", "live")
        page.evaluate("window.__loadedOnce = true")
        return page

    yield open_
    for context in contexts:
        context.close()


def test_kiosk_and_display_follow_a_new_queue_and_counter(opened: Callable[..., Page], api: Api,
                                                         shoot: Shoot) -> None:
    kiosk = opened(f"/kiosk/jinan?token={KIOSK_TOKEN}", PORTRAIT)
    wide = opened(f"/kiosk/jinan?token={KIOSK_TOKEN}", LANDSCAPE)
    wall = opened("/display/jinan", TV)
    expect(kiosk.locator(".theme")).to_have_count(4)
    expect(wall.locator("#counters [data-counter]")).to_have_count(12)

    api.ok("PUT", "/halls/jinan/queues/E", {"name": "公安服务类"})
    api.ok("PUT", "/halls/jinan/counters/13", {"queues": ["E"], "name": "公安窗口"})

    theme = kiosk.locator(".theme[data-queue='E']")
    expect(theme).to_contain_text("公安服务类")
    expect(kiosk.locator(".theme")).to_have_count(5)
    expect(theme.locator(".theme-wait")).to_have_text("无需等候")
    tile = wall.locator("#counters [data-counter='13']")
    expect(tile).to_contain_text("公安窗口")
    expect(tile).to_contain_text("未开放")
    expect(wall.locator("#queues [data-queue='E']")).to_contain_text("公安服务类")
    shoot(kiosk, "kiosk-new-theme")
    shoot(wall, "display-new-counter")
    expect(wide.locator(".theme")).to_have_count(5)
    shoot(wide, "kiosk-new-theme-landscape")
    for page in (kiosk, wide):
        assert page.evaluate("document.documentElement.scrollHeight <= innerHeight"), "five themes overflow"
        assert page.evaluate("""[...document.querySelectorAll('#home button')].filter((b) => b.offsetParent)
            .every((b) => b.getBoundingClientRect().bottom <= innerHeight)"""), "a button is off the screen"

    theme.click()
    expect(kiosk.locator("#chosen")).to_have_text("E · 公安服务类")
    kiosk.get_by_role("button", name="确认取号").click()
    expect(kiosk.locator("#slip-number")).to_have_text("E001")
    expect(kiosk.locator("#slip-queue")).to_have_text("E · 公安服务类")
    expect(wall.locator("#queues [data-queue='E'] .queue-waiting strong")).to_have_text("1")
    token = str(kiosk.locator("#slip-qr").get_attribute("src")).split("/")[2]
    kiosk.get_by_role("button", name="完成").click()
    expect(theme.locator(".theme-wait")).to_contain_text("等候 1 人")

    # renamed: the display and the kiosk follow
    api.ok("PUT", "/halls/jinan/counters/13", {"queues": ["E", "A"], "name": "出入境窗口"})
    api.ok("PUT", "/halls/jinan/queues/E", {"name": "公安出入境类"})
    expect(tile).to_contain_text("出入境窗口")
    expect(theme).to_contain_text("公安出入境类")

    # retired: first the counter (it serves E), then the queue, once nobody waits in it
    api.ok("DELETE", "/halls/jinan/counters/13")
    expect(tile).to_have_count(0)
    assert httpx.post(f"{api.server.base}/api/v1/tickets/{token}/cancel", timeout=10).status_code == 200
    theme.click()  # a visitor is choosing a group when the queue goes
    expect(kiosk.locator("#priority")).to_be_visible()
    api.ok("DELETE", "/halls/jinan/queues/E")
    expect(kiosk.locator("#home")).to_be_visible()
    expect(kiosk.locator("#retired")).to_have_text("“公安出入境类”已停止取号，请重新选择办理事项")
    expect(theme).to_have_count(0)
    expect(kiosk.locator(".theme")).to_have_count(4)
    expect(wall.locator("#queues [data-queue='E']")).to_have_count(0)
    shoot(kiosk, "kiosk-queue-retired")
    for page in (kiosk, wide, wall):
        assert page.evaluate(MARK), "the page was reloaded"


def test_the_consultation_button_comes_and_goes_with_its_queue(opened: Callable[..., Page], api: Api) -> None:
    kiosk = opened(f"/kiosk/jinan?token={KIOSK_TOKEN}", PORTRAIT)
    consult = kiosk.locator(".service[data-queue='Z']")
    expect(consult).to_be_visible()
    for counter in api.call("GET", "/halls/jinan").json()["counters"]:
        if "Z" in counter["queues"]:
            rest = [q for q in counter["queues"] if q != "Z"] or ["A"]
            api.ok("PUT", f"/halls/jinan/counters/{counter['number']}", {"queues": rest})
    api.ok("DELETE", "/halls/jinan/queues/Z")
    expect(consult).to_be_hidden()
    api.ok("PUT", "/halls/jinan/queues/Z", {"name": "咨询"})
    expect(consult).to_be_visible()
    assert kiosk.evaluate(MARK)


def test_the_clerk_and_the_dashboard_follow_the_layout(opened: Callable[..., Page], api: Api, shoot: Shoot) -> None:
    clerk = opened("/counter/jinan/1", login="clerk01")
    board = opened("/dashboard/jinan", login="manager")
    api.ok("PUT", "/halls/jinan/queues/E", {"name": "公安服务类"})
    api.ok("PUT", "/halls/jinan/counters/13", {"queues": ["E"], "name": "公安窗口"})
    api.ok("PUT", "/halls/jinan/counters/1", {"queues": ["A", "E"]})

    # the clerk's transfer targets, and the queues the counter now serves
    expect(clerk.locator("#transfer-dialog select[name=queue] option[value='E']")).to_have_text("E 公安服务类")
    expect(clerk.locator("#transfer-dialog select[name=counter] option[value='13']")).to_have_text("公安窗口")
    expect(clerk.locator("#queues")).to_contain_text("E 公安服务类")

    # the dashboard: a row for the queue, a card for the counter, and both in its dialogs
    expect(board.locator("#queue-rows tr[data-queue='E']")).to_contain_text("E 公安服务类")
    expect(board.locator("#counter-cards [data-number='13']")).to_contain_text("公安窗口")
    expect(board.locator("#counter-summary")).to_contain_text("/ 13")
    expect(board.locator("#move-dialog select[name=from] option[value='E']")).to_have_count(1)
    expect(board.locator("#queues-dialog select[name=counter] option[value='13']")).to_have_text("公安窗口")
    expect(board.locator("#queues-dialog input[name=queue][value='E']")).to_have_count(1)
    expect(board.locator("#settings-dialog input[data-queue='E']")).to_have_count(1)
    shoot(clerk, "counter-new-queue")
    shoot(board, "dashboard-new-queue")

    api.ok("PUT", "/halls/jinan/counters/1", {"queues": ["A"]})
    api.ok("DELETE", "/halls/jinan/counters/13")
    api.ok("DELETE", "/halls/jinan/queues/E")
    expect(clerk.locator("#transfer-dialog select[name=queue] option[value='E']")).to_have_count(0)
    expect(clerk.locator("#transfer-dialog select[name=counter] option[value='13']")).to_have_count(0)
    expect(board.locator("#queue-rows tr[data-queue='E']")).to_have_count(0)
    expect(board.locator("#counter-cards [data-number='13']")).to_have_count(0)
    expect(board.locator("#settings-dialog input[data-queue='E']")).to_have_count(0)
    for page in (clerk, board):
        assert page.evaluate(MARK), "the page was reloaded"


# ------------------------------------------------------------------ the shared model, in the page
MODEL = """async ([hall, steps]) => {
    const { HallModel } = await import("/static/js/hall_model.js");
    const model = new HallModel(hall);
    const seen = () => ({
        queues: [...model.queues.values()].map((q) => [q.code, q.name, q.waiting]),
        counters: [...model.counters.values()]
            .map((c) => [c.number, c.name, c.queues, c.status, c.ticket?.number ?? null]),
        hall: [model.hall.name, model.hall.queues.map((q) => q.code), model.hall.counters.map((c) => c.number)],
        key: model.layoutKey(),
    });
    const out = [];
    for (const [kind, msg] of steps) {
        if (kind === "snapshot") model.snapshot(msg); else model.apply(msg);
        out.push(seen());
    }
    return out;
}"""
HALL = {"code": "x", "name": "某大厅", "timezone": "Asia/Shanghai",
        "queues": [{"code": "A", "name": "甲类"}, {"code": "B", "name": "乙类"}],
        "counters": [{"number": 1, "name": "1号窗口", "queues": ["A"]},
                     {"number": 2, "name": "2号窗口", "queues": ["B"]}]}
AT = "2026-11-25T09:00:00+08:00"


def snapshot(seq: int) -> dict[str, Any]:
    return {"type": "snapshot", "seq": seq, "at": AT, "notice": None, "recent_calls": [],
            "queues": [{"code": "A", "name": "甲类", "waiting": 2, "eta_s": 600, "longest_wait_s": 90},
                       {"code": "B", "name": "乙类", "waiting": 0, "eta_s": 0, "longest_wait_s": None}],
            "counters": [{"number": 1, "name": "1号窗口", "queues": ["A"], "status": "serving",
                          "ticket": {"id": "t1", "number": "A001", "queue": "A", "status": "serving"},
                          "clerk": None, "pause_reason": None},
                         {"number": 2, "name": "2号窗口", "queues": ["B"], "status": "closed", "ticket": None,
                          "clerk": None, "pause_reason": None}]}


def test_the_model_folds_hall_changed_in(opened: Callable[..., Page]) -> None:
    page = opened("/display/jinan")
    change = {"type": "hall.changed", "seq": 11, "at": AT, "hall": "x", "name": "新名称大厅",
              "settings": {"something": "new"},
              "queues": [{"code": "B", "name": "乙类业务"}, {"code": "C", "name": "丙类"}],
              "counters": [{"number": 1, "name": "综合窗口", "queues": ["B", "C"]},
                           {"number": 3, "name": "3号窗口", "queues": ["C"]}]}
    before, after = page.evaluate(MODEL, [HALL, [["snapshot", snapshot(10)], ["event", change]]])
    assert after["queues"] == [["B", "乙类业务", 0], ["C", "丙类", 0]]  # A retired, C new and empty
    assert after["counters"] == [[1, "综合窗口", ["B", "C"], "serving", "A001"],  # keeps its ticket
                                 [3, "3号窗口", ["C"], "closed", None]]  # new counters start closed
    assert after["hall"] == ["新名称大厅", ["B", "C"], [1, 3]]
    assert before["key"] != after["key"]


def test_a_snapshot_after_a_gap_brings_the_layout(opened: Callable[..., Page]) -> None:
    """A feed that resumes too late gets a snapshot, not the events: the layout comes with it."""
    page = opened("/display/jinan")
    later = snapshot(40)
    later["hall"] = {"code": "x", "name": "改名后的大厅"}
    later["queues"].append({"code": "D", "name": "丁类", "waiting": 1, "eta_s": 300, "longest_wait_s": 20})
    later["counters"][1]["name"] = "B 类专窗"
    first, second = page.evaluate(MODEL, [HALL, [["snapshot", snapshot(10)], ["snapshot", later]]])
    assert second["queues"] == [["A", "甲类", 2], ["B", "乙类", 0], ["D", "丁类", 1]]
    assert second["counters"][1][:2] == [2, "B 类专窗"]
    assert second["hall"] == ["改名后的大厅", ["A", "B", "D"], [1, 2]]
    assert first["key"] != second["key"]
    wait_until(page, MARK)
