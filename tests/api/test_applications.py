"""Online pre-review (网上预审, seed art. 15(三)(四)(六)): a visitor applies from a phone with the
item's materials as PDF or images, the item's department or the hall's staff pre-review it within
two working days, a pass on a 4- or 5-star item becomes a case with a receipt (channel online), a
fail shows the one-time notice on the visitor's status page. The ID number is kept nowhere."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, select
from starlette.testclient import TestClient
from stdnum.cn import ric

from devices.idcard.emulator import demo_card
from server.app import create_app
from server.context import AppContext
from server.domain.applications import SUBMISSIONS_PER_WINDOW
from server.domain.clock import FakeClock
from server.domain.identity import id_hash
from server.services import applications, retention
from server.settings import Settings
from server.store.tables_cases import cases
from tests.api.conftest import KIOSK, SECRET, login, seed

TODAY = date(2026, 11, 25)  # the FakeClock's hall-local day, a Wednesday
APPLICANT = demo_card(40, name="王小明", today=TODAY, sequence=321)
PHONE = "13812345678"
DAY = 86400.0
URL = "/api/v1/halls/jinan/applications"
MiB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def png(width: int = 4, height: int = 4) -> bytes:
    """A real (tiny, grey) PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PNG = png()


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def app(database_url: str, clock: FakeClock, uploads: Path) -> Iterator[TestClient]:
    """The app on SQLite and on PostgreSQL, its uploads in the test's own folder."""
    seed(database_url)
    settings = replace(Settings(database_url, None, SECRET, True, "NORMAL", "warning"), upload_dir=str(uploads))
    with TestClient(create_app(settings, clock), base_url="http://testserver") as client:
        yield client


def context_of(client: TestClient) -> AppContext:
    context: AppContext = client.app_state["ctx"]
    return context


def online(client: TestClient, code: str, star: int | None = 5, is_online: bool = True) -> dict[str, Any]:
    """The manager marks a demo item as done online with its star level (the demo catalog has none)."""
    manager = login(client, "manager")
    item = next(i for i in client.get("/api/v1/halls/jinan/items").json() if i["code"] == code)
    body = {k: item[k] for k in ("name", "queue", "department", "time_limit_days", "materials")}
    response = client.put(f"/api/v1/halls/jinan/items/{code}", headers=manager,
                          json={**body, "online": is_online, "star": star})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # the manager's session: the visitor is nobody
    return dict(response.json())


A04_FILES = [("m0", ("身份证正反面.pdf", PDF, "application/pdf")), ("m1", ("照片.png", PNG, "image/png"))]


def submit(client: TestClient, item: str = "A04", files: list[Any] | None = None,
           **fields: str) -> httpx.Response:
    data = {"item": item, "name": "王小明", "id_number": APPLICANT.id_number, "phone": PHONE, **fields}
    response: httpx.Response = client.post(URL, data=data, files=A04_FILES if files is None else files)
    return response


def submitted(client: TestClient, item: str = "A04", files: list[Any] | None = None) -> dict[str, Any]:
    response = submit(client, item, files)
    assert response.status_code == 201, response.text
    return dict(response.json())


def review(client: TestClient, headers: dict[str, str], app_id: int, **body: Any) -> httpx.Response:
    response: httpx.Response = client.post(f"{URL}/{app_id}/review", json=body, headers=headers)
    return response


