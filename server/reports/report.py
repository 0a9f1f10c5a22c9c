"""A report: a period (day, Monday–Sunday week, calendar month) of one hall by one dimension."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from .consultations import consultation_summary
from .departments import department_report
from .fees import fee_summary
from .kpis import Agg, row
from .rollup import DIMS, DayResult, HallInfo, compute_day, ensure_days, hall_info, missing_days, read_days

PERIODS = ("day", "week", "month")


class UnknownHallError(LookupError):
    pass


def period_bounds(period: str, day: date) -> tuple[date, date]:
    if period == "day":
        return day, day
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if period == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first, nxt - timedelta(days=1)
    raise ValueError(period)


def _sort_key(dim: str, key: str) -> tuple[int, str]:
    return (int(key), "") if dim == "counter" and key.isdigit() else (1 << 30, key)


def build_report(db: Any, hall: str, period: str, day: date, by: str, now: datetime,
                 progress: Any = None) -> dict[str, Any]:
    """The report; past days missing a roll-up are rolled up first (``progress(done, total)``)."""
    if by not in DIMS:
        raise ValueError(by)
    with db.reader.connect() as conn:
        info = hall_info(conn, hall)
    if info is None:
        raise UnknownHallError(hall)
    first, last = period_bounds(period, day)
    if by == "department":  # each department's cases as they stand now (art. 22): read live
        with db.reader.connect() as conn:
            rows, total = department_report(conn, info, first, last, now)
        built: dict[str, Any] = {"period": period, "from": first.isoformat(), "to": last.isoformat(), "by": by,
                                   "rows": rows, "total": total}
    else:
        built = shape(info, period, first, last, by, sum_range(db, info, first, last, by, now, progress))
    with db.reader.connect() as conn:  # the daily fee summary per item and counter (收费), whatever ``by``
        built["fees"] = fee_summary(conn, info, first, last)
        # the consultations (咨询) per day and per key of ``by``, as they stand now
        built["consultations"] = consultation_summary(conn, info, first, last, by, info.local_day(now))
    return built


def sum_range(db: Any, info: HallInfo, first: date, last: date, by: str, now: datetime,
              progress: Any = None) -> DayResult:
    """The Aggs of ``by`` and of the hall over [first, last]: roll-ups for past days, live today."""
    today = info.local_day(now)
    past = [first + timedelta(days=i) for i in range((min(last, today - timedelta(days=1)) - first).days + 1)]
    missing = missing_days(db, info, past)
    for i, d in enumerate(missing):
        ensure_days(db, info, [d], now)
        if progress is not None:
            progress(i + 1, len(missing))
    sums: DayResult = defaultdict(Agg)
    with db.reader.connect() as conn:
        if past:
            for dim in {by, "hall"}:
                for k, agg in read_days(conn, info, past[0], past[-1], dim).items():
                    sums[k] += agg
        if first <= today <= last:
            live, _ = compute_day(conn, info, today)
            for k, agg in live.items():
                if k[0] in (by, "hall"):
                    sums[k] += agg
    return sums


def shape(info: HallInfo, period: str, first: date, last: date, by: str, sums: DayResult) -> dict[str, Any]:
    keys = sorted((k for d, k in sums if d == by), key=lambda k: _sort_key(by, k))
    return {
        "period": period, "from": first.isoformat(), "to": last.isoformat(), "by": by,
        "rows": [row(k, info.label(by, k), sums[(by, k)]) for k in keys],
        "total": row(info.code, info.name, sums.get(("hall", info.code), Agg())),
    }
