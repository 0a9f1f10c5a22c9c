"""The service-item catalog (事项目录) as rows of text: read all or nothing, written back the same way.

No I/O: the file formats (xlsx, csv) live in server/services/catalog_files.py, which hands this module
a header and rows of strings. ``parse_rows`` reads every row before it answers, so that one import
names every bad row and column at once (CONTRACT "Setting up a hall (v2)": nothing is applied
unless all of it is good). ``to_rows`` writes the columns that ``parse_rows`` reads, so that an
export imports back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pypinyin import Style, lazy_pinyin

from server.domain.errors import InvalidInput

REQUIRED = ("编码", "名称", "队列", "部门", "承诺时限", "材料")
OPTIONAL = ("法定时限", "联办部门", "收费标准", "设定依据", "受理标准", "即办", "网办", "星级")
COLUMNS = REQUIRED + OPTIONAL
# The English gloss of each column, for the messages' short English half.
GLOSS = {"编码": "code", "名称": "name", "队列": "queue", "部门": "department", "承诺时限": "time limit",
         "材料": "materials", "法定时限": "statutory time limit", "联办部门": "joint departments",
         "收费标准": "fee", "设定依据": "legal basis", "受理标准": "acceptance standard", "即办": "immediate",
         "网办": "online", "星级": "star rating"}

# A code ends up in URLs (PUT /api/v1/halls/{hall}/items/{code}) and on slips: plain characters only.
# National item codes run to about 40 characters, so 64 leaves room.
CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_DAYS = 9999  # a bound keeps a typo such as 300000000000 out of an integer column
MATERIAL_SEPARATORS = re.compile(r"[；;\r\n]+")
DEPARTMENT_SEPARATORS = re.compile(r"[、，,；;]+")
YES, NO = "是", "否"


def initials(name: str) -> str:
    """The pinyin initials the kiosk's search matches: 个体工商户设立登记 → GTGSHSLDJ. Letters and
    digits that are not Chinese are kept as written (B超 → BC)."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).upper()
    return "".join(ch for ch in letters if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class CatalogItem:
    code: str
    name: str
    queue: str
    department: str  # a department's code or its name, as the file gives it
    time_limit_days: int  # promised (承诺时限), working days
    materials: tuple[str, ...] = ()
    # the optional columns (seed art. 7/8)
    statutory_days: int | None = None  # 法定时限
    departments: tuple[str, ...] = ()  # every department that must decide (联审联办)
    fee: str = ""
    legal_basis: str = ""
    acceptance_standard: str = ""
    immediate: bool = False  # 即办
    online: bool = False  # 可网办
    star: int | None = None  # 网上预审星级 1–5
    pinyin: str = field(default="")  # initials of the name; computed when not given

    def __post_init__(self) -> None:
        if not self.pinyin:
            object.__setattr__(self, "pinyin", initials(self.name))


# 居民身份证（原件1份）, 营业执照（复印件2份）, 户口簿（原件及复印件各1份）: the form and copies a
# material is handed in as (seed art. 7), written after its name as halls print them.
MATERIAL_FORM = re.compile(r"(?P<name>.+?)\s*[（(]\s*(?P<form>原件及复印件|原件和复印件|原件|复印件)"
                           r"\s*(?:各\s*)?(?:(?P<copies>\d{1,3})\s*份)?\s*[)）]")


def material_detail(text: str) -> dict[str, Any]:
    """{name, form, copies} of one material as written: form 原件, 复印件, 原件及复印件 or "" (not said),
    copies a number or None."""
    found = MATERIAL_FORM.fullmatch(text.strip())
    if found is None:
        return {"name": text.strip(), "form": "", "copies": None}
    form = "原件及复印件" if found["form"] == "原件和复印件" else found["form"]
    return {"name": found["name"], "form": form, "copies": int(found["copies"]) if found["copies"] else None}


@dataclass(frozen=True)
class RowProblem:
    row: int  # the row in the file, the header being row 1
    column: str  # the Chinese header name
    message: str  # "中文 (English)"

    def __str__(self) -> str:
        return f"第 {self.row} 行「{self.column}」：{self.message}"


class CatalogInvalid(InvalidInput):
    """The whole catalog refused: ``problems`` names every bad row and column."""

    code = "invalid_catalog"

    def __init__(self, problems: Iterable[RowProblem]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        super().__init__(f"事项目录有 {n} 处错误，未导入任何事项",
                         f"the catalog has {n} problems; nothing was imported")

    def details(self) -> dict[str, object]:
        return {"rows": [{"row": p.row, "column": p.column, "message": p.message} for p in self.problems]}


class _Row:
    """One data row's cells by column name, and the problems found reading them."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.problems: list[RowProblem] = []

    def problem(self, column: str, zh: str, en: str) -> None:
        self.problems.append(RowProblem(self.number, column, f"{zh} ({en})"))

    def text(self, column: str, required: bool = False) -> str:
        value = self.cells.get(column, "")
        if required and not value:
            self.problem(column, f"{column}不能为空", f"{GLOSS[column]} is required")
        return value

    def whole(self, column: str, low: int, high: int, required: bool = False) -> int | None:
        value = self.text(column, required)
        if not value:
            return None
        # ASCII digits only: int() would also take "٣", "+3" or "3_000"
        number = int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else -1
        if not low <= number <= high:
            self.problem(column, f"{column}须为 {low} 到 {high} 的整数",
                         f"{GLOSS[column]} must be a whole number from {low} to {high}")
            return None
        return number

    def flag(self, column: str) -> bool:
        value = self.text(column)
        if value not in ("", YES, NO):
            self.problem(column, f"{column}须填“是”或“否”", f"{GLOSS[column]} must be 是 or 否")
        return value == YES

    def listed(self, column: str, separators: re.Pattern[str]) -> tuple[str, ...]:
        return tuple(part.strip() for part in separators.split(self.text(column)) if part.strip())


def _locate(header: Sequence[str]) -> tuple[dict[str, int], list[RowProblem]]:
    """Where each known column stands; a required one missing, or any known one twice, is a problem."""
    where: dict[str, int] = {}
    problems: list[RowProblem] = []
    for index, name in enumerate(cell.strip() for cell in header):
        if name in where and name in COLUMNS:
            problems.append(RowProblem(1, name, f"列「{name}」出现了两次 (column {GLOSS[name]} appears twice)"))
        where.setdefault(name, index)
    problems += [RowProblem(1, name, f"缺少必填列「{name}」 (required column {GLOSS[name]} is missing)")
                 for name in REQUIRED if name not in where]
    return {name: where[name] for name in COLUMNS if name in where}, problems


def _department(row: _Row, column: str, spelled: str, departments: Mapping[str, str] | None) -> str:
    """The department's code for its code or name as the file spells it (any spelling when no
    departments are given)."""
    if departments is None or not spelled:
        return spelled
    code = departments.get(spelled)
    if code is None:
        row.problem(column, f"本大厅没有部门「{spelled}」，请先在「部门」中添加，或填写已有部门的编码或名称",
                    f"no department {spelled} in this hall")
        return spelled
    return code


def _read(row: _Row, queues: set[str], departments: Mapping[str, str] | None = None) -> CatalogItem | None:
    code = row.text("编码", required=True)
    if code and not CODE.fullmatch(code):
        row.problem("编码", "编码只能由字母、数字、- 和 _ 组成，最长 64 位",
                    "code may hold only letters, digits, - and _, at most 64 of them")
    name = row.text("名称", required=True)
    queue = row.text("队列", required=True)
    if queue and queue not in queues:
        row.problem("队列", f"本大厅没有队列 {queue}", f"no queue {queue} in this hall")
    department = _department(row, "部门", row.text("部门", required=True), departments)
    joint = tuple(_department(row, "联办部门", d, departments) for d in row.listed("联办部门", DEPARTMENT_SEPARATORS))
    days = row.whole("承诺时限", 0, MAX_DAYS, required=True)
    statutory = row.whole("法定时限", 0, MAX_DAYS)
    if days is not None and statutory is not None and days > statutory:
        # a promise shortens the statutory limit, it never lengthens it
        row.problem("承诺时限", "承诺时限不能长于法定时限", "time limit may not exceed the statutory one")
    star = row.whole("星级", 1, 5)
    immediate, online = row.flag("即办"), row.flag("网办")
    if row.problems or days is None:
        return None
    return CatalogItem(
        code=code, name=name, queue=queue, department=department, time_limit_days=days,
        materials=row.listed("材料", MATERIAL_SEPARATORS), statutory_days=statutory,
        departments=tuple(dict.fromkeys(joint)), fee=row.text("收费标准"),
        legal_basis=row.text("设定依据"), acceptance_standard=row.text("受理标准"),
        immediate=immediate, online=online, star=star, pinyin=initials(name))


def parse_rows(header: Sequence[str], rows: Sequence[Sequence[str]], queues: set[str],
               departments: Mapping[str, str] | None = None) -> list[CatalogItem]:
    """Every item of the file, or ``CatalogInvalid`` naming every problem (rows of blanks are skipped).
    ``departments`` maps each way the hall's departments may be written (code or name) to the code:
    the items then hold codes, and a department the hall does not have is a problem of its row."""
    columns, problems = _locate(header)
    if problems:  # without its columns no row can be read
        raise CatalogInvalid(problems)
    items: list[CatalogItem] = []
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = _Row(number, {name: cells[i].strip() if i < len(cells) else "" for name, i in columns.items()})
        item = _read(row, queues, departments)
        code = row.cells["编码"]
        if code in first_row_of:
            row.problem("编码", f"编码 {code} 与第 {first_row_of[code]} 行重复",
                        f"code {code} repeats row {first_row_of[code]}")
        elif code:
            first_row_of[code] = number
        problems += row.problems
        if item is not None:
            items.append(item)
    if problems:
        raise CatalogInvalid(problems)
    return items


def to_rows(items: Iterable[CatalogItem]) -> tuple[list[str], list[list[str]]]:
    """The header and one row per item, every column that ``parse_rows`` reads."""
    rows = [[item.code, item.name, item.queue, item.department, str(item.time_limit_days), "；".join(item.materials),
             "" if item.statutory_days is None else str(item.statutory_days), "、".join(item.departments),
             item.fee, item.legal_basis, item.acceptance_standard, YES if item.immediate else NO,
             YES if item.online else NO, "" if item.star is None else str(item.star)]
            for item in items]
    return list(COLUMNS), rows
