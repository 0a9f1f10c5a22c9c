"""The 人员 tab of /admin/{hall} and the login page's password change, in Debian's Chromium against a
real server: an administrator adds a clerk for counter 1 (a weak temporary password is refused in
Chinese first), the clerk signs in, is made to choose a password of their own on the login page,
then reaches their counter; the administrator disables the account at once from the same tab."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from server.demo import DEMO_PASSWORD
from tests.browser.conftest import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.servers import ServerProcess

Shoot = Callable[[Page, str], Path]
TEMPORARY = "Jinan-window-13x"
CHOSEN = "my own quiet harbour 7"


def sign_in(page: Page, username: str, password: str) -> None:
    page.fill("#login input[name=username]", username)
    page.fill("#login input[name=password]", password)
    page.click("#login button[type=submit]")


def staff_tab(open_page: Callable[..., Page]) -> Page:
    page = open_page("/admin/jinan")
    assert "/login" in page.url
    sign_in(page, "admin", DEMO_PASSWORD)
    page.wait_for_url("**/admin/jinan")
    page.get_by_role("tab", name="人员").click()
    wait_until(page, "document.documentElement.dataset.loaded === 'staff'")
    return page


def test_an_admin_adds_a_clerk_who_chooses_a_password_and_reaches_the_counter(
        open_page: Callable[..., Page], shoot: Shoot) -> None:
    admin = staff_tab(open_page)
    table = admin.locator("#staff-table")
    expect(table.locator("tr[data-username=clerk01]")).to_contain_text("林晓燕")
    expect(table.locator("tr[data-username=clerk01]")).to_contain_text("窗口人员")
    department = table.locator("tr[data-username=dept-scjg]")
    expect(department).to_contain_text("部门")
    department.get_by_role("button", name="修改").click()  # a department account: its department, no counter
    box = admin.locator("#staff-dialog")
    expect(box.locator("select[name=department]")).to_be_visible()
    expect(box.locator("select[name=counter]")).to_be_hidden()
    shoot(admin, "department-account")
    box.get_by_role("button", name="取消").click()
    expect(box).to_be_hidden()

    admin.click("#staff-add")
    expect(box).to_be_visible()
    box.locator("input[name=username]").fill("clerk13")
    box.locator("input[name=display_name]").fill("林小雨")
    box.locator("input[name=staff_no]").fill("JA013")
    box.locator("select[name=role]").select_option(label="窗口人员")
    box.locator("select[name=counter]").select_option(label="1号窗口")
    expect(box.locator("select[name=department]")).to_be_hidden()
    box.locator("input[name=password]").fill("12345678")
    box.get_by_role("button", name="保存").click()
    expect(box.locator(".problem")).to_contain_text("密码太短")
    shoot(admin, "weak-temporary-password")
    box.locator("input[name=password]").fill(TEMPORARY)
    box.get_by_role("button", name="保存").click()
    expect(box).to_be_hidden()
    row = table.locator("tr[data-username=clerk13]")
    expect(row).to_contain_text("林小雨")
    expect(row).to_contain_text("JA013")
    expect(row).to_contain_text("1号窗口")
    expect(row).to_contain_text("待本人改密码")
    row.scroll_into_view_if_needed()
    shoot(admin, "clerk-added")

    clerk = open_page("/counter/jinan/1")
    assert "/login" in clerk.url
    sign_in(clerk, "clerk13", TEMPORARY)
    change = clerk.locator("#change")
    expect(change).to_be_visible()
    expect(clerk.locator("#change-why")).to_contain_text("临时密码")
    expect(clerk.locator("#login")).to_be_hidden()
    shoot(clerk, "must-change")
    change.locator("input[name=new_password]").fill(CHOSEN)
    change.locator("input[name=new_password_again]").fill(CHOSEN + "!")
    change.get_by_role("button", name="修改密码并继续").click()
    expect(clerk.locator("#change-error")).to_have_text("两次输入的新密码不一致，请重新输入")
    change.locator("input[name=new_password]").fill("clerk13clerk13")
    change.locator("input[name=new_password_again]").fill("clerk13clerk13")
    change.get_by_role("button", name="修改密码并继续").click()
    expect(clerk.locator("#change-error")).to_contain_text("重复")
    assert "(" not in clerk.locator("#change-error").inner_text()  # the Chinese, without the English gloss
    shoot(clerk, "weak-new-password")
    change.locator("input[name=new_password]").fill(CHOSEN)
    change.locator("input[name=new_password_again]").fill(CHOSEN)
    change.get_by_role("button", name="修改密码并继续").click()
    clerk.wait_for_url("**/counter/jinan/1")
    expect(clerk.locator("html")).to_have_attribute("data-feed", "live")
    shoot(clerk, "at-the-counter")

    admin.get_by_role("tab", name="部门").click()
    admin.get_by_role("tab", name="人员").click()
    wait_until(admin, "document.documentElement.dataset.loaded === 'staff'")
    expect(row).not_to_contain_text("待本人改密码")
    row.get_by_role("button", name="停用").click()
    confirm = admin.locator("#confirm-dialog")
    expect(confirm).to_contain_text("停用 林小雨（clerk13）的账号？")
    confirm.get_by_role("button", name="确认").click()
    expect(row).to_contain_text("已停用")
    expect(row.get_by_role("button", name="启用")).to_be_visible()
    row.scroll_into_view_if_needed()
    shoot(admin, "clerk-disabled")
    clerk.reload()
    assert "/login" in clerk.url


def test_a_reset_from_the_tab_makes_the_clerk_change_it_at_the_next_sign_in(
        open_page: Callable[..., Page], shoot: Shoot) -> None:
    admin = staff_tab(open_page)
    clerk = open_page("/counter/jinan/2")
    sign_in(clerk, "clerk02", DEMO_PASSWORD)
    clerk.wait_for_url("**/counter/jinan/2")

    row = admin.locator("#staff-table tr[data-username=clerk02]")
    row.get_by_role("button", name="重置密码").click()
    box = admin.locator("#staff-reset-dialog")
    expect(box).to_contain_text("至少 10 个字符")
    box.locator("input[name=password]").fill(TEMPORARY)
    box.locator("input[name=again]").fill(TEMPORARY)
    box.get_by_role("button", name="重置密码").click()
    expect(box).to_be_hidden()
    expect(row).to_contain_text("待本人改密码")

    clerk.reload()  # the session of before ended with the reset
    assert "/login" in clerk.url
    sign_in(clerk, "clerk02", TEMPORARY)
    expect(clerk.locator("#change")).to_be_visible()
    clerk.goto("/counter/jinan/2")  # going round the form leads back to it
    expect(clerk.locator("#change")).to_be_visible()
    expect(clerk.locator("#change-why")).to_be_visible()
    clerk.locator("#change input[name=old_password]").fill(TEMPORARY)
    clerk.locator("#change input[name=new_password]").fill(CHOSEN)
    clerk.locator("#change input[name=new_password_again]").fill(CHOSEN)
    clerk.locator("#change").get_by_role("button", name="修改密码并继续").click()
    clerk.wait_for_url("**/counter/jinan/2")
    shoot(clerk, "after-reset")


def test_anyone_changes_their_password_from_the_login_page(browser: Browser, live_server: ServerProcess,
                                                          shoot: Shoot) -> None:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.base)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login?next=/counter/jinan/4")
    page.get_by_role("button", name="修改密码").click()
    change = page.locator("#change")
    expect(change).to_be_visible()
    expect(page.locator("#change-why")).to_be_hidden()
    change.locator("input[name=username]").fill("clerk04")
    change.locator("input[name=old_password]").fill("not-the-password")
    change.locator("input[name=new_password]").fill(CHOSEN)
    change.locator("input[name=new_password_again]").fill(CHOSEN)
    change.get_by_role("button", name="修改密码并继续").click()
    expect(page.locator("#change-error")).to_have_text("用户名或密码错误")
    shoot(page, "own-change-wrong-old")
    change.locator("input[name=old_password]").fill(DEMO_PASSWORD)
    change.get_by_role("button", name="修改密码并继续").click()
    page.wait_for_url("**/counter/jinan/4")
    context.close()
