"""The 好差评 tablet: set up once with its counter's device token, it lights up for a service
finished just before it (re)loaded; without that token the rating API tells nobody anything."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from server.cli import demo_token
from tests.api.conftest import SECRET, counter_tablet
from tests.browser.conftest import HallClient
from tests.servers import ServerProcess

TABLET_1 = demo_token(SECRET, "counter", "counter-1")


def test_a_service_finished_before_the_tablet_loaded_is_still_asked_once(
        open_page: Callable[..., Page], hall: HallClient, live_server: ServerProcess) -> None:
    ticket = hall.issue("A")
    clerk = hall.clerk("clerk01")
    for action in ("open", "call-next", "start", "finish"):
        hall.counter(1, action, clerk)
    rating = f"{live_server.base}/api/v1/halls/jinan/counters/1/rating"
    anonymous = httpx.get(rating)
    assert anonymous.status_code == 401 and str(ticket["number"]) not in anonymous.text

    tablet = open_page(f"/counter/jinan/1/rate?token={TABLET_1}", {"width": 1024, "height": 600})
    assert tablet.url.endswith("/counter/jinan/1/rate")  # the token left the address for a cookie
    expect(tablet.locator("#ticket")).to_have_text(str(ticket["number"]))
    tablet.locator(".level", has_text="非常满意").click()
    expect(tablet.locator("#thanks")).to_be_visible()
    tablet.reload()  # rated: a reload (with the cookie alone) does not ask again
    expect(tablet.locator("#idle")).to_be_visible()
    last = httpx.get(rating, headers=counter_tablet(1)).json()
    assert last["rated"] is True and last["ticket"]["number"] == ticket["number"]
    assert set(last["ticket"]) == {"id", "number", "finished_ago_s"}  # nothing about the visitor


def test_a_tablet_without_its_counters_token_says_it_is_not_set_up(open_page: Callable[..., Page]) -> None:
    bare = open_page("/counter/jinan/1/rate", {"width": 1024, "height": 600})
    expect(bare.locator("#unconfigured")).to_contain_text("本评价器尚未配置")
    expect(bare.locator(".level")).to_have_count(0)
    other = open_page(f"/counter/jinan/2/rate?token={TABLET_1}", {"width": 1024, "height": 600})
    expect(other.locator("#unconfigured")).to_contain_text("令牌无效或不属于2号窗口")
