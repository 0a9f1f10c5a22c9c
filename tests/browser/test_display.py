"""The hall's wall screen `/display/{hall}` and the screen above a window
`/display/{hall}/counter/{n}`, in Debian's Chromium against a real server shared by the module:
calls shown within a second, the clerk on duty, pause and close, a server restart under an open
screen, calls spoken in seq order, a screen for some queues only, and screenshots at television
and LED-panel sizes. Each test starts from a hall with every counter closed and nobody waiting."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.api.conftest import KIOSK
from tests.browser.conftest import HallClient, restart_under, wait_until
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

Shoot = Callable[[Page, str], Path]
TV: ViewportSize = {"width": 1920, "height": 1080}
SMALL_TV: ViewportSize = {"width": 1280, "height": 720}
LED: ViewportSize = {"width": 1280, "height": 400}
PANEL: ViewportSize = {"width": 800, "height": 480}
FAST = "repeat=1&rate=8"  # spoken once, eight times as fast: the announcer's own test speed
SOON_MS = 1000  # a call reaches the screens within a second


class Hall(HallClient):
    """The demo hall for tests that share one server: each clerk signed in once, and every ticket
    remembered, so that `reset` can hand the next test an empty hall."""

    def __init__(self, server: ServerProcess) -> None:
        super().__init__(server)
        self.tokens: list[object] = []
        self.clerks: dict[int, dict[str, str]] = {}

    def issue(self, queue: str = "A", priority: str = "none") -> dict[str, object]:
        response = self.post("/halls/jinan/tickets", KIOSK, {"queue": queue, "priority": priority})
        assert response.status_code == 201, response.text
        ticket: dict[str, object] = response.json()
        self.tokens.append(ticket["status_token"])
        return ticket

    def at(self, number: int, action: str, body: object = None) -> httpx.Response:
        """A counter action by the counter's own clerk (clerk01 at counter 1, …)."""
        if number not in self.clerks:
            self.clerks[number] = self.clerk(f"clerk{number:02d}")
        response = self.post(f"/halls/jinan/counters/{number}/{action}", self.clerks[number], body)
        assert response.status_code in (200, 204), f"{action}: {response.status_code} {response.text}"
        return response

    def snapshot(self) -> dict[str, Any]:
        response = httpx.get(f"{self.server.base}/api/v1/halls/jinan/snapshot", timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def reset(self) -> None:
        for counter in self.snapshot()["counters"]:
            number = counter["number"]
            if counter["status"] == "closed":
                continue
            if counter["ticket"]:
                self.at(number, "finish")
            if counter["status"] == "paused":
                self.at(number, "resume")
            self.at(number, "close")
        for token in self.tokens:
            if self.ticket(token)["status"] == "waiting":
                assert httpx.post(f"{self.server.base}/api/v1/tickets/{token}/cancel", timeout=10).status_code == 200
        self.tokens.clear()


@pytest.fixture(scope="module")
def shared_hall(hall_server: ServerProcess) -> Hall:
    return Hall(hall_server)


@pytest.fixture
def jinan(shared_hall: Hall) -> Hall:
    shared_hall.reset()  # before, not after: a test that failed half-way leaves its mess behind
    return shared_hall


def open_screen(browser: Browser, server: ServerProcess, path: str, size: ViewportSize = TV) -> Page:
    """A screen in the hall's time zone, once its feed is live."""
    context = browser.new_context(viewport=size, base_url=server.base, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("data-feed", "live")
    return page


@pytest.fixture
def screens(display_browser: Browser, hall_server: ServerProcess) -> Iterator[Callable[..., Page]]:
    """Opens screens in a display PC's Chromium (audio allowed without a click); closes them after."""
    opened: list[Page] = []

    def open_(path: str, size: ViewportSize = TV) -> Page:
        opened.append(open_screen(display_browser, hall_server, path, size))
        return opened[-1]

    yield open_
    for page in opened:
        page.context.close()


def tile(page: Page, number: int) -> Locator:
    return page.locator(f"#counters [data-counter='{number}']")


def waiting(page: Page, queue: str) -> Locator:
    return page.locator(f"#queues [data-queue='{queue}'] .queue-waiting strong")


def announced(page: Page, count: int) -> list[dict[str, Any]]:
    """The announcer's finished calls, once there are `count` of them."""
    wait_until(page, f"__display.announcer.history.length >= {count}")
    history: list[dict[str, Any]] = page.evaluate("__display.announcer.history")
    return history


def seen(page: Page) -> dict[str, Any]:
    """What the screen's model holds, in the terms of `expected`."""
    model: dict[str, Any] = page.evaluate("""() => {
        const m = __display.state.model;
        return {
            seq: m.seq,
            waiting: Object.fromEntries([...m.queues.values()].map((q) => [q.code, q.waiting])),
            counters: [...m.counters.values()].map((c) => [c.number, c.status, c.ticket?.number ?? null,
                                                           c.clerk?.staff_no ?? null, c.pause_reason ?? null]),
            recent: m.recent.map((r) => [r.ticket.number, r.counter]),
        };
    }""")
    return model


def assert_shows(page: Page, snapshot: dict[str, Any]) -> None:
    """The screen's model is the snapshot (it may remember more recent calls than the server keeps)."""
    model, want = seen(page), expected(snapshot)
    model["recent"] = model["recent"][:len(want["recent"])]
    assert model == want


def expected(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": snapshot["seq"],
        "waiting": {q["code"]: q["waiting"] for q in snapshot["queues"]},
        "counters": [[c["number"], c["status"], c["ticket"]["number"] if c["ticket"] else None,
                      c["clerk"]["staff_no"] if c["clerk"] else None, c["pause_reason"]] for c in snapshot["counters"]],
        "recent": [[r["ticket"]["number"], r["counter"]] for r in snapshot["recent_calls"]],
    }


def assert_fits(page: Page) -> None:
    """No scrollbars, and nothing cut off: every box inside its panel, no text wider than its box
    but where an ellipsis says so (a long pause reason), and the notice, which scrolls by design."""
    spilled: list[str] = page.evaluate("""() => {
        const out = [], root = document.documentElement;
        if (root.scrollWidth > innerWidth || root.scrollHeight > innerHeight) out.push("page");
        for (const panel of document.querySelectorAll(".screen > *")) {
            const p = panel.getBoundingClientRect();
            if (p.right > innerWidth + 1 || p.bottom > innerHeight + 1) out.push(panel.className);
            for (const el of panel.querySelectorAll("*:not(.notice, .notice *)")) {
                const e = el.getBoundingClientRect();
                const outside = e.left < p.left - 1 || e.right > p.right + 1
                    || e.top < p.top - 1 || e.bottom > p.bottom + 1;
                const cut = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).textOverflow !== "ellipsis";
                if (e.width > 0 && (outside || cut)) {
                    const text = el.textContent.trim().slice(0, 20);
                    out.push(`${el.className || el.tagName} in ${panel.className}: ${text}`);
                }
            }
        }
        return out;
    }""")
    assert spilled == [], spilled


def test_a_call_reaches_both_screens_within_a_second(screens: Callable[..., Page], jinan: Hall) -> None:
    hall = screens(f"/display/jinan?{FAST}")
    window = screens("/display/jinan/counter/1", LED)
    expect(window.locator("#main")).to_have_text("未开放")
    expect(window.locator("#clerk")).to_be_hidden()
    expect(window.locator("#name")).to_have_text("1号窗口")
    expect(tile(hall, 1)).to_contain_text("未开放")

    jinan.at(1, "open")
    expect(window.locator("#clerk-name")).to_have_text("林晓燕", timeout=SOON_MS)
    expect(window.locator("#clerk-no")).to_have_text("工号 JA001")
    expect(window.locator("#main")).to_have_text("等候叫号")
    expect(tile(hall, 1)).to_contain_text("空闲", timeout=SOON_MS)

    ticket = jinan.issue("A")
    expect(waiting(hall, "A")).to_have_text("1", timeout=SOON_MS)
    jinan.at(1, "call-next")
    number = str(ticket["number"])
    expect(hall.locator("#call-number")).to_have_text(number, timeout=SOON_MS)
    expect(hall.locator("#call-where")).to_have_text("请到 1号窗口 办理", timeout=SOON_MS)
    expect(tile(hall, 1).locator(".tile-main")).to_have_text(number, timeout=SOON_MS)
    expect(waiting(hall, "A")).to_have_text("0", timeout=SOON_MS)
    expect(window.locator("#main")).to_have_text(number, timeout=SOON_MS)
    expect(window.locator("#caption")).to_have_text("正在呼叫")
    spoken = announced(hall, 1)
    assert [(e["number"], e["counter"], e["recall"], e["error"]) for e in spoken] == [(number, 1, False, None)]

    jinan.at(1, "recall")  # spoken again
    assert [e["recall"] for e in announced(hall, 2)] == [False, True]
    jinan.at(1, "start")
    expect(window.locator("#caption")).to_have_text("正在办理", timeout=SOON_MS)
    jinan.at(1, "finish")
    expect(window.locator("#main")).to_have_text("等候叫号", timeout=SOON_MS)

    jinan.at(1, "pause", {"reason": "业务培训"})
    expect(window.locator("#main")).to_have_text("暂停服务", timeout=SOON_MS)
    expect(window.locator("#reason")).to_have_text("业务培训")
    expect(tile(hall, 1).locator(".tile-main")).to_have_text("暂停服务", timeout=SOON_MS)
    jinan.at(1, "resume")
    expect(window.locator("#main")).to_have_text("等候叫号", timeout=SOON_MS)
    expect(window.locator("#reason")).to_be_hidden()
    jinan.at(1, "close")
    expect(window.locator("#main")).to_have_text("未开放", timeout=SOON_MS)
    expect(window.locator("#clerk")).to_be_hidden()
    expect(tile(hall, 1)).to_contain_text("未开放", timeout=SOON_MS)
    assert_shows(hall, jinan.snapshot())


def test_the_hall_screen_survives_a_server_restart(screens: Callable[..., Page], jinan: Hall,
                                                  hall_server: ServerProcess, shoot: Shoot) -> None:
    jinan.at(1, "open")
    jinan.at(4, "open")
    jinan.issue("A")
    jinan.issue("A")
    later = jinan.issue("B")
    jinan.at(1, "call-next")
    hall = screens(f"/display/jinan?{FAST}")
    expect(waiting(hall, "A")).to_have_text("1")

    restart_under(hall, hall_server, shoot)
    assert_shows(hall, jinan.snapshot())

    jinan.at(4, "call-next")
    expect(hall.locator("#call-number")).to_have_text(str(later["number"]), timeout=SOON_MS)
    expect(tile(hall, 4).locator(".tile-main")).to_have_text(str(later["number"]), timeout=SOON_MS)
    assert [e["number"] for e in announced(hall, 1)] == [later["number"]]
    assert_shows(hall, jinan.snapshot())


def test_calls_milliseconds_apart_are_both_spoken_in_seq_order(screens: Callable[..., Page], jinan: Hall) -> None:
    jinan.at(1, "open")
    jinan.at(4, "open")
    tickets = {jinan.issue("A")["number"], jinan.issue("B")["number"]}
    hall = screens("/display/jinan?repeat=1&rate=4")  # slow enough to see the second call wait
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda n: jinan.at(n, "call-next"), [1, 4]))
    assert {r.json()["number"] for r in responses} == tickets
    in_seq_order = [r["ticket"]["number"] for r in reversed(jinan.snapshot()["recent_calls"][:2])]
    expect(hall.locator("#speech")).to_have_text(f"播报 {in_seq_order[0]} · 待播报 1")
    spoken = announced(hall, 2)
    assert [e["number"] for e in spoken] == in_seq_order
    assert [e["error"] for e in spoken] == [None, None]
    assert spoken[1]["startedAt"] >= spoken[0]["endedAt"]
    expect(hall.locator("#speech")).to_be_hidden()  # nothing left to say


