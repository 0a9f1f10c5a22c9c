"""Browser tests: Debian's own Chromium (never Playwright's downloaded builds) driven by
Playwright, against a real `onewindow serve` process. `scripts/browser.sh` installs Chromium and
the CJK fonts; without them these tests skip, except in CI where they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from server.demo import DEMO_PASSWORD
from tests.api.conftest import KIOSK, counter_tablet
from tests.conftest import unavailable
from tests.servers import ServerProcess, seeded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = {"chromium": CHROMIUM,  # Debian packages, and a file each installs
            "fonts-noto-cjk": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")}
SCREENS = Path("/tmp/onewindow-screens")  # the ones worth a look, kept after the run
PHONE: ViewportSize = {"width": 360, "height": 740}
DESK: ViewportSize = {"width": 1366, "height": 768}
RECONNECT_S = 20  # the backoff may have reached several seconds while the server was down


# One browser for the whole package, not the session: while Playwright's sync API is started it
# leaves its event loop marked as running in this thread, and every later test that calls
# asyncio.run() (tests/store, …) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    missing = [package for package, path in REQUIRED.items() if not path.exists()]
    if missing:
        unavailable(f"not installed: {', '.join(missing)}", "`make system` (scripts/browser.sh) installs them")
    # As root Chromium refuses to start sandboxed; containers also have a tiny /dev/shm.
    args = ["--no-sandbox", "--disable-dev-shm-usage"] if os.geteuid() == 0 else ["--disable-dev-shm-usage"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield browser
        browser.close()


# An init script that keeps every Content-Security-Policy refusal of the page in window.__violations,
# so a test can assert that nothing a page does is refused by its policy.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


@contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    """The server started, and stopped again whatever happens."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with running(ServerProcess(seeded(sqlite_url), tmp_path)) as server:
        yield server


