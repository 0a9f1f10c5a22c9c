"""Issue 18's acceptance, in Debian's Chromium against a real server: from an empty installation
(`onewindow migrate`, `hall create`, `user add --role admin`, nothing else), the administrator sets a
hall up in the browser — two themes, three counters, two departments, a catalog from an .xlsx file
whose bad row the page names (fixed, then imported), a clerk, a kiosk — and the clerk calls the first
ticket that kiosk issued. Screenshots at 1366×768 go to /tmp/shots/setup-*.png."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.api.conftest import SECRET
from tests.browser.conftest import DESK
from tests.browser.test_layout_page import add_queue, pick
from tests.servers import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HALL = "minhou"
ADMIN_PASSWORD = "Minhou-Admin-2026-setup"
CLERK_FIRST, CLERK_OWN = "Lin-Temp-8841-ok", "Lin-Counter-2026-own"
SHOTS = Path("/tmp/shots")
HEADER = ["编码", "名称", "队列", "部门", "承诺时限", "材料", "联办部门"]


def onewindow(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[ServerProcess]:
    """What a district's IT office does on the command line, and nothing more."""
    url = f"sqlite:///{tmp_path / 'onewindow.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("ONEWINDOW_DEMO", "REDIS_URL")}
    env.update({"DATABASE_URL": url, "SECRET_KEY": SECRET})
    onewindow(env, "migrate")
    onewindow(env, "hall", "create", HALL, "--name", "闽侯县行政服务中心")
    onewindow(env, "user", "add", "zhang", "--role", "admin", stdin=ADMIN_PASSWORD + "\n")
    server = ServerProcess(url, tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"setup-{name}.png", full_page=True)


