"""Setting an empty hall up from the browser (issue 18), the 队列与窗口 and 部门 tabs of `/admin/{hall}`
in Debian's Chromium against a real server: the administrator sees the 开始设置 guide, adds two
queues, three counters (one serving both queues, in the order the admin puts them), renames a queue
and moves it up, edits a counter, retires one, two departments (one moved up, one retired and
brought back), and is refused, in the server's own Chinese words on the page, when retiring a queue
in which a visitor waits, an open counter or a department an account names; everything shows in
`GET /api/v1/halls/{hall}` (and …/departments) as the page showed it. Screenshots at 1366×768 go to
/tmp/shots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from server.services.layout import create_hall
from server.store import accounts
from server.store.db import open_database
from tests.api.conftest import SECRET
from tests.browser.conftest import DESK, WATCH_VIOLATIONS
from tests.servers import ServerProcess, seeded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

HALL = "xinhall"
SHOTS = Path("/tmp/shots")
KIOSK = {"Authorization": f"Bearer {demo_token(SECRET, 'kiosk', 'xin-kiosk')}"}


@pytest.fixture
def empty_hall(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server whose database holds the demo's accounts (the admin among them) and an empty hall
    `xinhall`, made as `onewindow hall create` makes it, with a kiosk of its own."""
    db = open_database(seeded(sqlite_url))
    with db.writer.begin() as conn:
        assert create_hall(conn, HALL, "新区政务服务中心")
        accounts.add_token(conn, KIOSK["Authorization"].removeprefix("Bearer "), device_kind="kiosk", hall=HALL,
                           name="xin-kiosk")
    db.dispose()
    server = ServerProcess(sqlite_url, tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def admin(browser: Browser, empty_hall: ServerProcess) -> Iterator[Page]:
    """The administrator, signed in through the login page, on the hall's set-up page."""
    context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=empty_hall.base)
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.goto(f"/admin/{HALL}")
    assert "/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/admin/{HALL}**")
    expect(page.locator("html")).to_have_attribute("data-loaded", "layout")
    yield page
    assert page.evaluate("window.__violations") == []  # nothing the page does is refused by its CSP
    context.close()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"layout-{name}.png", full_page=True)


def hall_now(server: ServerProcess) -> dict[str, Any]:
    response = httpx.get(f"{server.base}/api/v1/halls/{HALL}", timeout=10)
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()
    return info


def cells(row: Locator) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def add_queue(page: Page, code: str, name: str) -> None:
    form = page.locator("#queue-form")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=name]").fill(name)
    form.get_by_role("button", name="添加队列").click()
    expect(page.locator(f"#queue-table tr[data-code={code.upper()}]")).to_contain_text(name)


def pick(scope: Locator, codes: list[str]) -> None:
    """Ticks these queues in a counter's queue list, top to bottom as listed, then puts them in this
    calling order with 上移."""
    listed = [code for code in (li.get_attribute("data-code") for li in scope.locator("li").all()) if code in codes]
    for code in listed:
        scope.locator(f"li[data-code={code}] input[type=checkbox]").check()
    for place, code in enumerate(codes):
        item = scope.locator(f"li[data-code={code}]")
        while int(item.get_attribute("data-place") or 0) > place:
            item.get_by_role("button", name="上移").click()


