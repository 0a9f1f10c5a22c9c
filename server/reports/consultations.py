"""Consultations (咨询, seed art. 15(一), 16(一)) in the reports: for each day of a report's period and
per key of its dimension, how many questions were asked on site and by phone, how many went to a
department (转办), how many of those the department answered, and how many went past their due date.

Read live from the register (server/store/consultations.py), a cohort like the departments' figures:
the consultations asked in the period, as they stand when the report is asked for. Definitions:
docs/kpis.md "Consultations".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from server.store import consultations as store
from server.store.catalog import department_names

from .rollup import HallInfo

# The export's and the page's columns: key, header.
FIGURE_COLUMNS: list[tuple[str, str]] = [
    ("onsite", "现场咨询"), ("phone", "电话咨询"), ("total", "咨询合计"), ("escalated", "转办部门"),
    ("answered", "部门已答复"), ("overdue", "转办超期"),
]
DAY_COLUMNS: list[tuple[str, str]] = [("day", "日期"), *FIGURE_COLUMNS]
KEY_COLUMNS: list[tuple[str, str]] = [("key", "编号"), ("label", "名称"), *FIGURE_COLUMNS]
# A consultation with no counter (the guide, a manager) or about no item: its own row, so that rows add up.
NO_KEY = {"counter": "未在窗口", "item": "未关联事项", "queue": "未关联事项", "clerk": "—"}


@dataclass
class Tally:
    """Counts over a set of consultations; ``total`` = ``onsite`` + ``phone``."""

    onsite: int = 0
    phone: int = 0
    total: int = 0
    escalated: int = 0  # sent to a department (转办)
    answered: int = 0  # of those, answered by the department
    overdue: int = 0  # of those, answered after the due date or still unanswered past it

    def add(self, facts: dict[str, bool]) -> None:
        self.total += 1
        self.onsite += facts["onsite"]
        self.phone += not facts["onsite"]
        self.escalated += facts["escalated"]
        self.answered += facts["answered"]
        self.overdue += facts["overdue"]


def facts(row: dict[str, Any], today: date, local_day: Callable[[Any], date]) -> dict[str, bool]:
    """What one consultation counts as. Overdue: escalated with a due date, and the department's
    answer came on a later (hall-local) day, or none came and it is still open past the due date
    today; one a manager or its first responder closed without the department's answer is settled."""
    escalated = bool(row["escalated"])
    answered = escalated and bool(row["escalation_answer"])
    due: date | None = row["due_date"]
    if not escalated or due is None:
        overdue = False
    elif answered:
        overdue = row["escalation_answered_at"] is not None and local_day(row["escalation_answered_at"]) > due
    else:
        overdue = row["closed_at"] is None and due < today
    return {"onsite": row["channel"] == "onsite", "escalated": escalated, "answered": answered, "overdue": overdue}


def key_of(by: str, row: dict[str, Any], info: HallInfo) -> str | None:
    """The row's key in dimension ``by`` ("": none known); None: it has no row there (not escalated, by
    department)."""
    if by == "hall":
        return info.code
    if by == "counter":
        return "" if row["counter"] is None else str(row["counter"])
    if by == "clerk":
        return str(row["first_responder"] or "")
    if by == "item":
        return str(row["item_code"] or "")
    if by == "queue":
        item = info.items.get(row["item_code"] or "")
        return str(item["queue"]) if item else ""
    if by == "department":
        return str(row["department"]) if row["escalated"] and row["department"] else None
    raise ValueError(by)


def _order(by: str, key: str) -> tuple[int, int, str]:
    if not key:
        return (1, 0, "")  # 未在窗口, 未关联事项: last
    return (0, int(key), "") if by == "counter" and key.isdigit() else (0, 0, key)


def tally_rows(rows: Iterable[dict[str, Any]], by: str, info: HallInfo, today: date,
               label: Callable[[str, dict[str, Any]], str]) -> dict[str, Any]:
    """{days: [{day, …figures}], rows: [{key, label, …figures}], total: {…figures}}."""
    days: dict[date, Tally] = defaultdict(Tally)
    keys: dict[str, Tally] = defaultdict(Tally)
    labels: dict[str, str] = {}
    total = Tally()
    for row in rows:
        counted = facts(row, today, info.local_day)
        days[row["day"]].add(counted)
        total.add(counted)
        key = key_of(by, row, info)
        if key is not None:
            keys[key].add(counted)
            labels.setdefault(key, label(key, row))
    ordered = sorted(keys, key=lambda k: _order(by, k))
    return {"days": [{"day": d.isoformat(), **asdict(days[d])} for d in sorted(days)],
            "rows": [{"key": k, "label": labels[k], **asdict(keys[k])} for k in ordered],
            "total": asdict(total)}


def consultation_summary(conn: Connection, info: HallInfo, first: date, last: date, by: str,
                         today: date) -> dict[str, Any]:
    """The period's consultations per day and per key of ``by`` (see ``tally_rows``), as of ``today``."""
    departments = department_names(conn, info.code) if by == "department" else {}

    def label(key: str, row: dict[str, Any]) -> str:
        if not key:
            return NO_KEY.get(by, "—")
        if by == "clerk":
            return str(row["first_responder_name"] or info.label("clerk", key))
        if by == "item":
            return str(row["item_name"] or info.label("item", key))
        if by == "department":
            return departments.get(key, key)
        return info.label(by, key)

    return tally_rows(store.of_period(conn, info.code, first, last), by, info, today, label)
