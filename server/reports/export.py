"""A report as a file: xlsx (openpyxl) or CSV (UTF-8 with BOM, so that Excel reads the Chinese)."""

from __future__ import annotations

import csv
import io
from datetime import date, tzinfo
from typing import Any

from server.domain.cases import PENDING, label
from server.store.case_register import ExportLine

from .consultations import DAY_COLUMNS, KEY_COLUMNS
from .departments import DEPARTMENT_COLUMNS
from .fees import FEE_COLUMNS, FEE_SECTIONS

COLUMNS: list[tuple[str, str]] = [
    ("key", "编号"), ("label", "名称"), ("tickets", "取号数"), ("served", "办结数"), ("no_shows", "过号数"),
    ("avg_wait_s", "平均等候(秒)"), ("p90_wait_s", "90%等候(秒)"), ("avg_service_s", "平均办理(秒)"),
    ("p90_service_s", "90%办理(秒)"), ("within_15", "15分钟内呼叫率"), ("within_30", "30分钟内呼叫率"),
    ("no_show_rate", "过号率"), ("ratings", "评价数"), ("satisfaction_rate", "满意率"), ("good_rate", "好评率"),
    ("applications", "申请数"), ("cases", "受理办件数"), ("immediate_rate", "即办率"), ("online_rate", "网上办理率"),
    ("comprehensive_rate", "综合办理率"), ("joint_rate", "联合办理率"), ("paperless_rate", "无纸化率"),
    ("standard_rate", "标准化率"),
]
DIM_NAMES = {"hall": "大厅", "queue": "队列", "counter": "窗口", "clerk": "工作人员", "item": "事项",
             "department": "部门"}
PERIOD_NAMES = {"day": "日报", "week": "周报", "month": "月报"}
TOTAL = "合计"


def columns(report: dict[str, Any]) -> list[tuple[str, str]]:
    """A report by department has its own figures (server/reports/departments.py)."""
    return DEPARTMENT_COLUMNS if report["by"] == "department" else COLUMNS


def table(report: dict[str, Any]) -> list[list[Any]]:
    """Header, one line per row, the totals line; missing figures (zero denominators) are blank."""
    shown = columns(report)
    lines: list[list[Any]] = [[zh for _, zh in shown]]
    for r in report["rows"]:
        lines.append([r.get(k) for k, _ in shown])
    total = dict(report["total"], key=TOTAL)
    lines.append([total.get(k) for k, _ in shown])
    return lines


def _lines(shown: list[tuple[str, str]], rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[zh for _, zh in shown], *([r.get(k) for k, _ in shown] for r in rows)]


def fee_tables(report: dict[str, Any]) -> list[tuple[str, list[list[Any]]]]:
    """The daily fee summary (收费) per item and per counter, each its header and lines; none when the
    period has no charge."""
    fees = report.get("fees") or {}
    out = []
    for section, name in FEE_SECTIONS.items():
        rows = fees.get(section) or []
        if rows:
            out.append((name, _lines(FEE_COLUMNS, rows)))
    return out


def consultation_tables(report: dict[str, Any]) -> list[tuple[str, list[list[Any]]]]:
    """The consultations (咨询) per day, then per key of the report's dimension with the 合计 line; none
    when the period has none."""
    asked = report.get("consultations") or {}
    total = asked.get("total") or {}
    if not total.get("total"):
        return []
    out = [("咨询日汇总", _lines(DAY_COLUMNS, [*asked.get("days", []), dict(total, day=TOTAL)]))]
    if report["by"] != "hall":
        name = f"咨询（按{DIM_NAMES.get(report['by'], report['by'])}）"
        out.append((name, _lines(KEY_COLUMNS, [*asked.get("rows", []), dict(total, key=TOTAL, label="")])))
    return out


def extra_tables(report: dict[str, Any]) -> list[tuple[str, list[list[Any]]]]:
    """The sections after the report's own table: fees, then consultations."""
    return fee_tables(report) + consultation_tables(report)


def sheet_name(section: str) -> str:
    """收费日汇总（按事项） → 收费按事项; 咨询（按窗口） → 咨询按窗口 (a sheet's name: short, no brackets)."""
    return section.replace("收费日汇总（按", "收费按").replace("（", "").replace("）", "")[:31]


