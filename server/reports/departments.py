"""Per-department figures (seed art. 22: each department's 服务效率 is evaluated): how many cases each
department received in a period, how many it decided, on time or late, how many are overdue still,
and how long it took in working days (definitions beside their formulas: docs/kpis.md).

A case counts for every department that must decide it (its parts, ``case_parts``; 联审联办 counts
for each), in the period its acceptance falls in (a cohort: what became of the period's cases, as of
the report's ``now``). The hall's total counts each case once, decided when the case is. The figures
are computed from the cases themselves, never rolled up: a case decided next month still changes
this month's figures. Online pre-reviews (网上预审, art. 15) count for the department that leads the
item, in the period they were submitted in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from server.domain.workdays import WorkCalendar
from server.store import applications as applications_store
from server.store import calendar as calendar_store
from server.store.catalog import department_list, department_names
from server.store.tables_cases import case_events, case_parts, cases

from .kpis import PART_DECIDED, Agg, art22, case_decision, rate
from .rollup import HallInfo

STILL_OPEN = frozenset({"accepted", "in_review", "supplement"})  # the time limit runs (or stands still)

# The report's columns for ``by=department``: key, the export's header.
DEPARTMENT_COLUMNS: list[tuple[str, str]] = [
    ("key", "编号"), ("label", "名称"), ("received", "收件数"), ("decided", "已办结"), ("on_time", "按时办结"),
    ("overdue", "超期"), ("pending", "在办"), ("on_time_rate", "按时办结率"),
    ("avg_decide_days", "平均办结用时(工作日)"), ("prereviews", "网上预审数"),
    ("prereviews_on_time", "按时预审"), ("prereview_on_time_rate", "预审按时率"),
    ("cases", "受理办件数"), ("immediate_rate", "即办率"), ("online_rate", "网上办理率"),
    ("comprehensive_rate", "综合办理率"), ("joint_rate", "联合办理率"), ("paperless_rate", "无纸化率"),
    ("standard_rate", "标准化率"),
]


@dataclass
class Prereviews:
    """One department's online pre-reviews (网上预审, art. 15(三)(四)) of the period."""

    count: int = 0  # submitted, less those the applicant withdrew before a decision
    on_time: int = 0  # decided by their limit (2 working days)
    late: int = 0  # decided after it, or still undecided past it

    def figures(self) -> dict[str, Any]:
        return {"prereviews": self.count, "prereviews_on_time": self.on_time,
                "prereview_on_time_rate": rate(self.on_time, self.on_time + self.late)}


@dataclass
class Tally:
    """One department's (or the hall's) sums."""

    received: int = 0
    decided: int = 0
    on_time: int = 0
    overdue: int = 0
    days_sum: int = 0

    def add(self, due: date | None, decided_on: date | None, accepted_on: date, overdue_from: date | None,
            calendar: WorkCalendar) -> None:
        """One case (or part). ``decided_on`` None: still undecided; ``overdue_from`` the day from which
        an undecided one counts as late (None: it never will, e.g. withdrawn)."""
        self.received += 1
        if decided_on is not None:
            self.decided += 1
            self.days_sum += working_days_between(calendar, accepted_on, decided_on)
            if due is None or decided_on <= due:
                self.on_time += 1
            else:
                self.overdue += 1
        elif due is not None and overdue_from is not None and due < overdue_from:
            self.overdue += 1

    def row(self, key: str, label: str, prereviews: Prereviews, rates: Agg) -> dict[str, Any]:
        return {
            "key": key, "label": label, "received": self.received, "decided": self.decided,
            "on_time": self.on_time, "overdue": self.overdue, "pending": self.received - self.decided,
            "on_time_rate": rate(self.on_time, self.on_time + self.overdue),
            "avg_decide_days": None if self.decided == 0 else round(self.days_sum / self.decided, 1),
            **prereviews.figures(), "cases": rates.cases, **art22(rates),
        }