def test_a_screen_for_some_queues_shows_and_speaks_only_theirs(screens: Callable[..., Page], jinan: Hall) -> None:
    hall = screens(f"/display/jinan?queues=B&{FAST}")
    expect(hall.locator("#queues .queue")).to_have_count(1)
    expect(hall.locator("#queues .queue")).to_have_attribute("data-queue", "B")
    expect(hall.locator("#counters .counter")).to_have_count(3)
    assert hall.locator("#counters .counter").evaluate_all("(l) => l.map((e) => e.dataset.counter)") == ["4", "5", "6"]

    jinan.at(1, "open")
    jinan.at(4, "open")
    a, b = jinan.issue("A"), jinan.issue("B")
    expect(waiting(hall, "B")).to_have_text("1", timeout=SOON_MS)
    jinan.at(1, "call-next")
    jinan.at(4, "call-next")
    expect(hall.locator("#call-number")).to_have_text(str(b["number"]), timeout=SOON_MS)
    assert [e["number"] for e in announced(hall, 1)] == [b["number"]]
    hall.wait_for_timeout(300)  # an A call would have been queued by now
    assert hall.evaluate("__display.announcer.history.length + __display.announcer.queue.length") == 1
    expect(hall.locator("#recent")).not_to_contain_text(str(a["number"]))