def catalog_file(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sign_in(page: Page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login button[type=submit]")


def test_an_administrator_sets_up_a_hall_from_an_empty_installation(browser: Browser, installation: ServerProcess,
                                                                     tmp_path: Path) -> None:
    def new_page() -> Page:
        context = browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      base_url=installation.base)
        context.set_default_timeout(15_000)
        return context.new_page()

    admin = new_page()
    admin.goto("/admin")
    sign_in(admin, "zhang", ADMIN_PASSWORD)
    admin.wait_for_url("**/admin")
    expect(admin.locator("#hall-list")).to_contain_text("闽侯县行政服务中心")
    shoot(admin, "1-halls")
    admin.get_by_role("link", name="闽侯县行政服务中心").click()
    expect(admin.locator("html")).to_have_attribute("data-loaded", "layout")
    expect(admin.locator("#layout-guide")).to_be_visible()

    # Two themes and three counters, the third serving both in its own order.
    add_queue(admin, "A", "社会民生类")
    add_queue(admin, "B", "投资建设类")
    form = admin.locator("#counter-form")
    for number, queues in ((1, ["A"]), (2, ["B"]), (3, ["B", "A"])):
        expect(form.locator("input[name=number]")).to_have_value(str(number))
        pick(form, queues)
        form.get_by_role("button", name="添加窗口").click()
        expect(admin.locator(f"#counter-table tr[data-number='{number}']")).to_contain_text(" → ".join(queues))
    shoot(admin, "2-layout")

    # Two departments.
    admin.get_by_role("tab", name="部门").click()
    expect(admin.locator("html")).to_have_attribute("data-loaded", "departments")
    department_form = admin.locator("#department-form")
    for code, name in (("RSJ", "县人社局"), ("ZJJ", "县住建局")):
        department_form.locator("input[name=code]").fill(code)
        department_form.locator("input[name=name]").fill(name)
        department_form.get_by_role("button", name="添加部门").click()
        expect(admin.locator("#department-table")).to_contain_text(name)

    # The catalog from an .xlsx file: its bad row named, nothing imported; fixed, imported.
    admin.get_by_role("tab", name="事项目录").click()
    expect(admin.locator("html")).to_have_attribute("data-loaded", "catalog")
    expect(admin.locator("#item-empty")).to_be_visible()
    good = ["A01", "就业创业证申领", "A", "县人社局", 3, "居民身份证（原件1份）；近期一寸照片（原件2份）", ""]
    bad = ["D01", "建筑工程施工许可证核发", "D", "县住建局", 7, "施工许可申请表；施工合同", "县人社局"]
    first = tmp_path / "事项目录.xlsx"
    first.write_bytes(catalog_file([good, bad]))
    admin.set_input_files("#catalog-file", str(first))
    admin.get_by_role("button", name="导入", exact=True).click()
    problems = admin.locator("#import-problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("未导入任何事项")
    expect(admin.locator("#problem-table tbody tr")).to_have_count(1)
    expect(admin.locator("#problem-table tbody tr")).to_contain_text("第 3 行")
    expect(admin.locator("#problem-table tbody tr")).to_contain_text("队列")
    expect(admin.locator("#problem-table tbody tr")).to_contain_text("本大厅没有队列 D")
    expect(admin.locator("#item-empty")).to_be_visible()  # nothing applied
    shoot(admin, "3-catalog-refused")
    bad[2] = "B"
    fixed = tmp_path / "事项目录-改.xlsx"
    fixed.write_bytes(catalog_file([good, bad]))
    admin.set_input_files("#catalog-file", str(fixed))
    admin.get_by_role("button", name="导入", exact=True).click()
    expect(admin.locator("#import-done")).to_contain_text("已导入 2 项事项")
    expect(problems).to_be_hidden()
    expect(admin.locator("#item-table tbody tr")).to_have_count(2)
    expect(admin.locator("#item-table tr[data-code=D01]")).to_contain_text("联办：县人社局")
    shoot(admin, "4-catalog")

    # A clerk for counter 1, with a temporary password they must change.
    admin.get_by_role("tab", name="人员").click()
    expect(admin.locator("html")).to_have_attribute("data-loaded", "staff")
    admin.click("#staff-add")
    box = admin.locator("#staff-dialog")
    box.locator("input[name=username]").fill("lin")
    box.locator("input[name=display_name]").fill("林小雨")
    box.locator("input[name=staff_no]").fill("MH001")
    box.locator("select[name=role]").select_option(label="窗口人员")
    box.locator("select[name=counter]").select_option(label="1号窗口")
    box.locator("input[name=password]").fill(CLERK_FIRST)
    box.get_by_role("button", name="保存").click()
    expect(box).to_be_hidden()
    expect(admin.locator("#staff-table tr[data-username=lin]")).to_contain_text("1号窗口")
    shoot(admin, "5-staff")

    # A kiosk: its token shown once, with the address the kiosk PC opens.
    admin.get_by_role("tab", name="设备").click()
    expect(admin.locator("html")).to_have_attribute("data-loaded", "devices")
    admin.get_by_role("button", name="签发新设备").click()
    issue = admin.locator("#dev-issue-dialog")
    issue.locator("select[name=kind]").select_option("kiosk")
    issue.locator("input[name=name]").fill("大厅取号机")
    issue.get_by_role("button", name="签发").click()
    issued = admin.locator("#dev-issued-dialog")
    expect(issued).to_be_visible()
    setup = issued.locator("textarea[name=setup_url]").input_value()
    shoot(admin, "6-kiosk-issued")
    issued.get_by_role("button", name="我已完成设置，关闭").click()

    # The kiosk issues the hall's first ticket.
    kiosk = new_page()
    kiosk.set_viewport_size({"width": 1080, "height": 1920})
    kiosk.goto(setup)
    expect(kiosk.locator("html")).to_have_attribute("data-feed", "live")
    expect(kiosk.locator(".theme")).to_have_count(2)
    kiosk.locator(".theme[data-queue='A']").click()
    kiosk.get_by_role("radio", name="普通").click()
    kiosk.get_by_role("button", name="确认取号").click()
    expect(kiosk.locator("#slip-number")).to_have_text("A001")
    shoot(kiosk, "7-kiosk")

    # The clerk signs in, chooses their own password, opens counter 1 and calls A001.
    clerk = new_page()
    clerk.goto(f"/counter/{HALL}/1")
    sign_in(clerk, "lin", CLERK_FIRST)
    change = clerk.locator("#change")
    expect(change).to_be_visible()
    change.locator("input[name=new_password]").fill(CLERK_OWN)
    change.locator("input[name=new_password_again]").fill(CLERK_OWN)
    change.get_by_role("button", name="修改密码并继续").click()
    clerk.wait_for_url(f"**/counter/{HALL}/1")
    expect(clerk.locator("html")).to_have_attribute("data-feed", "live")
    clerk.get_by_role("button", name="签到").click()
    expect(clerk.locator("#status")).to_have_text("空闲")
    clerk.locator(".keys button:visible", has_text="呼叫下一位").click()
    expect(clerk.locator("#number")).to_have_text("A001")
    expect(clerk.locator("#status")).to_have_text("叫号中")
    shoot(clerk, "8-counter")
    expect(kiosk.locator(".theme-wait[data-wait='A']")).to_have_text("无需等候")  # A001 left the line
