"""After signing in, /login?next=… goes on only to a page of this site, in real Chromium: a next that
a browser reads as another site (//host, /\\host, a tab or newline that the URL parser drops, a
scheme) leads to the index page instead, whether the server wrote it into the page or a script
changed it there (login.js checks it again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from server.demo import DEMO_PASSWORD
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Route

ELSEWHERE = ["//example.invalid/phish", "/\\example.invalid", "/\\/example.invalid", "/\t/example.invalid",
             "https://example.invalid/", "javascript:alert(1)", " //example.invalid"]


@pytest.fixture
def site(browser: Browser, live_server: ServerProcess) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context kept on this machine, and the URLs of other sites it tried to open."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.base)
    context.set_default_timeout(10_000)
    # Nothing leaves the machine: a request to another host is recorded and answered here.
    left: list[str] = []

    def other_site(route: Route) -> None:
        left.append(route.request.url)
        route.fulfill(status=200, body="elsewhere")

    context.route(lambda url: not url.startswith(live_server.base), other_site)
    yield context, left
    context.close()


def sign_in(page: Page, next_: str, tamper: bool = False) -> str:
    """Signs in as the manager from /login?next=…; the URL the browser then settles on."""
    page.goto(f"/login?next={quote(next_, safe='')}")
    if tamper:  # the page's own data-next replaced, as an injected script or extension could
        page.evaluate("(next) => { document.getElementById('login').dataset.next = next }", next_)
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state()
    return page.url


@pytest.mark.parametrize("tamper", [False, True], ids=["from-the-server", "changed-in-the-page"])
def test_sign_in_never_leaves_the_site(site: tuple[BrowserContext, list[str]], live_server: ServerProcess,
                                       tamper: bool) -> None:
    context, left = site
    for next_ in ELSEWHERE:
        page = context.new_page()
        assert sign_in(page, next_, tamper) == f"{live_server.base}/", next_
        page.close()
    assert left == []


def test_a_page_of_the_site_is_where_sign_in_goes_on(site: tuple[BrowserContext, list[str]],
                                                      live_server: ServerProcess) -> None:
    page = site[0].new_page()
    landed = sign_in(page, "/dashboard/jinan?tab=cases").split("#")[0]  # the page may add its #state
    assert landed == f"{live_server.base}/dashboard/jinan?tab=cases"