def title(report: dict[str, Any]) -> str:
    return (f"{PERIOD_NAMES.get(report['period'], report['period'])} {report['from']}—{report['to']} "
            f"按{DIM_NAMES.get(report['by'], report['by'])}")


# A spreadsheet takes a cell starting with one of these for a formula (OWASP "CSV injection"): a
# name such as =HYPERLINK(…) typed into the catalog or a profile must reach the reader as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """A text that would start a formula, prefixed with ' (shown as text, the ' hidden by Excel);
    numbers, negative ones too, are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(report: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for line in table(report):
        writer.writerow(["" if v is None else neutral(v) for v in line])
    for name, lines in extra_tables(report):  # after a blank line, each fee or consultation section under its name
        writer.writerow([])
        writer.writerow([name])
        for line in lines:
            writer.writerow(["" if v is None else neutral(v) for v in line])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = DIM_NAMES.get(report["by"], report["by"])
    ws.append([title(report)])
    ws["A1"].font = Font(bold=True)
    for r, line in enumerate(table(report), start=2):
        for c, value in enumerate(line, start=1):
            cell = ws.cell(r, c, value)
            if isinstance(value, str):  # openpyxl makes "=…" a formula: text is text, shown as written
                cell.data_type = "s"
                cell.quotePrefix = True
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    rate_cols = [i + 1 for i, (k, _) in enumerate(columns(report)) if k.endswith("_rate") or k.startswith("within")]
    for r in range(3, ws.max_row + 1):
        for c in rate_cols:
            ws.cell(r, c).number_format = "0.0%"
    ws.column_dimensions["B"].width = 28
    ws.freeze_panes = "C3"
    for name, lines in extra_tables(report):  # one sheet per fee or consultation section
        sheet = wb.create_sheet(sheet_name(name))
        sheet.append([name])
        sheet["A1"].font = Font(bold=True)
        for line in lines:
            sheet.append([neutral(v) if isinstance(v, str) else v for v in line])
        sheet.column_dimensions["C"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(report: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name)."""
    name = f"{report['period']}-{report['from']}-{report['by']}"
    if fmt == "csv":
        return to_csv(report), "text/csv; charset=utf-8", f"{name}.csv"
    return (to_xlsx(report), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{name}.xlsx")


# ---------------------------------------------------------------- the case register (办件台账)
CASE_COLUMNS = ["受理编号", "受理时间", "事项编码", "事项名称", "承办部门", "申请人", "联系电话", "状态",
                "承诺办结日期", "是否超期", "受理渠道"]
CASE_WIDTHS = [18, 17, 10, 28, 24, 10, 14, 10, 14, 9, 9]
CHANNEL_NAMES = {"counter": "窗口", "online": "网上"}


def case_line(line: ExportLine, tz: tzinfo, today: date) -> list[Any]:
    """One case as the register's spreadsheet shows it: times in the hall's zone, statuses in Chinese."""
    due = line.due_at.isoformat() + ("（暂定）" if line.due_provisional else "") if line.due_at else ""
    late = line.status in PENDING and line.due_at is not None and line.due_at < today
    return [line.receipt_no, line.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), line.item_code,
            line.item_name, "、".join(line.departments), line.applicant, line.phone, label(line.status), due,
            "超期" if late else "", CHANNEL_NAMES.get(line.channel, line.channel)]


def render_cases(title_line: str, lines: list[list[Any]], fmt: str, name: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the register's export: a title line (xlsx only), the
    header, one line per case; every text stays text (no formulas)."""
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(CASE_COLUMNS)
        for line in lines:
            writer.writerow([neutral(v) for v in line])
        return ("\ufeff" + text.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", f"{name}.csv"
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "办件台账"
    ws.append([title_line])
    ws["A1"].font = Font(bold=True)
    ws.append(CASE_COLUMNS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r, line in enumerate(lines, start=3):
        for c, value in enumerate(line, start=1):
            cell = ws.cell(r, c, value)
            if isinstance(value, str):  # text is text: "=…" is not a formula here either
                cell.data_type = "s"
                cell.quotePrefix = True
            if value == "超期":
                cell.font = Font(color="C00000", bold=True)
    for c, width in enumerate(CASE_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "B3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{name}.xlsx"