def test_a_call_replayed_long_after_is_shown_but_not_spoken(screens: Callable[..., Page], jinan: Hall) -> None:
    """After a reconnect the feed replays what was missed; a call made minutes ago is history."""
    hall = screens(f"/display/jinan?{FAST}")
    hall.evaluate("""() => {
        const feed = __display.feed, now = Date.now();
        const call = (seq, number, ago) => feed._receive({
            type: "ticket.called", seq, at: new Date(now - ago).toISOString(),
            ticket: {id: `jinan-x-${number}`, number, queue: "A", priority: "none", status: "called", counter: 2,
                     recalls: 0},
            counter: {number: 2, name: "2号窗口"}});
        call(feed.seq + 1, "A901", 120000);
        call(feed.seq + 1, "A902", 1000);
    }""")
    expect(hall.locator("#call-number")).to_have_text("A902")
    expect(hall.locator("#recent")).to_contain_text("A901")
    assert [e["number"] for e in announced(hall, 1)] == ["A902"]


def test_a_day_old_screen_asks_for_a_fresh_snapshot(screens: Callable[..., Page]) -> None:
    """A screen left on for weeks resumes with ?since= and may never get a snapshot otherwise."""
    hall = screens(f"/display/jinan?{FAST}")
    hall.evaluate("""() => {
        const feed = __display.feed, apply = feed.onSnapshot;
        window.snapshots = 0;
        feed.onSnapshot = (msg) => { snapshots += 1; apply(msg); };
        __display.state.model.snapshotAt = Date.now() - 25 * 3600 * 1000;
    }""")
    wait_until(hall, "snapshots === 1")  # it sent {"type": "resync"}, and the hub answered
    hall.wait_for_timeout(1500)
    assert hall.evaluate("snapshots") == 1  # once: not again at every tick
    expect(hall.locator("html")).to_have_attribute("data-feed", "live")


