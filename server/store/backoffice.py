"""What a department's workbench reads: the cases it must decide (its part, ``case_parts``), each
with its timeline, every department's part and the item's materials. Synchronous Core, run
through engine.read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from . import cases as case_store
from . import catalog
from .tables_cases import case_parts, cases

# The case still moves (decided by the departments, or waiting for the lead to hand the result over).
OPEN = ("accepted", "in_review", "supplement", "approved", "rejected")
DECIDED = ("approved", "rejected")


def department_cases(conn: Connection, hall: str, department: str, decided_since: datetime) -> list[dict[str, Any]]:
    """The hall's cases ``department`` has a part in that still move, and those whose part it
    decided since ``decided_since``; each row with ``timeline``, ``parts`` and ``item_materials``."""
    since = decided_since.astimezone(UTC)
    receipts = conn.scalars(select(cases.c.receipt_no)
                       .select_from(cases.join(case_parts, case_parts.c.case_id == cases.c.id))
                       .where(cases.c.hall == hall, case_parts.c.department == department,
                              or_(cases.c.status.in_(OPEN),
                                  and_(case_parts.c.status.in_(DECIDED), case_parts.c.updated_at >= since)))
                       .order_by(cases.c.id)).all()
    materials: dict[str, list[str]] = {}
    out = []
    for receipt_no in receipts:
        row = case_store.by_receipt(conn, receipt_no)
        if row is not None:
            out.append(_complete(conn, row, materials))
    return out


def department_case(conn: Connection, receipt_no: str) -> dict[str, Any] | None:
    """One case as the workbench shows it (with ``timeline``, ``parts`` and ``item_materials``)."""
    row = case_store.by_receipt(conn, receipt_no)
    return _complete(conn, row, {}) if row is not None else None


def _complete(conn: Connection, row: dict[str, Any], materials: dict[str, list[str]]) -> dict[str, Any]:
    code = row["item_code"]
    if code not in materials:
        item = catalog.item_view(conn, row["hall"], code)
        materials[code] = list(item["materials"]) if item else []
    return {**row, "timeline": case_store.timeline(conn, row["id"]), "parts": case_store.parts_of(conn, row["id"]),
            "item_materials": materials[code]}
