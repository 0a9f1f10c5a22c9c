"""Loaded holiday tables, one row per year."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select

from server.domain.workdays import HolidayTable

from .tables_calendar import calendar_years


def load_tables(conn: Connection) -> dict[int, HolidayTable]:
    return {row.year: HolidayTable(row.year, frozenset(date.fromisoformat(d) for d in row.holidays),
                                   frozenset(date.fromisoformat(d) for d in row.workdays))
            for row in conn.execute(select(calendar_years))}


def source_of(conn: Connection, year: int) -> str | None:
    return conn.scalar(select(calendar_years.c.source).where(calendar_years.c.year == year))


def save_table(conn: Connection, table: HolidayTable, source: str, who: str, at: datetime) -> None:
    conn.execute(delete(calendar_years).where(calendar_years.c.year == table.year))
    conn.execute(insert(calendar_years).values(
        year=table.year, holidays=sorted(d.isoformat() for d in table.holidays),
        workdays=sorted(d.isoformat() for d in table.workdays), source=source, loaded_by=who, loaded_at=at))