def test_at_midnight_the_screen_turns_the_day(screens: Callable[..., Page], jinan: Hall) -> None:
    """The date changes, the day's calls leave the screen, and a fresh snapshot is asked for. The
    screen keeps the server's time, learnt from each snapshot's `at`: a snapshot two seconds before
    tonight's midnight, with a call from this evening, stands in for the server's."""
    hall = screens(f"/display/jinan?{FAST}")
    hall.evaluate("""() => {
        const feed = __display.feed, apply = feed.onSnapshot;
        window.snapshots = 0;
        feed.onSnapshot = (msg) => { snapshots += 1; apply(msg); };
        window.seen = [];
        const look = () => seen.push([document.getElementById("date").textContent,
                                      document.getElementById("call-number").textContent]);
        new MutationObserver(look).observe(document.getElementById("screen"), {childList: true, subtree: true});
        const today = new Intl.DateTimeFormat("en-CA", {timeZone: "Asia/Shanghai"}).format(new Date());
        const nearly = Date.parse(`${today}T00:00:00+08:00`) + 24 * 3600 * 1000 - 2000;
        const ticket = {id: "jinan-x-A990", number: "A990", queue: "A", priority: "none", status: "called",
                        counter: 2, recalls: 0};
        const call = {ticket, counter: 2, at: new Date(nearly - 600000).toISOString()};
        feed._receive({type: "snapshot", seq: feed.seq, at: new Date(nearly).toISOString(), queues: [],
                       counters: [], recent_calls: [call]});
    }""")
    wait_until(hall, "snapshots >= 2", timeout=6000)  # the server's own, asked for with {"type": "resync"}
    seen: list[list[str]] = hall.evaluate("seen.filter((s, i) => i === 0 || s.join() !== seen[i - 1].join())")
    evening = [s for s in seen if s[1] == "A990"]
    assert evening, seen
    # midnight: the next day's date, and the evening's call gone before the server's snapshot came
    after = seen[seen.index(evening[-1]) + 1]
    assert after[0] != evening[-1][0] and after[1] == "—", seen
    hall.wait_for_timeout(1500)  # the real snapshot turned the date back: asked once more
    snapshot = jinan.snapshot()
    assert_shows(hall, snapshot)
    today = snapshot["recent_calls"][0]["ticket"]["number"] if snapshot["recent_calls"] else "—"
    expect(hall.locator("#call-number")).to_have_text(today)


