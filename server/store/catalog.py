"""A hall's departments and its service-item catalog (tables_catalog.py, tables.items)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from server.domain.catalog import CatalogItem, material_detail

from . import tables as t
from .tables_catalog import departments


def department_list(conn: Connection, hall: str, active_only: bool = False) -> list[dict[str, Any]]:
    """The hall's departments in the order pages list them: {code, name, active}."""
    query = select(departments.c.code, departments.c.name, departments.c.active).where(departments.c.hall == hall)
    if active_only:
        query = query.where(departments.c.active.is_(True))
    rows = conn.execute(query.order_by(departments.c.position, departments.c.code))
    return [{"code": code, "name": name, "active": bool(active)} for code, name, active in rows]


def department(conn: Connection, hall: str, code: str) -> dict[str, Any] | None:
    """One department by its code, retired or not; None when the hall has none by that code."""
    row = conn.execute(select(departments.c.code, departments.c.name, departments.c.active)
                       .where(departments.c.hall == hall, departments.c.code == code)).first()
    return {"code": row.code, "name": row.name, "active": bool(row.active)} if row else None


def put_department(conn: Connection, hall: str, code: str, name: str) -> dict[str, Any] | None:
    """Creates the department (last in order) or renames it, making it active again; the one before."""
    before = department(conn, hall, code)
    if before is None:
        position = conn.scalar(select(departments.c.position).where(departments.c.hall == hall)
                               .order_by(departments.c.position.desc()).limit(1))
        conn.execute(insert(departments).values(hall=hall, code=code, name=name, active=True,
                                                position=(position or 0) + 1))
    else:
        conn.execute(update(departments).where(departments.c.hall == hall, departments.c.code == code)
                     .values(name=name, active=True))
    return before


def item_codes_of_department(conn: Connection, hall: str, code: str) -> list[str]:
    return list(conn.scalars(select(t.items.c.code).where(t.items.c.hall == hall, t.items.c.department == code)))


def _item_view(r: Any, names: dict[str, str]) -> dict[str, Any]:
    joint = list(r.departments or [r.department])
    return {
        "code": r.code, "name": r.name, "queue": r.queue, "department": r.department,
        "department_name": names.get(r.department, r.department), "departments": joint,
        "department_names": [names.get(d, d) for d in joint], "time_limit_days": r.time_limit_days,
        "statutory_days": r.statutory_days, "materials": list(r.materials),
        "materials_detail": [material_detail(m) for m in r.materials], "fee": r.fee or "",
        "legal_basis": r.legal_basis or "", "acceptance_standard": r.acceptance_standard or "",
        "immediate": bool(r.immediate), "online": bool(r.online), "star": r.star, "pinyin": r.pinyin,
    }


def department_names(conn: Connection, hall: str) -> dict[str, str]:
    rows = conn.execute(select(departments.c.code, departments.c.name).where(departments.c.hall == hall))
    return {code: name for code, name in rows}


def items_of(conn: Connection, hall: str) -> list[dict[str, Any]]:
    """The hall's catalog in its order (the file's rows; items added one by one go last)."""
    names = department_names(conn, hall)
    rows = conn.execute(select(t.items).where(t.items.c.hall == hall)
                        .order_by(t.items.c.position.is_(None), t.items.c.position, t.items.c.queue, t.items.c.code))
    return [_item_view(r, names) for r in rows]


def item_view(conn: Connection, hall: str, code: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.items).where(t.items.c.hall == hall, t.items.c.code == code)).first()
    return _item_view(row, department_names(conn, hall)) if row else None


def _item_row(hall: str, item: CatalogItem, position: int | None) -> dict[str, Any]:
    return {"hall": hall, "code": item.code, "name": item.name, "queue": item.queue, "department": item.department,
            "departments": [item.department, *(d for d in item.departments if d != item.department)],
            "time_limit_days": item.time_limit_days, "statutory_days": item.statutory_days,
            "materials": list(item.materials), "fee": item.fee, "legal_basis": item.legal_basis,
            "acceptance_standard": item.acceptance_standard, "immediate": item.immediate, "online": item.online,
            "star": item.star, "pinyin": item.pinyin, "position": position}


def put_item(conn: Connection, hall: str, item: CatalogItem) -> dict[str, Any] | None:
    """Creates the item (last in order) or replaces it in place; the one before."""
    before = item_view(conn, hall, item.code)
    if before is None:
        last = conn.scalar(select(func.max(t.items.c.position)).where(t.items.c.hall == hall))
        conn.execute(insert(t.items).values(_item_row(hall, item, (last or 0) + 1)))
    else:
        values = _item_row(hall, item, None)
        del values["position"]
        conn.execute(update(t.items).where(t.items.c.hall == hall, t.items.c.code == item.code).values(values))
    return before


def delete_item(conn: Connection, hall: str, code: str) -> dict[str, Any] | None:
    before = item_view(conn, hall, code)
    if before is not None:
        conn.execute(delete(t.items).where(t.items.c.hall == hall, t.items.c.code == code))
    return before


def replace_items(conn: Connection, hall: str, items: list[CatalogItem]) -> None:
    """The whole catalog at once, in the given order (an import); cases keep the items' code and
    name as they were when received, so an item left out of the file loses nothing of its history."""
    conn.execute(delete(t.items).where(t.items.c.hall == hall))
    if items:
        conn.execute(insert(t.items), [_item_row(hall, item, n) for n, item in enumerate(items, start=1)])


def departments_in_use(conn: Connection, hall: str, code: str) -> tuple[list[str], list[str]]:
    """The items (as lead or joint department) and the active accounts that name the department."""
    rows = conn.execute(select(t.items.c.code, t.items.c.department, t.items.c.departments)
                        .where(t.items.c.hall == hall))
    items = [r.code for r in rows if r.department == code or code in (r.departments or [])]
    users = list(conn.scalars(select(t.users.c.username).where(
        t.users.c.hall == hall, t.users.c.department == code, t.users.c.active.is_(True))))
    return items, users


def move_department(conn: Connection, hall: str, code: str, position: int) -> None:
    """Puts the department at ``position`` (1 = first) and numbers the others around it."""
    order = [d["code"] for d in department_list(conn, hall) if d["code"] != code]
    order.insert(min(max(position, 1), len(order) + 1) - 1, code)
    for n, each in enumerate(order, start=1):
        conn.execute(update(departments).where(departments.c.hall == hall, departments.c.code == each)
                     .values(position=n))


def retire_department(conn: Connection, hall: str, code: str) -> None:
    conn.execute(update(departments).where(departments.c.hall == hall, departments.c.code == code)
                 .values(active=False))
