"""static/js/live.js in a real browser against a scripted WebSocket server: resume with ?since=,
gap detection on hall feeds, duplicates, skipping seqs on ticket feeds, and a final 1008."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from websockets.sync.server import Server, ServerConnection, serve

from tests.browser.conftest import wait_until
from tests.servers import ServerProcess

LIVE_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "live.js"
Script = list[dict[str, object] | tuple[int, str]]


class ScriptedFeed:
    """Answers the n-th connection with the n-th script: messages to send, then a
    (code, reason) to close with, or nothing to keep the socket open."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = list(scripts)
        self.paths: list[str] = []
        self.server: Server = serve(self._handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}"

    def _handle(self, ws: ServerConnection) -> None:
        self.paths.append(ws.request.path if ws.request else "")
        script = self.scripts.pop(0) if self.scripts else []
        for step in script:
            if isinstance(step, tuple):
                ws.close(*step)
                return
            ws.send(json.dumps(step))
        for _ in ws:  # keep it open until the client leaves
            pass


@pytest.fixture
def feed_page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page()
    page.set_content("<!doctype html><title>feed</title>")
    page.add_script_tag(path=LIVE_JS)
    yield page
    page.close()


def start_feed(page: Page, url: str, gapless: bool) -> None:
    page.evaluate("""([url, gapless]) => {
        window.log = [];
        window.feed = new LiveFeed(url, {
            gapless,
            onSnapshot: (m) => log.push(["snapshot", m.seq]),
            onEvent: (m) => log.push([m.type, m.seq]),
            onState: (s, reason) => log.push(["state", s, reason ?? null]),
        });
        feed.start();
    }""", [url, gapless])


def received(page: Page) -> list[list[object]]:
    log: list[list[object]] = page.evaluate("log.filter((e) => e[0] !== 'state')")
    return log


def states(page: Page) -> list[str]:
    log: list[str] = page.evaluate("log.filter((e) => e[0] === 'state').map((e) => e[1])")
    return log


def event(seq: int) -> dict[str, object]:
    return {"type": "ticket.issued", "seq": seq, "at": "2026-11-25T09:00:00+08:00"}


@contextmanager
def serving(*scripts: Script) -> Iterator[ScriptedFeed]:
    feed = ScriptedFeed(*scripts)
    thread = threading.Thread(target=feed.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield feed
    finally:
        feed.server.shutdown()
        thread.join(5)


def test_gap_on_a_hall_feed_resumes_from_the_last_seq(feed_page: Page) -> None:
    first: Script = [{"type": "snapshot", "seq": 5, "at": "x"}, event(6), event(6), event(7), event(9)]
    with serving(first, [event(8), event(9)]) as feed:
        start_feed(feed_page, feed.url + "/ws/halls/jinan/display?token=abc", gapless=True)
        wait_until(feed_page, "log.filter((e) => e[0] === 'ticket.issued').length >= 4")
        assert received(feed_page) == [["snapshot", 5], ["ticket.issued", 6], ["ticket.issued", 7],
                                       ["ticket.issued", 8], ["ticket.issued", 9]]
        assert feed.paths == ["/ws/halls/jinan/display?token=abc", "/ws/halls/jinan/display?token=abc&since=7"]
        assert feed_page.evaluate("feed.seq") == 9
        assert states(feed_page)[:2] == ["connecting", "live"]
        assert "offline" in states(feed_page)


def test_ticket_feed_seqs_may_skip(feed_page: Page) -> None:
    script: Script = [{"type": "snapshot", "seq": 5, "at": "x"}, event(9), event(12), event(11), event(13)]
    with serving(script) as feed:
        start_feed(feed_page, feed.url + "/ws/tickets/abc", gapless=False)
        wait_until(feed_page, "feed.seq === 13")
        assert received(feed_page) == [["snapshot", 5], ["ticket.issued", 9], ["ticket.issued", 12],
                                       ["ticket.issued", 13]]
        assert feed.paths == ["/ws/tickets/abc"]


def test_a_dropped_connection_reconnects_with_since(feed_page: Page) -> None:
    with serving([{"type": "snapshot", "seq": 3, "at": "x"}, (1011, "restarting")], [event(4)]) as feed:
        start_feed(feed_page, feed.url + "/ws/tickets/abc", gapless=False)
        wait_until(feed_page, "feed.seq === 4")
        assert feed.paths == ["/ws/tickets/abc", "/ws/tickets/abc?since=3"]
        assert states(feed_page) == ["connecting", "live", "offline", "connecting", "live"]


def test_policy_violation_is_final(feed_page: Page) -> None:
    with serving([(1008, "unknown ticket")]) as feed:
        start_feed(feed_page, feed.url + "/ws/tickets/nope", gapless=False)
        wait_until(feed_page, "log.some((e) => e[1] === 'refused')")
        feed_page.wait_for_timeout(1500)  # longer than the first backoff could be
        assert feed.paths == ["/ws/tickets/nope"]
        assert feed_page.evaluate("log.at(-1)") == ["state", "refused", "unknown ticket"]


def test_the_hub_refuses_an_unknown_ticket_for_good(feed_page: Page, live_server: ServerProcess) -> None:
    start_feed(feed_page, f"{live_server.ws}/ws/tickets/no-such-ticket", gapless=False)
    wait_until(feed_page, "log.some((e) => e[1] === 'refused')")
    assert states(feed_page) == ["connecting", "refused"]