def test_the_managers_notice_replaces_the_default_line(screens: Callable[..., Page], jinan: Hall) -> None:
    """The manager sets the notice through the API (`hall.notice` event, `notice` in snapshots);
    without one the screen shows the hall's usual line."""
    usual = "请按叫号顺序到对应窗口办理业务，特殊群体（老年人、残疾人、孕妇等）优先办理"
    manager = jinan.clerk("manager")
    hall = screens(f"/display/jinan?{FAST}")
    expect(hall.locator("#notice")).to_have_text(usual)
    notice = "今天下午 14:00–15:00 系统升级，暂停办理不动产登记业务"
    response = httpx.put(f"{jinan.server.base}/api/v1/halls/jinan/notice", json={"notice": notice}, headers=manager)
    assert response.status_code == 200, response.text
    expect(hall.locator("#notice")).to_have_text(notice)
    expect(hall.locator("#notice-copy")).to_have_text(notice)
    later = screens(f"/display/jinan?{FAST}")  # a screen switched on now gets it in its snapshot
    expect(later.locator("#notice")).to_have_text(notice)
    httpx.put(f"{jinan.server.base}/api/v1/halls/jinan/notice", json={"notice": ""}, headers=manager)
    expect(hall.locator("#notice")).to_have_text(usual)


def test_audio_waits_for_a_click_where_the_browser_asks_for_one(browser: Browser,
                                                                hall_server: ServerProcess) -> None:
    page = open_screen(browser, hall_server, f"/display/jinan?{FAST}")
    try:
        button = page.get_by_role("button", name="点击开启语音播报")
        expect(button).to_be_visible()
        button.click()
        expect(button).to_be_hidden()
        assert page.evaluate("__display.state.audio") is True
    finally:
        page.context.close()


def test_unknown_hall_or_counter_is_a_chinese_404(hall_server: ServerProcess) -> None:
    for path, title in [("/display/nowhere", "没有找到这个大厅"), ("/display/jinan/counter/99", "没有找到这个窗口"),
                        ("/display/nowhere/counter/1", "没有找到这个窗口")]:
        response = httpx.get(hall_server.base + path, timeout=10)
        assert response.status_code == 404, path
        assert title in response.text


def busy_morning(jinan: Hall) -> str:
    """A hall mid-morning: most windows open, one paused, people waiting, nine calls made. Returns
    the number of an elderly visitor who waits to be called out of turn."""
    for number in (1, 2, 3, 4, 5, 7, 9, 11, 12):
        jinan.at(number, "open")
    for queue in "AAAAAABBBBBCCCDDLZV":
        jinan.issue(queue)
    for number in (1, 1, 2, 4, 4, 5, 7, 9, 11):
        if jinan.snapshot()["counters"][number - 1]["ticket"]:
            jinan.at(number, "finish")
        jinan.at(number, "call-next")
    jinan.at(1, "start")
    jinan.at(3, "pause", {"reason": "业务培训"})
    return str(jinan.issue("A", "elderly")["number"])


def settle(page: Page) -> None:
    """Lets the blinking of a new call end (the notice scrolls for ever)."""
    wait_until(page, """document.getAnimations().every(
        (a) => a.playState !== "running" || a.effect.getTiming().iterations === Infinity)""", timeout=15_000)


def test_screenshots_of_a_busy_hall(screens: Callable[..., Page], jinan: Hall, shoot: Shoot) -> None:
    elderly = busy_morning(jinan)
    big = screens(f"/display/jinan?{FAST}", TV)
    small = screens(f"/display/jinan?{FAST}", SMALL_TV)
    jinan.at(12, "call", {"number": elderly})  # a priority call, live on the open screens
    for page in (big, small):
        expect(page.locator("#call-number")).to_have_text(elderly, timeout=SOON_MS)
        expect(page.locator("#call-badge")).to_have_text("老年人优先")
        expect(page.locator("#call-where")).to_have_text("请到 12号窗口 办理")
        expect(tile(page, 3).locator(".tile-main")).to_have_text("暂停服务")
        expect(tile(page, 3)).to_contain_text("业务培训")
        expect(tile(page, 6)).to_contain_text("未开放")
        expect(page.locator("#recent .recent-item")).to_have_count(8)
        expect(waiting(page, "B")).to_have_text("2")
        expect(page.locator("#notice")).to_contain_text("请按叫号顺序到对应窗口办理业务")
        expect(page.locator("#weekday")).to_have_text(re.compile(r"^星期[一二三四五六日]$"))
        expect(page.locator("#time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
        assert_shows(page, jinan.snapshot())
        assert_fits(page)
    for page, name in [(big, "hall-1920x1080"), (small, "hall-1280x720")]:
        settle(page)
        shoot(page, name)

    for number, size, name in [(12, LED, "counter-calling-1280x400"), (1, PANEL, "counter-serving-800x480"),
                               (3, LED, "counter-paused-1280x400"), (6, PANEL, "counter-closed-800x480")]:
        window = screens(f"/display/jinan/counter/{number}", size)
        expect(window.locator("#main")).not_to_have_text("—")
        assert_fits(window)
        shoot(window, name)
