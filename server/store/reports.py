"""Reading and writing the daily roll-ups and the report exports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from .tables_reports import report_daily, report_days, report_exports


def save_day(conn: Connection, hall: str, day: date, rows: list[tuple[str, str, str, dict[str, Any]]],
             hours: dict[str, list[int]], now: datetime) -> None:
    conn.execute(delete(report_daily).where(report_daily.c.hall == hall, report_daily.c.day == day))
    conn.execute(delete(report_days).where(report_days.c.hall == hall, report_days.c.day == day))
    values = [{"hall": hall, "day": day, "dim": dim, "key": key[:64], "label": label[:200],
               "agg": dict(agg, **hours) if dim == "hall" else agg} for dim, key, label, agg in rows]
    if values:
        conn.execute(insert(report_daily), values)
    conn.execute(insert(report_days).values(hall=hall, day=day, computed_at=now))


def rolled_days(conn: Connection, hall: str, first: date, last: date) -> set[date]:
    return set(conn.scalars(select(report_days.c.day).where(report_days.c.hall == hall, report_days.c.day >= first,
                                                            report_days.c.day <= last)))


def daily_rows(conn: Connection, hall: str, first: date, last: date, dim: str) -> Iterator[tuple[str, dict[str, Any]]]:
    query = (select(report_daily.c.key, report_daily.c.agg)
             .where(report_daily.c.hall == hall, report_daily.c.dim == dim, report_daily.c.day >= first,
                    report_daily.c.day <= last))
    for r in conn.execute(query):
        yield r.key, r.agg


def hall_hours(conn: Connection, hall: str, days: list[date]) -> dict[date, dict[str, Any]]:
    query = (select(report_daily.c.day, report_daily.c.agg)
             .where(report_daily.c.hall == hall, report_daily.c.dim == "hall", report_daily.c.day.in_(days)))
    return {r.day: r.agg for r in conn.execute(query)}


def create_export(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(report_exports).values(**values))


def update_export(conn: Connection, export_id: str, **values: Any) -> None:
    conn.execute(update(report_exports).where(report_exports.c.id == export_id).values(**values))


def get_export(conn: Connection, hall: str, export_id: str, with_content: bool = False) -> dict[str, Any] | None:
    cols = [c for c in report_exports.c if with_content or c.name != "content"]
    row = conn.execute(select(*cols).where(report_exports.c.id == export_id, report_exports.c.hall == hall)).first()
    return dict(row._mapping) if row is not None else None
