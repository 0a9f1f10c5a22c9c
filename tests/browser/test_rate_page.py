"""The 好差评 tablet lights up for a service finished just before it (re)loaded."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import HallClient
from tests.servers import ServerProcess


def test_a_service_finished_before_the_tablet_loaded_is_still_asked_once(
        open_page: Callable[..., Page], hall: HallClient, live_server: ServerProcess) -> None:
    ticket = hall.issue("A")
    clerk = hall.clerk("clerk01")
    for action in ("open", "call-next", "start", "finish"):
        hall.counter(1, action, clerk)
    tablet = open_page("/counter/jinan/1/rate", {"width": 1024, "height": 600})
    expect(tablet.locator("#ticket")).to_have_text(str(ticket["number"]))
    tablet.locator(".level", has_text="非常满意").click()
    expect(tablet.locator("#thanks")).to_be_visible()
    tablet.reload()  # rated: a reload does not ask again
    expect(tablet.locator("#idle")).to_be_visible()
    last = httpx.get(f"{live_server.base}/api/v1/halls/jinan/counters/1/rating").json()
    assert last["rated"] is True and last["ticket"]["number"] == ticket["number"]
    assert set(last["ticket"]) == {"id", "number", "finished_ago_s"}  # nothing about the visitor
