"""The catalog file: xlsx and csv read as text, written so that an export imports back unchanged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from server.demo import QUEUES as DEMO_QUEUES
from server.domain.catalog import CatalogItem, parse_rows
from server.domain.errors import InvalidInput
from server.services.catalog_files import XLSX_TYPE, Kind, read_catalog, write_catalog

DOCS = Path(__file__).resolve().parents[2] / "docs"
QUEUES = {q.code for q in DEMO_QUEUES}
ITEMS = [
    CatalogItem("B01", "个体工商户设立登记", "B", "区市场监管局", 1, ("经营者身份证", "经营场所证明")),
    CatalogItem("D01", "=HYPERLINK(\"http://x\",\"点我\")", "D", "区住建局", 7, ("施工合同",), statutory_days=15,
                departments=("区住建局", "区自然资源局"), fee="+100 元", legal_basis="@《中华人民共和国建筑法》",
                acceptance_standard="'已核实'", immediate=True, online=True, star=4),
    CatalogItem("Z01", "政策咨询", "Z", "-综合窗口", 0),
]


def read(data: bytes, name: str) -> list[CatalogItem]:
    header, rows = read_catalog(data, name)
    return parse_rows(header, rows, QUEUES)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(kind: Kind) -> None:
    assert read(write_catalog(ITEMS, kind), f"目录.{kind}") == ITEMS


def test_a_csv_is_written_with_a_bom_and_formulas_quoted() -> None:
    data = write_catalog(ITEMS, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+100 元" in text and "'@《" in text and "''已核实'" in text


def test_a_csv_reads_with_or_without_a_bom_and_by_content_type() -> None:
    plain = "编码,名称,队列,部门,承诺时限,材料\r\nA01,失业登记,A,区人社局,0,\"身份证\n就业失业登记证\"\r\n"
    for data in (plain.encode(), b"\xef\xbb\xbf" + plain.encode()):
        [item] = read(data, "text/csv; charset=utf-8")
        assert item.code == "A01" and item.materials == ("身份证", "就业失业登记证")


def test_a_quote_typed_before_ordinary_text_stays() -> None:
    header, rows = read_catalog("编码,名称\r\nA01,'79 式\r\n".encode(), "x.csv")
    assert rows == [["A01", "'79 式"]]


def test_a_formula_looking_name_stays_text_in_the_xlsx() -> None:
    sheet = load_workbook(io.BytesIO(write_catalog(ITEMS, "xlsx"))).worksheets[0]
    assert sheet["B3"].value == ITEMS[1].name and sheet["B3"].data_type == "s"
    assert sheet["A1"].font.bold and sheet.column_dimensions["B"].width > 20
    assert sheet["E2"].value == 1  # a number column holds numbers, so Excel shows no warning


def test_an_xlsx_typed_by_hand_reads_numbers_as_a_person_sees_them() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编码", "名称", "队列", "部门", "承诺时限", "材料", "即办"])
    sheet.append(["A01", "失业登记", "A", "区人社局", 3.0, None, True])
    sheet.append([])
    sheet.append(["A02", "就业创业证申领", "A", "区人社局", 5, "身份证", False])
    buf = io.BytesIO()
    book.save(buf)
    header, rows = read_catalog(buf.getvalue(), XLSX_TYPE)
    assert rows[0][4:] == ["3", "", "是"] and not any(rows[1]) and rows[2][4] == "5"  # row numbers kept
    assert [i.code for i in parse_rows(header, rows, QUEUES)] == ["A01", "A02"]


@pytest.mark.parametrize(("data", "name"), [
    (b"a,b", "目录.txt"),
    (b"a,b", "application/json"),
    (b"not a zip", "目录.xlsx"),
    ("编码,名称".encode("gbk"), "目录.csv"),
    (b"a,\x00b", "目录.csv"),
    (b"", "目录.csv"),
])
def test_a_file_that_cannot_be_read_is_refused_by_name(data: bytes, name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_catalog(data, name)
    assert name in caught.value.message and caught.value.code == "invalid_catalog_file"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_sample_catalog_reads_cleanly_against_the_demo_queues(kind: Kind) -> None:
    items = read((DOCS / f"catalog-sample.{kind}").read_bytes(), f"catalog-sample.{kind}")
    assert len(items) >= 12 and {"A", "B", "C", "D"} <= {i.queue for i in items}
    if kind == "csv":  # the sample is what the writer writes today
        assert (DOCS / "catalog-sample.csv").read_bytes() == write_catalog(items, "csv")
