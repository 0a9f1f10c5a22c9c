"""The charges on cases (tables_fees.py): record one, a case's list, a hall's days summed per item and
per counter. Synchronous Core, run through engine.read/write (or a report's own connection)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, case, func, insert, select

from .repo import utc
from .tables_fees import case_fees as fees


def add(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(insert(fees).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def of_case(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    """The case's charges, oldest first; times in UTC."""
    rows = conn.execute(select(fees).where(fees.c.case_id == case_id).order_by(fees.c.at, fees.c.id)).mappings()
    return [{**row, "at": utc(row["at"])} for row in rows]


def summary(conn: Connection, hall: str, first: date, last: date, by: str) -> list[dict[str, Any]]:
    """One row per day and ``by`` (``item_code`` or ``counter``): {day, key, window_fen, online_fen,
    waived_fen, waived, charges}, the days both included."""
    column = fees.c.item_code if by == "item" else fees.c.counter

    def total(settlement: str) -> Any:
        return func.coalesce(func.sum(case((fees.c.settlement == settlement, fees.c.amount_fen), else_=0)), 0)

    stmt = (select(fees.c.day, column.label("key"), total("window").label("window_fen"),
                   total("online").label("online_fen"), total("waived").label("waived_fen"),
                   func.sum(case((fees.c.settlement == "waived", 1), else_=0)).label("waived"),
                   func.count().label("charges"))
            .where(fees.c.hall == hall, fees.c.day >= first, fees.c.day <= last)
            .group_by(fees.c.day, column).order_by(fees.c.day, column))
    return [{"day": r["day"], "key": r["key"], "window_fen": int(r["window_fen"]), "online_fen": int(r["online_fen"]),
             "waived_fen": int(r["waived_fen"]), "waived": int(r["waived"] or 0), "charges": int(r["charges"])}
            for r in conn.execute(stmt).mappings()]