@pytest.fixture(scope="module")
def hall_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`live_server`, once for a module, where a server per test would triple the module's time:
    its tests read /static only, or each starts from the hall as it finds it."""
    folder = tmp_path_factory.mktemp("hall")
    with running(ServerProcess(seeded(f"sqlite:///{folder}/onewindow.db"), folder)) as server:
        yield server


@pytest.fixture
def clocked_database(sqlite_url: str) -> str:
    """The database `clocked_server` serves: the demo hall. A module overrides this fixture to add
    what the demo lacks (an account, a device's token) before the server starts."""
    return seeded(sqlite_url)


@pytest.fixture
def clocked_server(clocked_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """`live_server` with the server's clock started at the test module's CLOCK_AT, an ISO instant
    (ONEWINDOW_CLOCK_AT): what the tests see does not hang on the day and hour they run at."""
    clock_at: str = request.module.CLOCK_AT
    with running(ServerProcess(clocked_database, tmp_path, extra_env={"ONEWINDOW_CLOCK_AT": clock_at})) as server:
        yield server


@contextmanager
def desk_contexts(browser: Browser, server: ServerProcess) -> Iterator[Callable[..., BrowserContext]]:
    """A maker of fresh browser contexts on the server as a staff PC has them (desk-sized unless a
    viewport is given, Chinese, the hall's time zone, 10 s timeouts); all of them closed at the end."""
    contexts: list[BrowserContext] = []

    def open_(size: ViewportSize = DESK) -> BrowserContext:
        context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      base_url=server.base, accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    try:
        yield open_
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def open_page(browser: Browser, live_server: ServerProcess) -> Iterator[Callable[..., Page]]:
    """Open a staff page of the live server in a fresh desk-sized context (each one closed after)."""
    with desk_contexts(browser, live_server) as new_context:

        def open_(path: str, size: ViewportSize = DESK) -> Page:
            page = new_context(size).new_page()
            page.goto(path)
            return page

        yield open_


@pytest.fixture
def desk_context(browser: Browser, clocked_server: ServerProcess) -> Iterator[Callable[..., BrowserContext]]:
    """`desk_contexts` on `clocked_server`: each call (with a viewport, or DESK) makes a new context."""
    with desk_contexts(browser, clocked_server) as open_:
        yield open_


def read_qr(locator: Locator, folder: Path) -> str:
    """What a phone would read from the QR code on the screen: the element's screenshot, decoded
    by zbar (Debian's zbar-tools)."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        unavailable("zbarimg is not installed (zbar-tools)", "`make system` (scripts/browser.sh) installs it")
    shot = folder / "qr.png"
    locator.screenshot(path=str(shot))
    done = subprocess.run([zbarimg, "--raw", "-q", str(shot)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"no QR code could be read from the screen: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def display_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium started as on a hall's display PC, where nobody clicks to allow audio."""
    args = ["--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    display = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    yield display
    display.close()


@pytest.fixture
def phone(browser: Browser, live_server: ServerProcess) -> Iterator[Page]:
    """A narrow phone (360×740) set to Chinese in the hall's time zone."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.base)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shoot(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Screenshot to tmp_path/screens, and a copy to /tmp/onewindow-screens for a person to see."""
    folder = tmp_path / "screens"
    folder.mkdir(exist_ok=True)
    SCREENS.mkdir(exist_ok=True)

    def shot(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=path)
        shutil.copy(path, SCREENS / f"{request.node.name}-{name}.png")
        return path

    return shot


def restart_under(page: Page, server: ServerProcess, shoot: Callable[[Page, str], Path]) -> None:
    """Stops the server under an open page, which must say that it is reconnecting (screenshot
    "reconnecting"), starts it again on the same port and database, and waits until the page is
    live again with the mark gone."""
    server.stop()
    mark = page.locator("#reconnecting")
    expect(mark).to_have_text("正在重新连接…")
    expect(mark).to_be_visible()
    shoot(page, "reconnecting")
    server.start()
    expect(page.locator("html")).to_have_attribute("data-feed", "live", timeout=RECONNECT_S * 1000)
    expect(mark).to_be_hidden()


class HallClient:
    """The demo hall `jinan` over the live server's HTTP API, as a kiosk and a clerk use it.
    One request per call, no pooled connection: the tests restart the server under it."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def post(self, path: str, headers: dict[str, str], body: object = None) -> httpx.Response:
        return httpx.post(f"{self.server.base}/api/v1{path}", json=body, headers=headers, timeout=10)

    def issue(self, queue: str = "A", priority: str = "none") -> dict[str, object]:
        response = self.post("/halls/jinan/tickets", KIOSK, {"queue": queue, "priority": priority})
        assert response.status_code == 201, response.text
        ticket: dict[str, object] = response.json()
        return ticket

    def clerk(self, username: str = "clerk01") -> dict[str, str]:
        response = self.post("/auth/login", {}, {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def counter(self, number: int, action: str, headers: dict[str, str]) -> httpx.Response:
        response = self.post(f"/halls/jinan/counters/{number}/{action}", headers)
        assert response.status_code in (200, 204), f"{action}: {response.status_code} {response.text}"
        return response

    def ticket(self, token: object) -> dict[str, object]:
        response = httpx.get(f"{self.server.base}/api/v1/tickets/{token}", timeout=10)
        assert response.status_code == 200, response.text
        ticket: dict[str, object] = response.json()
        return ticket


@pytest.fixture
def hall(live_server: ServerProcess) -> HallClient:
    return HallClient(live_server)


class HallApi:
    """The demo hall `jinan` over the server's HTTP API: the kiosk, a clerk, the manager, the admin,
    each signed in once."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.tokens: dict[str, str] = {}

    def url(self, path: str) -> str:
        return f"{self.server.base}/api/v1{path}"

    def auth(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            response = httpx.post(self.url("/auth/login"), json={"username": username, "password": DEMO_PASSWORD},
                                  timeout=10)
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def call(self, method: str, path: str, who: str | None = None, body: object = None,
             expected: tuple[int, ...] = (200, 201, 204)) -> Any:
        headers = KIOSK if who is None else self.auth(who)
        response = httpx.request(method, self.url(path), json=body, headers=headers, timeout=10)
        assert response.status_code in expected, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def rate(self, number: int, body: object) -> None:
        """What counter ``number``'s rating tablet sends, with its counter token."""
        response = httpx.post(self.url(f"/halls/jinan/counters/{number}/rating"), json=body,
                              headers=counter_tablet(number), timeout=10)
        assert response.status_code == 201, response.text

    def issue(self, queue: str = "A") -> dict[str, Any]:
        ticket: dict[str, Any] = self.call("POST", "/halls/jinan/tickets", None, {"queue": queue, "priority": "none"})
        return ticket

    def counter(self, number: int, action: str, who: str, body: object = None) -> Any:
        return self.call("POST", f"/halls/jinan/counters/{number}/{action}", who, body or {})

    def serve(self, number: int, who: str) -> dict[str, Any]:
        """Calls the next ticket at the counter, starts and finishes it: the finished ticket."""
        called = self.counter(number, "call-next", who)
        self.counter(number, "start", who)
        self.counter(number, "finish", who)
        return dict(called)

    def advance(self, seconds: float) -> None:
        self.call("POST", "/system/clock", "admin", {"advance_s": seconds})


@pytest.fixture
def hall_api(clocked_server: ServerProcess) -> HallApi:
    return HallApi(clocked_server)


def wait_until(page: Page, expression: str, timeout: float = 30_000) -> None:
    """Waits until ``expression`` is true in the page. Playwright's wait_for_function evaluates its
    predicate with eval(), which the pages' Content-Security-Policy refuses (script-src 'self');
    page.evaluate goes through the DevTools protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:g} s: {expression}")
        page.wait_for_timeout(50)
