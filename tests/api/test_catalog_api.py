"""A hall's departments and catalog over CONTRACT v2's API and command line: departments and items
created, changed and retired; the whole catalog imported from .xlsx or .csv all or nothing (every
bad row and column named), exported in the same columns and imported back unchanged."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
from starlette.testclient import TestClient

from server.services.catalog_files import XLSX_TYPE

from .conftest import SECRET, login, seed

HALL = "/api/v1/halls/jinan"
CSV = "text/csv; charset=utf-8"
HEADER = "编码,名称,队列,部门,承诺时限,材料,联办部门\n"


def test_departments_are_created_renamed_moved_and_retired(client: TestClient) -> None:
    manager = login(client, "manager")
    made = client.put(f"{HALL}/departments/GAJ", json={"name": "区公安分局"}, headers=manager)
    assert made.status_code == 201 and made.json()["code"] == "GAJ"
    assert client.put(f"{HALL}/departments/GAJ", json={"name": "公安分局", "position": 1},
                      headers=manager).status_code == 200
    listed = client.get(f"{HALL}/departments").json()["departments"]
    assert listed[0] == {"code": "GAJ", "name": "公安分局", "active": True, "items": 0}
    assert next(d for d in listed if d["code"] == "SCJG")["items"] > 5
    twin = client.put(f"{HALL}/departments/GA2", json={"name": "公安分局"}, headers=manager)
    assert twin.status_code == 409 and twin.json()["error"]["field"] == "name"
    in_use = client.delete(f"{HALL}/departments/SCJG", headers=manager)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "department_in_use"
    assert "区市场监管局" in in_use.json()["error"]["message"]
    assert client.delete(f"{HALL}/departments/GAJ", headers=manager).status_code == 204
    assert next(d for d in client.get(f"{HALL}/departments").json()["departments"]
                if d["code"] == "GAJ")["active"] is False
    bad = client.put(f"{HALL}/departments/{'公安'}", json={"name": "x"}, headers=manager)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "code"
    assert client.put(f"{HALL}/departments/X", json={"name": "x"}, headers=login(client, "clerk01")).status_code == 403


def test_an_item_with_joint_departments_is_put_shown_and_removed(client: TestClient) -> None:
    manager = login(client, "manager")
    body = {"name": "餐饮店开办一件事", "queue": "c", "department": "SCJG", "time_limit_days": 5,
            "materials": ["营业执照（复印件1份）", "经营者身份证（原件1份）"], "departments": ["WJJ", "区城管局"],
            "statutory_days": 20, "fee": "不收费", "legal_basis": "《食品安全法》第三十五条",
            "acceptance_standard": "材料齐全、符合法定形式", "online": True, "star": 4}
    made = client.put(f"{HALL}/items/C99", json=body, headers=manager)
    assert made.status_code == 201, made.text
    item = next(i for i in client.get(f"{HALL}/items").json() if i["code"] == "C99")
    assert item["department"] == "SCJG" and item["department_name"] == "区市场监管局"
    assert item["departments"] == ["SCJG", "WJJ", "CGJ"]  # the lead first; a name is taken for its code
    assert item["queue"] == "C" and item["pinyin"] == "CYDKBYJS" and item["star"] == 4 and item["online"] is True
    assert item["materials_detail"][0] == {"name": "营业执照", "form": "复印件", "copies": 1}
    assert client.put(f"{HALL}/items/C99", json={**body, "name": "餐饮开办"}, headers=manager).status_code == 200
    for change, field in (({"queue": "Q"}, "queue"), ({"department": "NOPE"}, "department"),
                          ({"departments": ["NOPE"]}, "departments"), ({"time_limit_days": 30}, "time_limit_days")):
        refused = client.put(f"{HALL}/items/C99", json={**body, **change}, headers=manager)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field, (change, refused.text)
    assert client.put(f"{HALL}/items/C 99", json=body, headers=manager).status_code == 422
    assert client.delete(f"{HALL}/items/C99", headers=manager).status_code == 204
    assert client.delete(f"{HALL}/items/C99", headers=manager).status_code == 404
    assert "C99" not in {i["code"] for i in client.get(f"{HALL}/items").json()}
    entries = client.get("/api/v1/audit?action=item", headers=login(client, "admin")).json()["entries"]
    sentences = [e["sentence"] for e in entries]
    assert any("修改前：C99 餐饮店开办一件事" in s and "修改后：C99 餐饮开办" in s for s in sentences), sentences


def test_a_file_with_bad_rows_is_refused_whole_naming_each_row_and_column(client: TestClient) -> None:
    manager = login(client, "manager")
    before = client.get(f"{HALL}/items").json()
    body = (HEADER + "X01,新事项,A,区人社局,3,居民身份证\n"
            "X02,坏事项,Q,区人社局,三,居民身份证\n"
            "X03,,A,区财政局,3,\n").encode()
    refused = client.post(f"{HALL}/items/import", content=body, headers={**manager, "Content-Type": CSV})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_catalog"
    named = {(r["row"], r["column"]) for r in error["rows"]}
    assert named == {(3, "队列"), (3, "承诺时限"), (4, "名称"), (4, "部门")}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["message"]) for r in error["rows"])
    assert client.get(f"{HALL}/items").json() == before  # nothing applied


def test_an_export_imports_back_unchanged_in_both_formats(client: TestClient) -> None:
    manager = login(client, "manager")
    client.put(f"{HALL}/items/C99", json={"name": "餐饮店开办一件事", "queue": "C", "department": "SCJG",
                                          "time_limit_days": 5, "departments": ["WJJ"], "materials": ["营业执照"],
                                          "fee": "不收费", "immediate": False, "star": 3}, headers=manager)
    before = client.get(f"{HALL}/items").json()
    for kind, content_type in (("xlsx", XLSX_TYPE), ("csv", CSV)):
        exported = client.get(f"{HALL}/items/export?format={kind}", headers=manager)
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        answer = client.post(f"{HALL}/items/import", content=exported.content,
                             headers={**manager, "Content-Type": content_type})
        assert answer.status_code == 200 and answer.json()["imported"] == len(before)
        assert client.get(f"{HALL}/items").json() == before
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"{HALL}/items/export", headers=manager).content)).active
    assert [c.value for c in sheet[1]][:6] == ["编码", "名称", "队列", "部门", "承诺时限", "材料"]
    assert client.get(f"{HALL}/items/export?format=pdf", headers=manager).status_code == 422
    assert client.get(f"{HALL}/items/export", headers=login(client, "clerk01")).status_code == 403


def test_a_new_catalog_replaces_the_old_and_cases_keep_their_items(client: TestClient) -> None:
    manager = login(client, "manager")
    body = (HEADER + "X01,新事项,A,RSJ,3,居民身份证；户口簿,区民政局\n").encode()
    done = client.post(f"{HALL}/items/import", content=body, headers={**manager, "Content-Type": "text/csv"})
    assert done.status_code == 200 and done.json()["imported"] == 1 and done.json()["before"] > 40
    (item,) = client.get(f"{HALL}/items").json()
    assert item["departments"] == ["RSJ", "MZJ"] and item["materials"] == ["居民身份证", "户口簿"]
    not_a_file = client.post(f"{HALL}/items/import", content=b"%PDF-1.4", headers={**manager,
                                                                                   "Content-Type": "application/pdf"})
    assert not_a_file.status_code == 422 and not_a_file.json()["error"]["field"] == "file"


def test_the_command_line_imports_and_exports(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    seed(url)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    env.pop("ONEWINDOW_DEMO", None)

    def onewindow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, capture_output=True, text=True,
                              timeout=60)

    exported = onewindow("catalog", "export", "--hall", "jinan", str(tmp_path / "out.xlsx"))
    assert exported.returncode == 0, exported.stderr
    again = onewindow("catalog", "import", "--hall", "jinan", str(tmp_path / "out.xlsx"))
    assert again.returncode == 0 and "45 items" in again.stdout, again.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("\ufeff" + HEADER + "X01,新事项,Q,区人社局,3,居民身份证\nX02,另一项,A,没有的局,x,\n",
                   encoding="utf-8")
    refused = onewindow("catalog", "import", "--hall", "jinan", str(bad))
    assert refused.returncode != 0 and refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert any("第 2 行「队列」" in line for line in lines)
    assert any("第 3 行「部门」" in line for line in lines) and any("第 3 行「承诺时限」" in line for line in lines)
    assert "nothing was imported" in lines[-1]
    assert onewindow("catalog", "export", "--hall", "nowhere", str(tmp_path / "x.csv")).returncode != 0
    assert onewindow("catalog", "import", "--hall", "jinan", str(tmp_path / "missing.csv")).returncode != 0


def test_the_sample_catalog_in_docs_imports_into_the_demo_hall(client: TestClient) -> None:
    manager = login(client, "manager")
    sample = Path(__file__).resolve().parents[2] / "docs" / "catalog-sample.xlsx"
    done = client.post(f"{HALL}/items/import", content=sample.read_bytes(),
                       headers={**manager, "Content-Type": XLSX_TYPE})
    assert done.status_code == 200, done.text
    items = {i["code"]: i for i in client.get(f"{HALL}/items").json()}
    assert len(items) == done.json()["imported"] >= 10
    assert items["A05"]["departments"] == ["MZJ", "JDB"]
    assert {"name": "居民身份证", "form": "原件", "copies": 1} in items["A01"]["materials_detail"]
