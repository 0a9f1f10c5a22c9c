"""The departments' workbench `/backoffice/{hall}` (部门工作台) in Debian's Chromium against a real
server whose clock starts on a Wednesday at 09:30: a joint case (联审联办: 营业执照注销登记, led by
区市场监管局 and decided by 区税务局 too) received at a counter appears at once, with a count and a
chime, on both departments' open workbenches (two office PCs at 1366×768, no reload); 市场监管
approves, 税务 asks for material (补正); the applicant's /c page shows both departments' steps and
what is missing; the material arrives at the counter; 税务 approves; the lead hands the result to
the pickup window, and the applicant's L ticket is issued. A refusal comes back in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.auth import hash_password
from server.demo import DEMO_PASSWORD
from server.store import accounts
from server.store.db import open_database
from tests.browser.conftest import PHONE, wait_until
from tests.servers import ServerProcess, seeded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

Shoot = Callable[[Page, str], Path]
SHOTS = Path("/tmp/shots")
PATH = "/backoffice/jinan"
NAME, ID_NUMBER, APPLICANT_PHONE = "王小明", "11010519491231002X", "13812345678"
CLOCK_AT = "2026-11-25T09:30:00+08:00"  # a Wednesday: where clocked_server's clock starts


@pytest.fixture
def clocked_database(sqlite_url: str) -> str:
    """The demo hall with 区税务局's account, as the 人员 tab makes one."""
    url = seeded(sqlite_url)
    db = open_database(url)
    with db.writer.begin() as conn:
        accounts.upsert_user(conn, "dept-swj", hash_password(DEMO_PASSWORD), "department", "jinan", None,
                             "区税务局", "SWJ", department="SWJ")
    db.dispose()
    return url


