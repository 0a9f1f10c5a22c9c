"""The catalog's rows: all or nothing, every problem named by row and column, written back unchanged."""

from __future__ import annotations

import pytest

from server.domain.catalog import (
    COLUMNS,
    CatalogInvalid,
    CatalogItem,
    RowProblem,
    initials,
    parse_rows,
    to_rows,
)
from server.domain.errors import InvalidInput

QUEUES = {"A", "B", "C", "D", "L", "Z", "V"}
HEADER = ["编码", "名称", "队列", "部门", "承诺时限", "材料"]
GOOD = ["B01", "个体工商户设立登记", "B", "区市场监管局", "1", "经营者身份证；经营场所证明"]


def problems_of(header: list[str], rows: list[list[str]]) -> set[tuple[int, str]]:
    with pytest.raises(CatalogInvalid) as caught:
        parse_rows(header, rows, QUEUES)
    assert all("(" in p.message and p.message.endswith(")") for p in caught.value.problems)  # 中文 (English)
    return {(p.row, p.column) for p in caught.value.problems}


def test_initials_of_a_name() -> None:
    assert initials("个体工商户设立登记") == "GTGSHSLDJ"
    assert initials("B超检查 2024") == "BCJC2024"


def test_a_good_row_reads_with_defaults_and_its_initials() -> None:
    [item] = parse_rows(HEADER, [GOOD], QUEUES)
    assert item == CatalogItem("B01", "个体工商户设立登记", "B", "区市场监管局", 1, ("经营者身份证", "经营场所证明"))
    assert item.pinyin == "GTGSHSLDJ" and item.statutory_days is None and not item.immediate


def test_columns_in_any_order_with_extra_ones_and_optional_ones() -> None:
    header = ["备注", "材料", "星级", "编码", "联办部门", "名称", "即办", "队列", "部门", "承诺时限", "法定时限",
              "网办"]
    row = ["x", "身份证;户口簿\n照片\r\n；", "4", "A01", "区民政局、区残联，街道,社区；村", "低保申请", "是", "A", "MZ",
           "20", "30", "否"]
    [item] = parse_rows(header, [row], QUEUES)
    assert item.materials == ("身份证", "户口簿", "照片")
    assert item.departments == ("区民政局", "区残联", "街道", "社区", "村")
    assert (item.star, item.immediate, item.online, item.statutory_days) == (4, True, False, 30)


def test_a_missing_required_column_is_named_on_row_one() -> None:
    assert problems_of(["编码", "名称", "部门", "承诺时限"], [GOOD]) == {(1, "队列"), (1, "材料")}
    assert problems_of([*HEADER, "编码"], [GOOD]) == {(1, "编码")}


def test_every_bad_row_is_named_with_its_column_at_once() -> None:
    header = [*HEADER, "法定时限", "即办", "网办", "星级"]
    rows = [
        [*GOOD, "", "", "", ""],                                        # row 2: good
        ["", "无编码", "A", "区人社局", "0", "", "", "", "", ""],         # 3: empty code
        ["A02", "", "", "", "", "", "", "", "", ""],                     # 4: empty name, queue, department, limit
        ["A03", "某事项", "Q", "区人社局", "-1", "", "", "", "", ""],     # 5: unknown queue, negative limit
        ["", "", "", "", "", "", "", "", "", ""],                       # 6: blanks, skipped
        ["B01", "重复", "B", "区市场监管局", "3", "", "", "", "", ""],     # 7: the code of row 2
        ["A04", "某事项", "A", "区人社局", "3.5", "", "x", "对", "", "6"],  # 8: bad integers and flags
        ["A05", "某事项", "A", "区人社局", "20", "", "10", "", "", ""],   # 9: promise longer than the law
        ["a b", "某事项", "A", "区人社局", "１", "", "", "", "是", "0"],   # 10: bad code, full-width digit, star 0
    ]
    assert problems_of(header, rows) == {
        (3, "编码"), (4, "名称"), (4, "队列"), (4, "部门"), (4, "承诺时限"), (5, "队列"), (5, "承诺时限"),
        (7, "编码"), (8, "承诺时限"), (8, "法定时限"), (8, "即办"), (8, "星级"), (9, "承诺时限"),
        (10, "编码"), (10, "承诺时限"), (10, "星级")}


def test_a_duplicate_code_names_both_rows() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        parse_rows(HEADER, [GOOD, GOOD], QUEUES)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (3, "编码") and "第 2 行" in problem.message and "row 2" in problem.message


def test_the_refusal_is_invalid_input_and_reads_well() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rows(HEADER, [[*GOOD[:4], "x", ""]], QUEUES)
    assert isinstance(caught.value, CatalogInvalid) and caught.value.code == "invalid_catalog"
    assert "1 处错误" in caught.value.message
    assert str(RowProblem(2, "承诺时限", "m")) == "第 2 行「承诺时限」：m"


def test_a_short_row_lacks_its_last_cells_and_whitespace_is_trimmed() -> None:
    [item] = parse_rows(HEADER, [[" C01 ", " 食品经营许可 ", "C", "区市场监管局", " 10 "]], QUEUES)
    assert (item.code, item.name, item.time_limit_days, item.materials) == ("C01", "食品经营许可", 10, ())


def test_rows_written_read_back_unchanged() -> None:
    items = [
        CatalogItem("B01", "个体工商户设立登记", "B", "区市场监管局", 1, ("身份证", "经营场所证明")),
        CatalogItem("D01", "=HYPERLINK(\"x\")", "D", "ZJ", 20, (), statutory_days=20, departments=("ZJ", "ZR"),
                    fee="不收费", legal_basis="《中华人民共和国城乡规划法》", acceptance_standard="-材料齐全",
                    immediate=True, online=True, star=3),
    ]
    header, rows = to_rows(items)
    assert header == list(COLUMNS)
    assert parse_rows(header, rows, QUEUES) == items