def stored_files(uploads: Path) -> list[Path]:
    return sorted(p for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else []


def everything_stored(client: TestClient) -> str:
    """Every row of every table, as text."""
    context = context_of(client)

    def dump(conn: Any) -> str:
        meta = MetaData()
        meta.reflect(conn)
        return "\n".join(str(row) for table in meta.sorted_tables for row in conn.execute(select(table)))

    out: str = client.portal.call(context.engine.read, dump)  # type: ignore[union-attr]
    return out


# ---------------------------------------------------------------- submitting
def test_a_visitor_submits_an_application_with_its_materials(app: TestClient, uploads: Path) -> None:
    online(app, "A04")
    response = submit(app)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["status"] == "submitted" and made["status_label"] == "待预审"
    assert made["item"]["code"] == "A04" and made["item"]["star"] == 5
    assert made["applicant"] == {"masked_name": "王*明"}
    assert made["due_on"] == "2026-11-27"  # Wednesday + 2 working days
    assert made["status_url"] == f"/apply/jinan/s/{made['status_token']}"
    assert [(f["material"], f["content_type"], f["size"]) for f in made["files"]] == [
        ("居民身份证", "application/pdf", len(PDF)), ("近期一寸照片", "image/png", len(PNG))]
    assert APPLICANT.id_number not in response.text and PHONE not in response.text

    # Stored safely: outside static/, under random names, nothing of the visitor's file names.
    files = stored_files(uploads)
    assert sorted(p.read_bytes() for p in files) == sorted([PDF, PNG])
    for path in files:
        assert "static" not in path.parts and "身份证" not in path.name and "照片" not in path.name
        assert path.suffix == "" and len(path.name) >= 20
        assert path.stat().st_mode & 0o077 == 0  # readable by the server's user only

    page = app.get(made["status_url"])
    assert page.status_code == 200 and "就业创业证申领" in page.text and "待预审" in page.text
    assert "王*明" in page.text and APPLICANT.id_number not in page.text and PHONE not in page.text
    status = app.get(f"/api/v1/applications/{made['status_token']}")
    assert status.status_code == 200 and status.json()["status"] == "submitted"

    # The ID number is nowhere: only its keyed hash and its last four.
    stored = everything_stored(app)
    assert APPLICANT.id_number not in stored
    assert id_hash(SECRET, APPLICANT.id_number) in stored


def test_the_apply_page_offers_the_online_items_and_says_the_limits(app: TestClient) -> None:
    online(app, "A04", star=5)
    online(app, "B10", star=2)
    page = app.get("/apply/jinan")
    assert page.status_code == 200
    assert "就业创业证申领" in page.text and "企业名称自主申报" in page.text
    assert "城乡居民基本养老保险参保登记" not in page.text  # not done online
    assert "10 MB" in page.text and "30 MB" in page.text and "PDF" in page.text
    assert "Content-Security-Policy" in page.headers
    assert app.get("/apply/nowhere").status_code == 404


def test_refused_files_sizes_and_fields_name_the_field_and_store_nothing(app: TestClient, uploads: Path) -> None:
    online(app, "A04")
    online(app, "B02")

    def refused(response: httpx.Response, field: str) -> str:
        context_of(app).application_limiter.reset("testclient")  # many tries from one address, on purpose
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field, response.text
        return str(response.json()["error"]["message"])

    photo = ("m1", ("照片.png", PNG, "image/png"))
    fake_pdf = [("m0", ("身份证.pdf", b"just some text, not a PDF", "application/pdf")), photo]
    assert "PDF" in refused(submit(app, files=fake_pdf), "m0")
    png_named_pdf = [("m0", ("身份证.pdf", PNG, "application/pdf")), photo]
    refused(submit(app, files=png_named_pdf), "m0")
    gif = [("m0", ("身份证.gif", b"GIF89a\x01\x00\x01\x00", "image/gif")), photo]
    refused(submit(app, files=gif), "m0")
    empty = [("m0", ("身份证.pdf", b"", "application/pdf")), photo]
    refused(submit(app, files=empty), "m0")
    big = [("m0", ("身份证.pdf", PDF + b"\0" * (10 * MiB), "application/pdf")), photo]
    assert "10 MB" in refused(submit(app, files=big), "m0")
    assert "近期一寸照片" in refused(submit(app, files=[A04_FILES[0]]), "m1")
    refused(submit(app, files=[*A04_FILES, ("m7", ("x.pdf", PDF, "application/pdf"))]), "m7")  # no 8th material
    huge = submit(app, files=[*A04_FILES, ("m" + "9" * 5000, ("x.pdf", PDF, "application/pdf"))])
    assert huge.status_code == 422  # a client's mistake, never a 5xx
    ten = PDF + b"\0" * (10 * MiB - len(PDF))  # each within 10 MiB, 31 MiB together
    total = [("m0", ("a.pdf", ten, "application/pdf")), ("m1", ("b.pdf", ten, "application/pdf")),
             ("m2", ("c.pdf", ten, "application/pdf")), ("m3", ("d.pdf", PDF + b"\0" * MiB, "application/pdf"))]
    assert "30 MB" in refused(submit(app, "B02", files=total), "files")
    bad_id = demo_card(40, today=TODAY, valid_id=False).id_number
    assert "校验位" in refused(submit(app, id_number=bad_id), "id_number")
    no_such_day = "35011120991301123"
    assert "出生日期" in refused(submit(app, id_number=no_such_day + ric.calc_check_digit(no_such_day + "0")),
                             "id_number")
    refused(submit(app, phone="12345"), "phone")
    refused(submit(app, name=""), "name")
    refused(submit(app, item="A01"), "item")  # not done online
    refused(submit(app, item="X99"), "item")
    refused(app.post(URL, data={"item": "A04"}), "name")
    assert stored_files(uploads) == []
    assert app.get("/api/v1/halls/nowhere/items").status_code == 404


def test_submissions_are_limited_per_address(app: TestClient) -> None:
    online(app, "A04")
    for _ in range(SUBMISSIONS_PER_WINDOW):
        assert submit(app).status_code == 201
    response = submit(app)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "rate_limited"


# ---------------------------------------------------------------- pre-review
def test_a_passed_pre_review_of_a_5_star_item_becomes_an_online_case(app: TestClient) -> None:
    online(app, "A04", star=5)
    made = submitted(app)
    clerk = login(app, "clerk05")  # not signed in at any counter: a pre-review needs none
    listed = app.get(f"{URL}?status=submitted", headers=clerk).json()["applications"]
    assert [(a["id"], a["applicant"]["name"], a["applicant"]["phone"], a["due_on"]) for a in listed] == [
        (made["id"], "王小明", PHONE, "2026-11-27")]
    one = app.get(f"{URL}/{made['id']}", headers=clerk).json()
    assert one["applicant"]["id_last4"] == APPLICANT.id_number[-4:] and len(one["files"]) == 2
    assert APPLICANT.id_number not in str(one)

    response = review(app, clerk, made["id"], result="pass", note="材料齐全")
    assert response.status_code == 200, response.text
    passed = response.json()
    assert passed["status"] == "passed" and passed["reviewer"] == "clerk05"
    receipt = passed["receipt_no"]
    assert receipt == "JA202611250001"
    assert review(app, clerk, made["id"], result="fail", missing=["户口簿"]).status_code == 409

    row = client_case(app, receipt)
    assert row["channel"] == "online" and row["status"] == "accepted" and row["item_code"] == "A04"
    assert row["id_last4"] == APPLICANT.id_number[-4:] and row["phone"] == PHONE
    assert row["id_hash"] == id_hash(SECRET, APPLICANT.id_number)
    assert str(row["due_at"]) == "2026-11-30"  # A04: 3 working days from acceptance

    status = app.get(f"/api/v1/applications/{made['status_token']}").json()
    assert status["status"] == "passed" and status["case"]["receipt_no"] == receipt
    page = app.get(made["status_url"]).text
    assert receipt in page and f"/c/{row['status_token']}" in page
    # The case page of the visitor, and the lookup with the last four of the ID, know it.
    assert app.get(f"/c/{row['status_token']}").status_code == 200
    lookup = app.get(f"/api/v1/cases/{receipt}?check={APPLICANT.id_number[-4:]}")
    assert lookup.status_code == 200 and lookup.json()["status"] == "accepted"


def client_case(client: TestClient, receipt: str) -> dict[str, Any]:
    def read(conn: Any) -> dict[str, Any]:
        return dict(conn.execute(select(cases).where(cases.c.receipt_no == receipt)).one()._mapping)

    out: dict[str, Any] = client.portal.call(context_of(client).engine.read, read)  # type: ignore[union-attr]
    return out


def test_a_pass_on_a_3_star_item_asks_for_the_originals_and_takes_a_postal_address(app: TestClient) -> None:
    online(app, "A04", star=3)
    made = submitted(app)
    dept = login(app, "manager")
    passed = review(app, dept, made["id"], result="pass").json()
    assert passed["status"] == "passed" and passed["receipt_no"] is None
    page = app.get(made["status_url"]).text
    assert "原件" in page and 'href="/book/jinan"' in page

    token = made["status_token"]
    refused = app.post(f"/api/v1/applications/{token}/delivery", json={"delivery": "postal"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "address"
    chosen = app.post(f"/api/v1/applications/{token}/delivery",
                      json={"delivery": "postal", "address": "福州市晋安区福新中路88号 王小明 收"})
    assert chosen.status_code == 200 and chosen.json()["delivery"] == "postal"
    staff = app.get(f"{URL}/{made['id']}", headers=login(app, "clerk01")).json()
    assert staff["delivery"] == "postal" and staff["address"] == "福州市晋安区福新中路88号 王小明 收"
    assert "邮寄" in app.get(made["status_url"]).text


def test_a_failed_pre_review_shows_the_one_time_notice(app: TestClient) -> None:
    online(app, "A04", star=4)
    made = submitted(app)
    clerk = login(app, "clerk01")
    nothing = review(app, clerk, made["id"], result="fail")
    assert nothing.status_code == 422 and nothing.json()["error"]["field"] == "missing"
    stray = review(app, clerk, made["id"], result="fail", missing=["户口簿"])
    assert stray.status_code == 422 and stray.json()["error"]["field"] == "missing"
    assert review(app, clerk, made["id"], result="maybe").status_code == 422
    failed = review(app, clerk, made["id"], result="fail", missing=["近期一寸照片"], note="照片模糊，请重新上传")
    assert failed.status_code == 200 and failed.json()["status"] == "failed"
    assert failed.json()["receipt_no"] is None

    status = app.get(f"/api/v1/applications/{made['status_token']}").json()
    assert status["status"] == "failed" and status["notice"]["missing"] == ["近期一寸照片"]
    page = app.get(made["status_url"]).text
    assert "一次性告知" in page and "近期一寸照片" in page and "照片模糊，请重新上传" in page
    assert "/apply/jinan?item=A04" in page


def test_the_visitor_withdraws_an_application_not_yet_reviewed(app: TestClient) -> None:
    online(app, "A04")
    made = submitted(app)
    token = made["status_token"]
    response = app.post(f"/api/v1/applications/{token}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert app.post(f"/api/v1/applications/{token}/withdraw").status_code == 409
    assert review(app, login(app, "clerk01"), made["id"], result="pass").status_code == 409
    assert app.get("/api/v1/applications/nope").status_code == 404


def test_a_department_sees_and_reviews_only_its_own_items(app: TestClient) -> None:
    online(app, "A04")  # 区人社局
    online(app, "B10")  # 区市场监管局
    theirs = submitted(app, "A04")
    ours = submitted(app, "B10", files=[("m0", ("投资人身份证.pdf", PDF, "application/pdf"))])
    dept = login(app, "dept-scjg")
    listed = app.get(URL, headers=dept).json()["applications"]
    assert [a["id"] for a in listed] == [ours["id"]]
    assert app.get(f"{URL}/{theirs['id']}", headers=dept).status_code == 403
    assert review(app, dept, theirs["id"], result="pass").status_code == 403
    file_id = theirs["files"][0]["id"]
    assert app.get(f"{URL}/{theirs['id']}/files/{file_id}", headers=dept).status_code == 403
    assert review(app, dept, ours["id"], result="pass").status_code == 200
    clerk = login(app, "clerk02")
    assert sorted(a["id"] for a in app.get(URL, headers=clerk).json()["applications"]) == sorted(
        [theirs["id"], ours["id"]])
    assert [a["id"] for a in app.get(f"{URL}?status=passed", headers=clerk).json()["applications"]] == [ours["id"]]
    assert app.get(f"{URL}?status=maybe", headers=clerk).status_code == 422
    assert app.get(URL, headers=login(app, "guide")).status_code == 403
    assert app.get(URL, headers=KIOSK).status_code == 403
    app.cookies.clear()
    assert app.get(URL).status_code == 401
    assert app.get(f"{URL}/999", headers=clerk).status_code == 404
    assert app.get(f"{URL}/abc", headers=clerk).status_code == 404


def test_files_are_served_only_to_staff_and_to_the_applicants_link(app: TestClient) -> None:
    online(app, "A04")
    made, other = submitted(app), submitted(app)
    pdf, image = made["files"]
    staff_url = f"{URL}/{made['id']}/files/{pdf['id']}"
    clerk = login(app, "clerk01")
    got = app.get(staff_url, headers=clerk)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in got.headers["cache-control"]
    assert app.get(f"{URL}/{made['id']}/files/{image['id']}", headers=clerk).content == PNG
    assert app.get(f"{URL}/{other['id']}/files/{pdf['id']}", headers=clerk).status_code == 404  # not its file
    assert app.get(staff_url, headers=KIOSK).status_code == 403
    assert app.get(staff_url, headers=login(app, "guide")).status_code == 403
    app.cookies.clear()
    assert app.get(staff_url).status_code == 401

    mine = app.get(pdf["url"])
    assert pdf["url"] == f"/api/v1/applications/{made['status_token']}/files/{pdf['id']}"
    assert mine.status_code == 200 and mine.content == PDF
    assert mine.headers["content-disposition"].startswith("attachment")
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert app.get(f"/api/v1/applications/{other['status_token']}/files/{pdf['id']}").status_code == 404
    assert app.get(f"/static/{Path(pdf['url']).name}").status_code == 404


# ---------------------------------------------------------------- the time limit
def test_an_alert_stands_when_a_pre_review_nears_or_passes_its_limit(app: TestClient, clock: FakeClock) -> None:
    online(app, "A04")
    made = submitted(app)
    manager = login(app, "manager")

    def alerts() -> list[tuple[str, str]]:
        found = app.get("/api/v1/halls/jinan/alerts", headers=manager).json()["alerts"]
        return [(a["id"], a["severity"]) for a in found if a["kind"] == "prereview_due"]

    assert alerts() == []  # Wednesday: due Friday
    clock.advance(DAY)  # Thursday: due tomorrow
    assert alerts() == [(f"prereview_due:{made['id']}", "warning")]
    clock.advance(4 * DAY)  # Monday: past due
    assert alerts() == [(f"prereview_due:{made['id']}", "critical")]
    assert review(app, manager, made["id"], result="pass").status_code == 200
    assert alerts() == []


def test_the_figures_count_pre_reviews_decided_within_the_limit(app: TestClient, clock: FakeClock) -> None:
    online(app, "A04")
    online(app, "B10")
    b10 = [("m0", ("a.pdf", PDF, "application/pdf"))]
    early, late, pending = submitted(app), submitted(app), submitted(app, "B10", files=b10)
    clerk = login(app, "clerk01")
    assert review(app, clerk, early["id"], result="pass").status_code == 200
    clock.advance(6 * DAY)  # Tuesday 2026-12-01: past Friday's limit
    assert review(app, clerk, late["id"], result="fail", missing=["居民身份证"]).status_code == 200
    context = context_of(app)
    figures = app.portal.call(context.engine.read, lambda conn: applications.prereview_figures(  # type: ignore
        conn, "jinan", date(2026, 11, 1), date(2026, 11, 30)))
    assert {f["department"]: (f["received"], f["decided"], f["on_time"], f["late"], f["pending"]) for f in figures} \
        == {"RSJ": (2, 2, 1, 1, 0), "SCJG": (1, 0, 0, 0, 1)}
    assert next(f for f in figures if f["department"] == "RSJ")["department_name"] == "区人社局"
    assert pending["due_on"] == "2026-11-27"


def test_personal_data_and_files_go_with_the_cases(app: TestClient, clock: FakeClock, uploads: Path) -> None:
    online(app, "A04", star=5)
    became_case, failed, waiting = submitted(app), submitted(app), submitted(app)
    manager = login(app, "manager")
    receipt = review(app, manager, became_case["id"], result="pass").json()["receipt_no"]
    assert review(app, manager, failed["id"], result="fail", missing=["居民身份证"]).status_code == 200
    for status in ("rejected", "closed"):
        moved = app.post(f"/api/v1/cases/{receipt}/events", json={"status": status, "note": "不符合申请条件"},
                         headers=manager)
        assert moved.status_code == 200, moved.text
    context = context_of(app)
    days = context.settings.pii_retention_days
    clock.advance((days + 1) * DAY)
    assert app.portal.call(retention.purge_hall, context, "jinan") is True  # type: ignore[union-attr]

    for made, purged in ((became_case, True), (failed, True), (waiting, False)):
        one = app.get(f"{URL}/{made['id']}", headers=manager).json()
        assert (one["applicant"]["name"] == "") is purged
        assert (one["files"] == []) is purged
    assert len(stored_files(uploads)) == 2  # the waiting one's
    assert client_case(app, receipt)["applicant_name"] == ""


def test_the_prereview_page_is_for_the_departments_and_the_halls_staff(app: TestClient) -> None:
    page = app.get("/prereview/jinan", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/prereview/jinan"
    for username, status in (("dept-scjg", 200), ("clerk01", 200), ("manager", 200), ("guide", 403)):
        app.cookies.clear()
        login(app, username)  # the session cookie, as the login page leaves it
        page = app.get("/prereview/jinan")
        assert page.status_code == status, username
        assert ("网上预审" in page.text) and ("没有权限" in page.text) is (status == 403)
    assert app.get("/prereview/nowhere").status_code == 404