class Api:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.tokens: dict[str, str] = {}

    def auth(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            response = httpx.post(f"{self.server.base}/api/v1/auth/login", timeout=10,
                                  json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def call(self, method: str, path: str, who: str, body: object = None, expected: int = 200) -> Any:
        response = httpx.request(method, f"{self.server.base}/api/v1{path}", json=body, headers=self.auth(who),
                                 timeout=10)
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


@pytest.fixture
def api(clocked_server: ServerProcess) -> Api:
    hall = Api(clocked_server)
    b04 = next(i for i in hall.call("GET", "/halls/jinan/items", "manager") if i["code"] == "B04")
    body = {k: b04[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    hall.call("PUT", "/halls/jinan/items/B04", "manager", {**body, "departments": ["SWJ"]})
    hall.call("POST", "/halls/jinan/counters/4/open", "clerk04")
    return hall


PROBLEMS: dict[str, list[str]] = {}


def workbench(office: Callable[..., BrowserContext], username: str) -> Page:
    """The workbench reached through the login page, live, with its chime allowed (the click).
    What its policy refused and the errors its scripts threw are kept in PROBLEMS[username]."""
    page = office().new_page()
    problems = PROBLEMS.setdefault(username, [])
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(PATH)
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{PATH}")
    expect(page.locator("html")).to_have_attribute("data-feed", "live")
    page.click("#sound")
    expect(page.locator("#sound")).to_have_text("提示音已开启")
    return page


def look(page: Page, name: str, shoot: Shoot) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"backoffice-{name}.png")
    shoot(page, name)


def open_case(page: Page, tab: str, receipt: str) -> None:
    page.click(f".tabs [data-list={tab}]")
    page.click(f"#case-list li[data-receipt='{receipt}'] button")
    expect(page.locator("#case")).to_have_attribute("data-receipt", receipt)


def part(page: Page, department: str) -> Any:
    return page.locator(f"#parts tr[data-department={department}]")


def test_a_joint_case_from_the_counter_to_the_pickup_window(desk_context: Callable[..., BrowserContext], api: Api,
                                                           browser: Browser, clocked_server: ServerProcess,
                                                           shoot: Shoot) -> None:
    PROBLEMS.clear()
    market, tax = workbench(desk_context, "dept-scjg"), workbench(desk_context, "dept-swj")
    expect(market.locator("#dept-name")).to_have_text("区市场监管局")
    expect(tax.locator("#dept-name")).to_have_text("区税务局")
    expect(tax.locator("#list-empty")).to_be_visible()

    # 受理 at counter 4: both departments hear of it at once, no reload
    case = api.call("POST", "/halls/jinan/cases", "clerk04", expected=201, body={
        "item": "B04", "applicant": {"name": NAME, "id_number": ID_NUMBER, "phone": APPLICANT_PHONE}})
    receipt = case["receipt_no"]
    for page in (market, tax):
        expect(page.locator(f"#case-list li[data-receipt='{receipt}']")).to_be_visible()
        expect(page.locator("#count-new")).to_have_text("1")
        expect(page.locator("#bench")).to_have_attribute("data-chimes", "1")
        expect(page.locator("#message")).to_contain_text("新收件")
        wait_until(page, "document.title.startsWith('（1）')")
    look(tax, "arrived", shoot)

    open_case(tax, "new", receipt)
    expect(tax.locator("#applicant")).to_contain_text(NAME)
    expect(tax.locator("#applicant")).to_contain_text(APPLICANT_PHONE)
    expect(tax.locator("#applicant")).to_contain_text(f"后四位 {ID_NUMBER[-4:]}")
    assert ID_NUMBER not in tax.content()
    expect(tax.locator("#materials li.got")).to_have_count(3)
    expect(tax.locator("#facts")).to_contain_text("剩 5 个工作日")
    look(tax, "case", shoot)

    # 区市场监管局 takes it up and approves
    open_case(market, "new", receipt)
    market.click("#actions [data-act=in_review]")
    expect(part(market, "SCJG")).to_contain_text("审查中")
    market.click("#actions [data-act=approved]")
    market.fill("#decide-dialog textarea[name=note]", "材料齐全，同意注销")
    market.click("#decide-dialog button[value=ok]")
    expect(market.locator("#decide-dialog")).to_be_hidden()
    expect(part(market, "SCJG")).to_contain_text("已同意")
    expect(market.locator("#count-decided_recently")).to_have_text("1")
    expect(part(tax, "SCJG")).to_contain_text("已同意")  # the other department sees it live
    expect(part(tax, "SCJG")).to_contain_text("材料齐全，同意注销")

    # 区税务局 asks for material: one item of the list and one line of its own
    tax.click("#actions [data-act=supplement]")
    tax.check("#missing-picks input[value=清税证明]")
    tax.fill("#supplement-dialog textarea[name=other]", "近三个月纳税申报表")
    look(tax, "supplement-dialog", shoot)
    tax.click("#supplement-dialog button[value=ok]")
    expect(tax.locator("#supplement-dialog")).to_be_hidden()
    expect(tax.locator("#case-status")).to_have_text("补正中")
    expect(tax.locator("#count-supplement")).to_have_text("1")
    expect(tax.locator("#materials li.missing")).to_have_count(2)
    expect(tax.locator("#part-note")).to_contain_text("近三个月纳税申报表")
    look(tax, "asked", shoot)

    # the applicant's page: both departments' steps and what is missing
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai", base_url=clocked_server.base)
    try:
        phone = context.new_page()
        phone.goto(f"/c/{case['status_token']}")
        steps = phone.locator("#parts-list li")
        expect(steps).to_have_count(2)
        expect(steps.nth(0)).to_contain_text("区市场监管局")
        expect(steps.nth(0)).to_contain_text("已同意")
        expect(steps.nth(1)).to_contain_text("区税务局")
        expect(steps.nth(1)).to_contain_text("待补正")
        expect(phone.locator("#missing-list")).to_contain_text("清税证明")
        expect(phone.locator("#missing-list")).to_contain_text("近三个月纳税申报表")
        look(phone, "visitor-supplement", shoot)

        # the applicant brings the material to the counter: back under review, everything received
        api.call("POST", f"/cases/{receipt}/events", "clerk04",
                 {"status": "in_review", "note": "申请人已补交清税证明和纳税申报表"})
        expect(tax.locator("#case-status")).to_have_text("审查中")
        expect(tax.locator("#materials li.missing")).to_have_count(0)
        expect(tax.locator("#count-in_review")).to_have_text("1")
        expect(tax.locator("#count-supplement")).to_have_text("0")

        # 区税务局 approves: the case is approved
        tax.click("#actions [data-act=approved]")
        tax.click("#decide-dialog button[value=ok]")
        expect(tax.locator("#case-status")).to_have_text("已批准")
        expect(market.locator("#case-status")).to_have_text("已批准")
        expect(phone.locator("#status")).to_have_text("已批准")

        # the lead hands the result to the pickup window; the applicant gets the L ticket
        expect(tax.locator("#actions [data-act=ready]")).to_be_hidden()  # not the lead
        market.click("#actions [data-act=ready]")
        market.click("#decide-dialog button[value=ok]")
        expect(market.locator("#case-status")).to_have_text("待领取")
        expect(phone.locator("#status")).to_have_text("待领取")
        look(market, "ready", shoot)
        ticket = api.call("POST", f"/cases/{receipt}/pickup-ticket", "clerk04", {"check": APPLICANT_PHONE[-4:]},
                          expected=201)
        assert ticket["queue"] == "L" and ticket["case_receipt"] == receipt
    finally:
        context.close()

    # a refusal in Chinese: a colleague decided meanwhile
    other = api.call("POST", "/halls/jinan/cases", "clerk04", expected=201,
                     body={"item": "B04", "applicant": {"name": "李四"}})["receipt_no"]
    expect(tax.locator("#bench")).to_have_attribute("data-chimes", "2")
    open_case(tax, "new", other)
    tax.click("#actions [data-act=rejected]")
    tax.fill("#decide-dialog textarea[name=note]", "存在欠税")
    api.call("POST", f"/cases/{other}/events", "dept-swj", {"status": "approved"})
    tax.click("#decide-dialog button[value=ok]")
    problem = tax.locator("#decide-dialog .problem")
    expect(problem).to_contain_text("本部门的审查意见为「已同意」")
    look(tax, "refused", shoot)
    assert PROBLEMS == {"dept-scjg": [], "dept-swj": []}


def test_a_clerk_is_shown_why_not(desk_context: Callable[..., BrowserContext], shoot: Shoot) -> None:
    page = desk_context().new_page()
    page.goto(PATH)
    page.fill("input[name=username]", "clerk04")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{PATH}")
    expect(page.locator("h1")).to_have_text("没有权限使用部门工作台")
    expect(page.locator(".forbidden")).to_contain_text("部门账号")
    look(page, "forbidden", shoot)
