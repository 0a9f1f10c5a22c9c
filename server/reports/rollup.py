"""A day's KPIs per dimension, computed from the tickets, ratings and cases of that day, and the
daily roll-ups that keep them for past days (table report_daily).

``compute_day`` is the one computation: the live figures for today and the roll-up of a past day
are the same function, so they cannot disagree. A past day is rolled up once (at day end, or on
the first report that needs it) and then read back as sums; today is always computed live.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, or_, select

from server.store import reports as store
from server.store import tables as t
from server.store.catalog import department_names
from server.store.tables_cases import case_events, cases

from .facts import comprehensive_counters
from .kpis import Agg, case_decision, is_immediate

DIMS = ("hall", "queue", "counter", "clerk", "item", "department")  # department: live, never rolled up (departments.py)
UNKNOWN = "—"
ONLINE_COUNTER = "online"  # the counter key of a case accepted by the online hall, at no window


@dataclass
class HallInfo:
    code: str
    name: str
    tz: ZoneInfo
    queues: dict[str, str]
    counters: dict[int, str]
    comprehensive: set[int]
    clerks: dict[str, str] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time(0), self.tz)
        end = datetime.combine(day + timedelta(days=1), time(0), self.tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def local_day(self, at: datetime) -> date:
        return _utc(at).astimezone(self.tz).date()

    def label(self, dim: str, key: str) -> str:
        if dim == "hall":
            return self.name
        if dim == "queue":
            return f"{key} {self.queues[key]}" if key in self.queues else key
        if dim == "counter":
            if key == ONLINE_COUNTER:
                return "网上受理"
            return self.counters.get(int(key), f"{key}号窗口") if key.isdigit() else UNKNOWN
        if dim == "clerk":
            return self.clerks.get(key, key or UNKNOWN) if key else UNKNOWN
        if dim == "item":
            return str(self.items[key]["name"]) if key in self.items else key or UNKNOWN
        return key


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def hall_info(conn: Connection, code: str) -> HallInfo | None:
    row = conn.execute(select(t.halls).where(t.halls.c.code == code)).first()
    if row is None:
        return None
    config = row.config
    items = {r.code: dict(r._mapping) for r in conn.execute(select(t.items).where(t.items.c.hall == code))}
    comprehensive = comprehensive_counters(config, items.values(), department_names(conn, code))
    clerks = {r.username: r.display_name or r.username
              for r in conn.execute(select(t.users.c.username, t.users.c.display_name)
                                    .where(or_(t.users.c.hall == code, t.users.c.hall.is_(None))))}
    return HallInfo(code, row.name, ZoneInfo(config.get("timezone", "Asia/Shanghai")),
                    {q["code"]: q["name"] for q in config.get("queues", [])},
                    {int(c["number"]): c["name"] for c in config.get("counters", [])}, comprehensive, clerks, items)


def _seconds(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    if isinstance(a, str):
        a = datetime.fromisoformat(a)
    if isinstance(b, str):
        b = datetime.fromisoformat(b)
    return (_utc(b) - _utc(a)).total_seconds()


DayResult = dict[tuple[str, str], Agg]


def compute_day(conn: Connection, info: HallInfo, day: date) -> tuple[DayResult, dict[str, list[int]]]:
    """Every dimension's Agg for one hall-local day, and the hall's arrivals and services per hour."""
    out: DayResult = defaultdict(Agg)
    hours = {"arrivals_h": [0] * 24, "served_h": [0] * 24}
    start, end = info.day_bounds(day)

    # cases received (applications) or accepted this day; the items of the day's tickets
    case_rows = conn.execute(
        select(cases.c.id, cases.c.day, cases.c.item_code, cases.c.department, cases.c.time_limit_days,
               cases.c.accepted_at, cases.c.ticket_id, cases.c.counter, cases.c.received_by, cases.c.channel,
               cases.c.departments, cases.c.paperless, cases.c.standardized, cases.c.comprehensive,
               cases.c.status, cases.c.updated_at)
        .where(cases.c.hall == info.code,
               or_(cases.c.day == day, and_(cases.c.accepted_at >= start, cases.c.accepted_at < end)))).all()
    ticket_items: dict[str, list[str]] = defaultdict(list)
    accepted = [r for r in case_rows if r.accepted_at is not None and start <= _utc(r.accepted_at) < end]
    decided: dict[int, list[date]] = defaultdict(list)
    if accepted:  # when each was decided (a joint case: when its last department approved, 联审联办)

        ids = [r.id for r in accepted]
        steps: dict[int, list[tuple[str, str | None, Any]]] = defaultdict(list)
        for ev in conn.execute(select(case_events.c.case_id, case_events.c.status, case_events.c.department,
                                      case_events.c.at).where(case_events.c.case_id.in_(ids))
                               .order_by(case_events.c.id)):
            steps[ev.case_id].append((ev.status, ev.department, ev.at))
        for r in accepted:
            at = case_decision(r.status, steps.get(r.id, []), r.updated_at)
            if at is not None:
                decided[r.id].append(info.local_day(at))

    def case_keys(r: Any) -> list[tuple[str, str]]:
        item = info.items.get(r.item_code)
        keys = [("hall", info.code), ("item", r.item_code)]
        if item is not None:
            keys.append(("queue", item["queue"]))
        online = r.counter is None and r.channel == "online"
        keys.append(("counter", str(r.counter) if r.counter is not None else ONLINE_COUNTER if online else ""))
        keys.append(("clerk", r.received_by or ""))
        return keys

    for r in case_rows:
        if r.ticket_id:
            ticket_items[r.ticket_id].append(r.item_code)
        if r.day == day:
            for key in case_keys(r):
                out[key].add_application()
    for r in accepted:  # the facts recorded at receipt (docs/kpis.md); None: unknown
        joint = bool([d for d in (r.departments or []) if d and d != r.department])
        immediate = is_immediate(info.local_day(r.accepted_at), decided.get(r.id, []))
        for key in case_keys(r):
            out[key].add_case(immediate, joint, r.paperless, r.standardized, (r.channel or "counter") == "online",
                              r.comprehensive)

    # tickets of the day
    tickets: dict[str, tuple[str, str, str]] = {}  # id -> queue, counter, clerk (for ratings)
    for tr in conn.execute(select(t.tickets.c.id, t.tickets.c.queue, t.tickets.c.status, t.tickets.c.counter,
                                 t.tickets.c.issued_at, t.tickets.c.called_at, t.tickets.c.finished_at,
                                 t.tickets.c.data)
                          .where(t.tickets.c.hall == info.code, t.tickets.c.day == day)):
        data = tr.data or {}
        wait = _seconds(tr.issued_at, tr.called_at)
        service = _seconds(data.get("started_at") or tr.called_at, tr.finished_at) if tr.status == "done" else None
        counter = str(tr.counter) if tr.counter is not None else ""
        clerk = data.get("served_by") or ""
        comprehensive = tr.counter in info.comprehensive
        keys = [("hall", info.code), ("queue", tr.queue)]
        if counter:
            keys.append(("counter", counter))
        if tr.called_at is not None:
            keys.append(("clerk", clerk))
        keys.extend(("item", code) for code in dict.fromkeys(ticket_items.get(tr.id, [])))
        for key in keys:
            out[key].add_ticket(tr.status, wait, service, comprehensive)
        tickets[tr.id] = (tr.queue, counter, clerk)
        hours["arrivals_h"][_utc(tr.issued_at).astimezone(info.tz).hour] += 1
        if tr.status == "done" and tr.finished_at is not None:
            hours["served_h"][_utc(tr.finished_at).astimezone(info.tz).hour] += 1

    # ratings given this day
    for rr in conn.execute(select(t.ratings.c.ticket_id, t.ratings.c.counter, t.ratings.c.clerk, t.ratings.c.level)
                          .where(t.ratings.c.hall == info.code, t.ratings.c.at >= start, t.ratings.c.at < end)):
        keys = [("hall", info.code), ("counter", str(rr.counter)), ("clerk", rr.clerk or "")]
        known = tickets.get(rr.ticket_id)
        if known is not None:
            keys.append(("queue", known[0]))
        else:
            queue = conn.scalar(select(t.tickets.c.queue).where(t.tickets.c.id == rr.ticket_id))
            if queue:
                keys.append(("queue", queue))
        keys.extend(("item", code) for code in dict.fromkeys(ticket_items.get(rr.ticket_id, [])))
        for key in keys:
            out[key].add_rating(int(rr.level))
    out.setdefault(("hall", info.code), Agg())
    return dict(out), hours


def roll_up(conn: Connection, info: HallInfo, day: date, now: datetime) -> DayResult:
    """Compute a past day and keep it (replacing an earlier roll-up of it)."""
    result, hours = compute_day(conn, info, day)
    store.save_day(conn, info.code, day, [(dim, key, info.label(dim, key), agg.to_json())
                                          for (dim, key), agg in result.items()], hours, now)
    return result


def missing_days(db: Any, info: HallInfo, days: list[date]) -> list[date]:
    if not days:
        return []
    with db.reader.connect() as conn:
        done = store.rolled_days(conn, info.code, min(days), max(days))
    return [d for d in days if d not in done]


def ensure_days(db: Any, info: HallInfo, days: list[date], now: datetime) -> int:
    """Roll up every past day of ``days`` that has no roll-up yet; returns how many were built."""
    missing = missing_days(db, info, days)
    for day in missing:
        with db.writer.begin() as conn:
            roll_up(conn, info, day, now)
    return len(missing)


def read_days(conn: Connection, info: HallInfo, first: date, last: date, dim: str) -> DayResult:
    """The summed roll-ups of [first, last] for one dimension."""
    out: DayResult = defaultdict(Agg)
    for key, agg in store.daily_rows(conn, info.code, first, last, dim):
        out[(dim, key)] += Agg.from_json(agg)
    return dict(out)