def test_an_admin_sets_an_empty_hall_up(admin: Page, empty_hall: ServerProcess) -> None:
    page = admin
    guide = page.locator("#layout-guide")
    expect(guide).to_be_visible()
    expect(guide).to_contain_text("先建队列")
    expect(guide).to_contain_text("再建窗口")
    shoot(page, "empty")

    # The queues (themes), in the order they are added; the code is upper-cased as typed.
    add_queue(page, "A", "综合受理")
    add_queue(page, "b", "不动产登记")
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)
    assert [r.get_attribute("data-code") for r in page.locator("#queue-table tbody tr").all()] == ["A", "B"]
    bad = page.locator("#queue-form")
    bad.locator("input[name=code]").fill("A1")
    bad.locator("input[name=name]").fill("错误")
    bad.get_by_role("button", name="添加队列").click()
    expect(bad.locator(".problem")).to_have_text("队列编码须为 1 至 4 个大写字母，例如 A")
    assert not bad.locator("input[name=code]").evaluate("input => input.validity.valid")  # the pattern holds it
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)
    bad.locator("input[name=code]").fill("")
    bad.locator("input[name=name]").fill("")

    # The counters: the next free number and its default name are suggested.
    form = page.locator("#counter-form")
    expect(form.locator("input[name=number]")).to_have_value("1")
    expect(form.locator("input[name=name]")).to_have_attribute("placeholder", "1号窗口")
    pick(form, ["A"])
    form.get_by_role("button", name="添加窗口").click()
    expect(page.locator("#counter-table tr[data-number='1']")).to_be_visible()
    expect(guide).to_be_hidden()  # queues and counters there: the guide has done its work
    expect(form.locator("input[name=number]")).to_have_value("2")
    pick(form, ["B"])
    form.get_by_role("button", name="添加窗口").click()
    expect(page.locator("#counter-table tr[data-number='2']")).to_be_visible()
    expect(form.locator("input[name=number]")).to_have_value("3")
    form.locator("input[name=name]").fill("综合窗口")
    pick(form, ["B", "A"])  # B first: the counter's own queue
    form.get_by_role("button", name="添加窗口").click()
    third = page.locator("#counter-table tr[data-number='3']")
    expect(third).to_contain_text("综合窗口")
    expect(third).to_contain_text("B → A")
    expect(page.locator("#queue-table tr[data-code=A]")).to_contain_text("1号窗口")
    expect(page.locator("#queue-table tr[data-code=A]")).to_contain_text("综合窗口")

    # A number already taken is not silently overwritten; a counter open at the time cannot be retired.
    form.locator("input[name=number]").fill("1")
    pick(form, ["A"])
    form.get_by_role("button", name="添加窗口").click()
    expect(form.locator(".problem")).to_have_text("已有1号窗口，如需修改请点该行的“编辑”")
    form.locator("input[name=number]").fill("4")
    form.get_by_role("button", name="添加窗口").click()
    fourth = page.locator("#counter-table tr[data-number='4']")
    expect(fourth).to_contain_text("A")
    token = httpx.post(f"{empty_hall.base}/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD},
                       timeout=10).json()["token"]
    as_admin = {"Authorization": f"Bearer {token}"}
    opened = httpx.post(f"{empty_hall.base}/api/v1/halls/{HALL}/counters/4/open", headers=as_admin, timeout=10)
    assert opened.status_code == 200, opened.text
    confirm = page.locator("#confirm-dialog")
    fourth.get_by_role("button", name="停用").click()
    confirm.get_by_role("button", name="确认").click()
    expect(confirm.locator(".problem")).to_have_text("4号窗口正在使用，请先关闭窗口")
    confirm.get_by_role("button", name="取消").click()
    closed = httpx.post(f"{empty_hall.base}/api/v1/halls/{HALL}/counters/4/close", headers=as_admin, timeout=10)
    assert closed.status_code == 200, closed.text
    fourth.get_by_role("button", name="停用").click()
    confirm.get_by_role("button", name="确认").click()
    expect(confirm).to_be_hidden()
    expect(fourth).to_have_count(0)
    expect(form.locator("input[name=number]")).to_have_value("4")

    # Editing a counter: its name, and a second queue after its own.
    page.locator("#counter-table tr[data-number='2']").get_by_role("button", name="编辑").click()
    dialog = page.locator("#counter-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=name]").fill("不动产窗口")
    pick(dialog, ["B", "A"])
    shoot(page, "counter-dialog")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    second = page.locator("#counter-table tr[data-number='2']")
    expect(second).to_contain_text("不动产窗口")
    expect(second).to_contain_text("B → A")

    # Renaming a queue.
    page.locator("#queue-table tr[data-code=B]").get_by_role("button", name="改名").click()
    rename = page.locator("#rename-dialog")
    rename.locator("input[name=name]").fill("不动产登记类")
    rename.get_by_role("button", name="保存").click()
    expect(page.locator("#queue-table tr[data-code=B]")).to_contain_text("不动产登记类")

    # Moving it up (PUT …/queues/{code} {name, position}): first in the order, its 上移 off.
    page.locator("#queue-table tr[data-code=B]").get_by_role("button", name="上移").click()
    expect(page.locator("#queue-table tbody tr").first).to_have_attribute("data-code", "B")
    first = page.locator("#queue-table tbody tr").first
    expect(first.get_by_role("button", name="上移")).to_be_disabled()

    # Retiring a queue in which a visitor waits: the server's refusal, in its own words, on the page.
    issued = httpx.post(f"{empty_hall.base}/api/v1/halls/{HALL}/tickets", json={"queue": "A"}, headers=KIOSK,
                        timeout=10)
    assert issued.status_code == 201, issued.text
    page.locator("#queue-table tr[data-code=A]").get_by_role("button", name="停用").click()
    expect(confirm).to_be_visible()
    expect(confirm.locator(".question")).to_contain_text("A")
    confirm.get_by_role("button", name="确认").click()
    problem = confirm.locator(".problem")
    expect(problem).to_be_visible()
    expect(problem).to_have_text("A 类队列还有 1 人等候，办完后才能删除")  # the server's message, gloss stripped
    shoot(page, "refused")
    confirm.get_by_role("button", name="取消").click()
    expect(page.locator("#queue-table tr[data-code=A]")).to_be_visible()
    shoot(page, "filled")

    info = hall_now(empty_hall)
    assert info["queues"] == [{"code": "B", "name": "不动产登记类"}, {"code": "A", "name": "综合受理"}]
    assert info["counters"] == [{"number": 1, "name": "1号窗口", "queues": ["A"]},
                                {"number": 2, "name": "不动产窗口", "queues": ["B", "A"]},
                                {"number": 3, "name": "综合窗口", "queues": ["B", "A"]}]

    # Departments: added in order, one moved up; retiring one that an account names is refused in
    # the server's words, retiring a free one marks it 已停用, and 恢复启用 brings it back.
    page.get_by_role("tab", name="部门").click()
    expect(page.locator("html")).to_have_attribute("data-loaded", "departments")
    expect(page.locator("#department-empty")).to_be_visible()
    departments = page.locator("#department-form")
    for code, name in (("SCJG", "区市场监管局"), ("ZRZY", "区自然资源局")):
        departments.locator("input[name=code]").fill(code)
        departments.locator("input[name=name]").fill(name)
        departments.get_by_role("button", name="添加部门").click()
        expect(page.locator(f"#department-table tr[data-code={code}]")).to_contain_text(name)
    row = page.locator("#department-table tr[data-code=ZRZY]")
    assert cells(row)[2:4] == ["0", "启用"]
    row.get_by_role("button", name="上移").click()
    expect(page.locator("#department-table tbody tr").first).to_have_attribute("data-code", "ZRZY")
    account = httpx.post(f"{empty_hall.base}/api/v1/users", headers=as_admin, timeout=10, json={
        "username": "xin-scjg", "password": "Xinhall-scjg-2026", "role": "department", "hall": HALL,
        "department": "SCJG"})
    assert account.status_code == 201, account.text
    page.locator("#department-table tr[data-code=SCJG]").get_by_role("button", name="停用").click()
    confirm.get_by_role("button", name="确认").click()
    expect(problem).to_contain_text("区市场监管局仍被账号 xin-scjg使用")
    shoot(page, "department-refused")
    confirm.get_by_role("button", name="取消").click()
    page.locator("#department-table tr[data-code=ZRZY]").get_by_role("button", name="停用").click()
    confirm.get_by_role("button", name="确认").click()
    expect(confirm).to_be_hidden()
    expect(row.locator("td.state")).to_have_text("已停用")
    shoot(page, "departments")
    row.get_by_role("button", name="恢复启用").click()
    expect(row.locator("td.state")).to_have_text("启用")
    listed = httpx.get(f"{empty_hall.base}/api/v1/halls/{HALL}/departments", timeout=10, headers=as_admin)
    assert listed.status_code == 200, listed.text
    assert [(d["code"], d["name"], d["active"]) for d in listed.json()["departments"]] == [
        ("ZRZY", "区自然资源局", True), ("SCJG", "区市场监管局", True)]
