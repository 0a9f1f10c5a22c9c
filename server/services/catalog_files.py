"""The catalog file (事项目录) as bytes: xlsx or csv in, header and rows of text out, and back.

What the rows mean is server/domain/catalog.py's business; this module only knows the formats. A CSV
is written as server/reports/export.py writes one (UTF-8 with BOM for Excel, a text that would start
a formula prefixed with '), and that one ' is taken off again on import so that an export imports
back unchanged. An xlsx keeps every text cell a string, never a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from typing import Any, Literal

from server.domain.catalog import CatalogItem, to_rows
from server.domain.errors import InvalidInput
from server.reports.export import FORMULA_STARTS, neutral

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
MAX_ROWS = 20_000  # far beyond any hall's catalog; keeps a crafted file from filling the memory
MAX_COLUMNS = 64
NUMBER_COLUMNS = {"承诺时限", "法定时限", "星级"}  # written as numbers in xlsx, so Excel shows no warning
WIDTHS = {"编码": 12, "名称": 30, "队列": 6, "部门": 16, "承诺时限": 10, "材料": 60, "法定时限": 10,
          "联办部门": 24, "收费标准": 14, "设定依据": 40, "受理标准": 40, "即办": 6, "网办": 6, "星级": 6}

Kind = Literal["xlsx", "csv"]


def kind_of(filename_or_content_type: str) -> Kind | None:
    said = filename_or_content_type.strip().lower()
    if said in ("xlsx", "csv"):
        return "xlsx" if said == "xlsx" else "csv"
    if said.endswith(".xlsx") or said.split(";")[0].strip() == XLSX_TYPE:
        return "xlsx"
    if said.endswith(".csv") or said.split(";")[0].strip() in ("text/csv", "application/csv"):
        return "csv"
    return None


def _refuse(name: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput.coded("invalid_catalog_file", f"{name} {zh} ({en})", "file")


def read_catalog(data: bytes, filename_or_content_type: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows below it as text (every row kept, so that row numbers match the file)."""
    name = filename_or_content_type
    kind = kind_of(name)
    if kind is None:
        raise _refuse(name, "不是 .xlsx 或 .csv 文件", "not an .xlsx or .csv file")
    lines = _read_xlsx(data, name) if kind == "xlsx" else _read_csv(data, name)
    if len(lines) > MAX_ROWS + 1:
        raise _refuse(name, f"超过 {MAX_ROWS} 行", f"more than {MAX_ROWS} rows")
    if not lines:
        raise _refuse(name, "是空文件", "the file is empty")
    return lines[0], lines[1:]


def _read_csv(data: bytes, name: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")  # with or without the BOM Excel writes
    except UnicodeDecodeError:
        raise _refuse(name, "不是 UTF-8 编码，请在 Excel 中另存为“CSV UTF-8”",
                      "not UTF-8; save it from Excel as CSV UTF-8") from None
    if "\x00" in text:
        raise _refuse(name, "含有空字符，无法读取", "holds NUL characters")
    try:
        return [[_unneutral(cell) for cell in line[:MAX_COLUMNS]]
                for line in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise _refuse(name, "无法读取", f"cannot be read: {error}") from None


def _unneutral(cell: str) -> str:
    """Undo what ``_neutral`` did: the one ' before a text that would start a formula (or before a
    text that starts with ' itself); a ' before anything else was typed by someone and stays."""
    if cell.startswith("'") and cell[1:].startswith((*FORMULA_STARTS, "'")):
        return cell[1:]
    return cell


def _neutral(cell: str) -> str:
    # export.neutral quotes formula starts; a leading ' of the text itself is quoted too, or the
    # import could not tell it from the quote and would drop it
    return "'" + cell if cell.startswith("'") else str(neutral(cell))


def _read_xlsx(data: bytes, name: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        # data_only: a formula a clerk typed gives its value as Excel last computed it
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            lines = []
            for values in sheet.iter_rows(values_only=True):
                cells = [_text(v) for v in values[:MAX_COLUMNS]]
                while cells and not cells[-1]:  # a sheet's formatted but empty columns are no cells
                    cells.pop()
                lines.append(cells)
                if len(lines) > MAX_ROWS + 1:
                    break
            return lines
        finally:
            book.close()
    except Exception as error:  # openpyxl and zipfile raise many kinds for a damaged or foreign file
        raise _refuse(name, "无法作为 Excel 文件读取",
                      f"cannot be read as an Excel file: {type(error).__name__}") from None


def _text(value: Any) -> str:
    """A cell as the text a person sees: 3 and 3.0 are "3", an empty cell is ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return str(value)


def write_catalog(items: Iterable[CatalogItem], kind: Kind) -> bytes:
    header, rows = to_rows(items)
    return _write_xlsx(header, rows) if kind == "xlsx" else _write_csv(header, rows)


def _write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_neutral(cell) for cell in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _write_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "事项目录"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, (column, value) in enumerate(zip(header, row, strict=True), start=1):
            if column in NUMBER_COLUMNS and value.isdigit():
                sheet.cell(r, c, int(value))
                continue
            cell = sheet.cell(r, c, value)
            cell.data_type = "s"  # openpyxl makes "=…" a formula: text stays text, shown as written
            cell.quotePrefix = True
    for c, column in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = WIDTHS.get(column, 16)
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()

