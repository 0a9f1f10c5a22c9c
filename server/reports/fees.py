"""The daily fee summary (收费, seed art. 3(二), 12): for each day of a report's period, per item and per
counter, the amount collected by settlement (窗口缴费, 网上缴费), and the charges waived (减免: how many,
and the amount let off). Read live from the charges (server/store/fees.py); definition: docs/kpis.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from server.domain.fees import yuan
from server.store import fees as store

from .rollup import HallInfo

NO_COUNTER = "未在窗口"

# The export's columns for the fee summary: key, header.
FEE_COLUMNS: list[tuple[str, str]] = [
    ("day", "日期"), ("key", "编号"), ("label", "名称"), ("window", "窗口缴费(元)"), ("online", "网上缴费(元)"),
    ("collected", "收费合计(元)"), ("waived", "减免笔数"), ("waived_amount", "减免金额(元)"), ("charges", "登记笔数"),
]
FEE_SECTIONS = {"by_item": "收费日汇总（按事项）", "by_counter": "收费日汇总（按窗口）"}


def _figures(window: int, online: int, waived_fen: int, waived: int, charges: int) -> dict[str, Any]:
    return {"window": yuan(window), "online": yuan(online), "collected": yuan(window + online),
            "collected_fen": window + online, "waived": waived, "waived_amount": yuan(waived_fen),
            "charges": charges}


def fee_summary(conn: Connection, info: HallInfo, first: date, last: date) -> dict[str, Any]:
    """{by_item: [...], by_counter: [...], total}: one row per day and key, amounts in yuan as text
    (two decimals) and the collected sum in fen too."""
    out: dict[str, Any] = {}
    for section, by in (("by_item", "item"), ("by_counter", "counter")):
        rows = []
        for r in store.summary(conn, info.code, first, last, by):
            key = "" if r["key"] is None else str(r["key"])
            label = info.label(by, key) if key else NO_COUNTER
            rows.append({"day": r["day"].isoformat(), "key": key, "label": label,
                         **_figures(r["window_fen"], r["online_fen"], r["waived_fen"], r["waived"], r["charges"])})
        out[section] = rows
    every = store.summary(conn, info.code, first, last, "item")
    out["total"] = _figures(*(sum(r[k] for r in every) for k in ("window_fen", "online_fen", "waived_fen", "waived",
                                                                   "charges")))
    return out