def working_days_between(calendar: WorkCalendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (a decision on the acceptance day: 0),
    counted as the due date is (server/domain/workdays.py)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count


def department_report(conn: Connection, info: HallInfo, first: date, last: date, now: datetime
                      ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows (one per department with cases, in the hall's order of departments) and the hall's total."""
    calendar = WorkCalendar(calendar_store.load_tables(conn))
    today = info.local_day(now)
    start, _ = info.day_bounds(first)
    _, end = info.day_bounds(last)
    rows = conn.execute(
        select(cases.c.id, cases.c.department, cases.c.departments, cases.c.status, cases.c.accepted_at,
               cases.c.due_at, cases.c.paused_on, cases.c.updated_at, cases.c.channel, cases.c.paperless,
               cases.c.standardized, cases.c.comprehensive)
        .where(cases.c.hall == info.code, cases.c.accepted_at.is_not(None), cases.c.accepted_at >= start,
               cases.c.accepted_at < end)).all()
    ids = [r.id for r in rows]
    parts, events = _parts(conn, ids), _events(conn, ids)
    by_department: dict[str, Tally] = defaultdict(Tally)
    hall = Tally()
    # the art. 22 rates (docs/kpis.md): the case's facts, 即办 when the department decided its part the
    # day the case was accepted (the hall: when the case was decided)
    rates: dict[str, Agg] = defaultdict(Agg)
    hall_rates = Agg()
    for r in rows:
        accepted_on = info.local_day(r.accepted_at)
        # an undecided case is late from the day after its due date, unless it waits for material
        # asked for before then (the limit stands still, 补正) or ended without a decision
        overdue_from = (min(today, r.paused_on) if r.paused_on else today) if r.status in STILL_OPEN else None
        decided_at = case_decision(r.status, events.get(r.id, []), r.updated_at)
        case_day = info.local_day(decided_at) if decided_at else None
        hall.add(r.due_at, case_day, accepted_on, overdue_from, calendar)
        mine = parts.get(r.id) or [(code, None, None) for code in _codes(r.department, r.departments)]
        facts = (len(mine) > 1, r.paperless, r.standardized, r.channel == "online", r.comprehensive)
        joint, paperless, standard, online, comprehensive = facts
        hall_rates.add_case(case_day == accepted_on, joint, paperless, standard, online, comprehensive)
        for code, status, updated_at in mine:
            at = part_decision(code, status, updated_at, events.get(r.id, []), decided_at, len(mine) == 1)
            part_day = info.local_day(at) if at else None
            by_department[code].add(r.due_at, part_day, accepted_on, overdue_from, calendar)
            rates[code].add_case(part_day == accepted_on, joint, paperless, standard, online, comprehensive)
    pre, pre_hall = prereviews_of(conn, info.code, first, last, today)
    order = [d["code"] for d in department_list(conn, info.code)]
    names = department_names(conn, info.code)
    keys = sorted({*by_department, *pre}, key=lambda k: (order.index(k) if k in order else len(order), k))
    out = [by_department[k].row(k, names.get(k, k), pre.get(k, Prereviews()), rates.get(k, Agg())) for k in keys]
    return out, hall.row(info.code, info.name, pre_hall, hall_rates)


def prereviews_of(conn: Connection, hall: str, first: date, last: date, today: date
                  ) -> tuple[dict[str, Prereviews], Prereviews]:
    """The online pre-reviews submitted on [first, last], by the item's lead department (who
    pre-reviews), and the hall's: on time when decided no later than their limit (``due_on``)."""
    by_department: dict[str, Prereviews] = defaultdict(Prereviews)
    hall_figures = Prereviews()
    for a in applications_store.of_days(conn, hall, first, last):
        if a["status"] == "withdrawn":
            continue
        decided = a["reviewed_on"] is not None and a["status"] != "submitted"
        for tally in (by_department[a["department"]], hall_figures):
            tally.count += 1
            if decided and a["reviewed_on"] <= a["due_on"]:
                tally.on_time += 1
            elif decided or a["due_on"] < today:
                tally.late += 1
    return dict(by_department), hall_figures


def _codes(lead: str, listed: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys([lead, *(listed or [])]))


def _parts(conn: Connection, ids: list[int]) -> dict[int, list[tuple[str, str | None, Any]]]:
    out: dict[int, list[tuple[str, str | None, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for p in conn.execute(select(case_parts.c.case_id, case_parts.c.department, case_parts.c.status,
                                     case_parts.c.updated_at).where(case_parts.c.case_id.in_(chunk))):
            out[p.case_id].append((p.department, p.status, p.updated_at))
    return out


def _events(conn: Connection, ids: list[int]) -> dict[int, list[tuple[str, str | None, Any]]]:
    """Each case's steps, oldest first: (status, department or None for the case's own, at)."""
    out: dict[int, list[tuple[str, str | None, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for e in conn.execute(select(case_events.c.case_id, case_events.c.status, case_events.c.department,
                                     case_events.c.at).where(case_events.c.case_id.in_(chunk))
                              .order_by(case_events.c.id)):
            out[e.case_id].append((e.status, e.department, e.at))
    return out


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def part_decision(code: str, status: str | None, updated_at: Any, events: list[tuple[str, str | None, Any]],
                  case_decided_at: Any, alone: bool) -> Any:
    """When this department's part was decided: its own approval or rejection; the case's decision
    when the case was decided without it (another department rejected) or it is the case's only part."""
    if status in PART_DECIDED:
        own = [at for s, d, at in events if d == code and s == status]
        if own:
            return own[0]
        return case_decided_at if alone and case_decided_at is not None else updated_at
    return case_decided_at
