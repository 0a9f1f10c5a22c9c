"""The case register (办件台账): a hall's cases found by what staff search them by, newest first,
and the lines of its export. Synchronous Core, run through engine.read (or the export job's own
connection).

A case is *handled* by a department when the department leads it (``cases.department``) or
decides a part of it (``case_parts``, which also holds the lead's part).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, func, or_, select

from .catalog import department_names
from .tables_cases import case_parts, cases


@dataclass(frozen=True)
class CaseQuery:
    """What to find in one hall; every criterion is optional and they all hold together.
    ``handled_by``: the scope of a department account, on top of whatever ``department`` it asked."""

    hall: str
    department: str | None = None
    handled_by: str | None = None
    statuses: tuple[str, ...] = ()
    item: str | None = None
    text: str | None = None  # a receipt number's beginning, or part of the applicant's name (any case)
    first: date | None = None  # hall-local acceptance days, both included
    last: date | None = None
    id_hash: str | None = None  # one person's cases (the keyed hash of their ID number)

    def as_json(self) -> dict[str, Any]:
        """For an export job's parameters (server/reports/jobs.py reads it back with ``from_json``)."""
        return {"hall": self.hall, "department": self.department, "handled_by": self.handled_by,
                "statuses": list(self.statuses), "item": self.item, "text": self.text,
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseQuery:
        return cls(hall=str(data["hall"]), department=data.get("department"), handled_by=data.get("handled_by"),
                   statuses=tuple(data.get("statuses") or ()), item=data.get("item"), text=data.get("text"),
                   first=_day(data.get("first")), last=_day(data.get("last")))


def _day(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw else None


def _handled_by(code: str) -> ColumnElement[bool]:
    part = exists().where(case_parts.c.case_id == cases.c.id, case_parts.c.department == code)
    return or_(cases.c.department == code, part)


def _where(query: CaseQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [cases.c.hall == query.hall]
    for code in (query.handled_by, query.department):
        if code:
            found.append(_handled_by(code))
    if query.statuses:
        found.append(cases.c.status.in_(query.statuses))
    if query.item:
        found.append(cases.c.item_code == query.item)
    if query.text:
        found.append(or_(cases.c.receipt_no.startswith(query.text.upper(), autoescape=True),
                         cases.c.applicant_name.icontains(query.text, autoescape=True)))
    if query.first:
        found.append(cases.c.day >= query.first)
    if query.last:
        found.append(cases.c.day <= query.last)
    if query.id_hash:
        found.append(cases.c.id_hash == query.id_hash)
    return found


def _newest_first(statement: Select[Any]) -> Select[Any]:
    return statement.order_by(cases.c.received_at.desc(), cases.c.id.desc())


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(row: Any) -> dict[str, Any]:
    """As server/store/cases.py reads a case: times in UTC, the missing materials a list."""
    out = dict(row._mapping)
    for name in ("received_at", "accepted_at", "updated_at"):
        out[name] = _utc(out[name])
    out["materials_missing"] = list(out["materials_missing"] or [])
    return out


def count(conn: Connection, query: CaseQuery) -> int:
    return int(conn.scalar(select(func.count()).select_from(cases).where(and_(*_where(query)))) or 0)


def page(conn: Connection, query: CaseQuery, limit: int, offset: int) -> list[dict[str, Any]]:
    """One page of the cases found, newest first (received last first)."""
    rows = conn.execute(_newest_first(select(cases).where(and_(*_where(query)))).limit(limit).offset(offset))
    return [_row(r) for r in rows]


def departments_of(conn: Connection, case_ids: list[int]) -> dict[int, list[str]]:
    """Every department that decides each case, the lead first, then the others by code; a case
    without parts (received before parts existed) has none here: its lead is ``cases.department``."""
    found: dict[int, list[str]] = {}
    if not case_ids:
        return found
    rows = conn.execute(select(case_parts.c.case_id, case_parts.c.department, case_parts.c.lead)
                        .where(case_parts.c.case_id.in_(case_ids))
                        .order_by(case_parts.c.case_id, case_parts.c.lead.desc(), case_parts.c.department))
    for r in rows:
        found.setdefault(int(r.case_id), []).append(str(r.department))
    return found


@dataclass(frozen=True)
class ExportLine:
    """A case as the register's spreadsheet shows it; ``departments`` by name, the lead first."""

    receipt_no: str
    received_at: datetime
    item_code: str
    item_name: str
    departments: list[str]
    applicant: str
    phone: str
    status: str
    due_at: date | None
    due_provisional: bool
    channel: str


def export_lines(conn: Connection, query: CaseQuery, batch: int = 500) -> Iterator[ExportLine]:
    """Every case found, newest first, a batch at a time (a year of a hall's cases never sits in
    memory at once). Each batch starts after the last one's final case, so a case received or moved
    while the export runs never shifts a line into the next batch twice."""
    names = department_names(conn, query.hall)
    where = _where(query)
    after: tuple[Any, int] | None = None
    while True:
        statement = select(cases).where(and_(*where))
        if after is not None:
            at, key = after
            statement = statement.where(or_(cases.c.received_at < at, and_(cases.c.received_at == at,
                                                                               cases.c.id < key)))
        raw = conn.execute(_newest_first(statement).limit(batch)).all()
        if not raw:
            return
        after = (raw[-1].received_at, int(raw[-1].id))  # as the database holds it, to compare again
        rows = [_row(r) for r in raw]
        parts = departments_of(conn, [int(r["id"]) for r in rows])
        for r in rows:
            codes = parts.get(int(r["id"])) or [str(r["department"])]
            lead_name = str(r.get("department_name") or names.get(str(r["department"]), r["department"]))
            shown = [lead_name if code == r["department"] else names.get(code, code) for code in codes]
            yield ExportLine(str(r["receipt_no"]), r["received_at"], str(r["item_code"]), str(r["item_name"]),
                             shown, str(r["applicant_name"] or ""), str(r["phone"] or ""), str(r["status"]),
                             r["due_at"], bool(r["due_provisional"]), str(r["channel"] or "counter"))
