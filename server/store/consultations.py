"""咨询登记 (tables_registers.py): record one, find a hall's by what staff search them by (newest
first, a page at a time), change one, count them per day. Synchronous Core, run through engine.read
or engine.write."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select, update

from .tables_registers import consultations as table


@dataclass(frozen=True)
class Query:
    """What to find in one hall; every criterion is optional and they all hold together.
    ``department``: a department account sees only those escalated to its department."""

    hall: str
    first: date | None = None  # hall-local days, both included
    last: date | None = None
    channel: str | None = None
    escalated: bool | None = None
    text: str | None = None  # part of the topic or of either answer
    department: str | None = None
    status: str | None = None  # open | waiting | overdue | closed (services/consultations.py STATUSES)
    today: date | None = None  # the hall's day: what is overdue


def add(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(insert(table).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def get(conn: Connection, consultation_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(table).where(table.c.id == consultation_id)).mappings().first()
    return dict(row) if row else None


def change(conn: Connection, consultation_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(table).where(table.c.id == consultation_id).values(**values))


def _where(query: Query) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [table.c.hall == query.hall]
    if query.first:
        found.append(table.c.day >= query.first)
    if query.last:
        found.append(table.c.day <= query.last)
    if query.channel:
        found.append(table.c.channel == query.channel)
    if query.escalated is not None:
        found.append(table.c.escalated.is_(query.escalated))
    if query.department:
        found.append(table.c.department == query.department)
    if query.status:
        found.extend(_standing(query.status, query.today))
    if query.text:
        found.append(or_(table.c.topic.icontains(query.text, autoescape=True),
                         table.c.answer.icontains(query.text, autoescape=True),
                         table.c.escalation_answer.icontains(query.text, autoescape=True)))
    return found


def _standing(status: str, today: date | None) -> list[ColumnElement[bool]]:
    """Where a consultation stands: ``waiting`` is sent to a department, not yet answered by it and
    not closed; ``overdue`` is that past its due date (on ``today``)."""
    if status == "closed":
        return [table.c.closed_at.is_not(None)]
    found: list[ColumnElement[bool]] = [table.c.closed_at.is_(None)]
    if status in ("waiting", "overdue"):
        found += [table.c.escalated.is_(True), table.c.escalation_answer.is_(None)]
    if status == "overdue":
        found.append(table.c.due_date < (today or date.max))
    return found


def count(conn: Connection, query: Query) -> int:
    return int(conn.scalar(select(func.count()).select_from(table).where(*_where(query))) or 0)


def page(conn: Connection, query: Query, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(table).where(*_where(query)).order_by(table.c.at.desc(), table.c.id.desc())
                        .limit(limit).offset(offset)).mappings()
    return [dict(r) for r in rows]


def per_day(conn: Connection, hall: str, first: date, last: date) -> dict[date, int]:
    """The hall's consultations counted per hall-local day, ``first`` to ``last`` included."""
    rows = conn.execute(select(table.c.day, func.count()).where(table.c.hall == hall, table.c.day >= first,
                                                                  table.c.day <= last).group_by(table.c.day))
    return {day: int(n) for day, n in rows}


def of_period(conn: Connection, hall: str, first: date, last: date) -> list[dict[str, Any]]:
    """What the reports count the hall's consultations by (server/reports/consultations.py), for those
    asked from ``first`` to ``last`` (hall-local days, both included), oldest first."""
    c = table.c
    rows = conn.execute(select(c.day, c.channel, c.item_code, c.item_name, c.first_responder, c.first_responder_name,
                               c.counter, c.escalated, c.department, c.due_date, c.escalation_answer,
                               c.escalation_answered_at, c.closed_at)
                        .where(c.hall == hall, c.day >= first, c.day <= last).order_by(c.day, c.id)).mappings()
    return [dict(r) for r in rows]


def summary(conn: Connection, query: Query, day: date) -> dict[str, int]:
    """On ``day``: those asked on site, by phone, sent to a department; now: those waiting for a
    department's answer and, of them, the overdue (on ``query.today``)."""
    on_day = replace(query, first=day, last=day)
    return {"onsite": count(conn, replace(on_day, channel="onsite")),
            "phone": count(conn, replace(on_day, channel="phone")),
            "escalated": count(conn, replace(on_day, escalated=True)),
            "waiting": count(conn, replace(query, status="waiting")),
            "overdue": count(conn, replace(query, status="overdue"))}
