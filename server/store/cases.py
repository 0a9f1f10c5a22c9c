"""Reading and writing cases and their timeline. Synchronous Core, run through engine.read/write.

Times are stored in UTC; SQLite hands them back naive, so every read puts UTC back on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from . import catalog
from . import tables as t
from .tables_cases import case_events, case_parts, cases
from .tables_catalog import departments


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row._mapping)
    for name in ("received_at", "accepted_at", "updated_at"):
        out[name] = _utc(out[name])
    out["materials_missing"] = list(out["materials_missing"] or [])
    return out


def item(conn: Connection, hall: str, code: str) -> dict[str, Any] | None:
    """The catalog's item with its department's name (server/store/catalog.py)."""
    return catalog.item_view(conn, hall, code)


def next_receipt_no(conn: Connection, prefix: str, day: date) -> str:
    """``prefix`` + yyyymmdd + a 4-digit sequence, per prefix (one per hall) per day."""
    head = f"{prefix}{day:%Y%m%d}"
    last = conn.scalar(select(func.max(cases.c.receipt_no)).where(cases.c.receipt_no.like(head + "%")))
    serial = int(str(last)[len(head):]) + 1 if last else 1
    return f"{head}{serial:04d}"


def insert_case(conn: Connection, values: dict[str, Any], note: str | None, actor: str | None) -> int:
    key = conn.execute(insert(cases).values(**values)).inserted_primary_key
    assert key is not None
    case_id = int(key[0])
    add_event(conn, case_id, values["status"], values["received_at"], note, actor)
    return case_id


def add_event(conn: Connection, case_id: int, status: str, at: datetime, note: str | None,
              actor: str | None, department: str | None = None) -> None:
    conn.execute(insert(case_events).values(case_id=case_id, status=status, at=at, note=note, actor=actor,
                                            department=department))


def add_parts(conn: Connection, case_id: int, departments: list[str], at: datetime) -> None:
    """The case's departments, the lead first, each with its part still to decide."""
    conn.execute(insert(case_parts), [
        {"case_id": case_id, "department": code, "lead": n == 0, "status": "pending", "updated_at": at}
        for n, code in enumerate(departments)])


def parts_of(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    """Each department's part, the lead first, with the department's name."""
    rows = conn.execute(select(case_parts, departments.c.name)
                        .select_from(case_parts.join(cases, cases.c.id == case_parts.c.case_id)
                                     .outerjoin(departments, (departments.c.hall == cases.c.hall)
                                                & (departments.c.code == case_parts.c.department)))
                        .where(case_parts.c.case_id == case_id)
                        .order_by(case_parts.c.lead.desc(), case_parts.c.department)).all()
    return [{"department": r.department, "department_name": r.name or r.department, "lead": bool(r.lead),
             "status": r.status, "note": r.note, "updated_at": _utc(r.updated_at), "actor": r.actor} for r in rows]


def set_part(conn: Connection, case_id: int, department: str, status: str, note: str | None, at: datetime,
             actor: str | None) -> None:
    conn.execute(update(case_parts).where(case_parts.c.case_id == case_id, case_parts.c.department == department)
                 .values(status=status, note=note, updated_at=at, actor=actor))


def update_case(conn: Connection, case_id: int, expected_status: str, values: dict[str, Any]) -> bool:
    """Only while the case is still in ``expected_status`` (two clerks at once: one wins)."""
    result = conn.execute(update(cases).where(cases.c.id == case_id, cases.c.status == expected_status)
                          .values(**values))
    return bool(result.rowcount)


def by_receipt(conn: Connection, receipt_no: str) -> dict[str, Any] | None:
    return _row(conn.execute(select(cases).where(cases.c.receipt_no == receipt_no)).first())


def by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    return _row(conn.execute(select(cases).where(cases.c.status_token == token)).first())


def timeline(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    """Every step, oldest first; a department's own step carries its code and name."""
    rows = conn.execute(select(case_events.c.status, case_events.c.at, case_events.c.note, case_events.c.department,
                               departments.c.name)
                        .select_from(case_events.join(cases, cases.c.id == case_events.c.case_id)
                                     .outerjoin(departments, (departments.c.hall == cases.c.hall)
                                                & (departments.c.code == case_events.c.department)))
                        .where(case_events.c.case_id == case_id).order_by(case_events.c.id)).all()
    return [{"status": r.status, "at": _utc(r.at), "note": r.note, "department": r.department,
             "department_name": (r.name or r.department) if r.department else None} for r in rows]


def of_hall(conn: Connection, hall: str, statuses: list[str]) -> list[dict[str, Any]]:
    rows = conn.execute(select(cases).where(cases.c.hall == hall, cases.c.status.in_(statuses))
                        .order_by(cases.c.due_at, cases.c.id)).all()
    return [r for r in (_row(row) for row in rows) if r is not None]


def user_department(conn: Connection, user_id: int) -> str | None:
    value = conn.scalar(select(t.users.c.department).where(t.users.c.id == user_id))
    return str(value) if value else None


def ticket_row(conn: Connection, ticket_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.tickets.c.id, t.tickets.c.hall, t.tickets.c.number)
                       .where(t.tickets.c.id == ticket_id)).first()
    return dict(row._mapping) if row is not None else None
