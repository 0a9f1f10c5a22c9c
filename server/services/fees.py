"""Fees (收费, seed art. 3(二), 12): the item's fee standard comes from the catalog; at acceptance or
pickup the clerk records what was charged and how it was settled (窗口缴费, 网上缴费, or 减免 with the
reason). The receipt (接件回执) and the pickup slip print ``fee_line``; the reports sum each day per
item and per counter (server/reports/fees.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from server.auth import Principal
from server.context import AppContext
from server.domain import fees as domain
from server.domain.cases import UnknownCase
from server.domain.errors import Forbidden, InvalidInput
from server.domain.hall import Hall
from server.domain.views import iso
from server.store import cases as case_store
from server.store import fees as store

CHARGERS = ("clerk", "manager", "admin")


@dataclass(frozen=True)
class Charge:
    """One charge as the clerk enters it: ``fen`` already whole fen (≥ 0)."""

    fen: int
    settlement: str  # window | online | waived
    stage: str  # acceptance | pickup
    waived_reason: str | None = None
    note: str | None = None


async def _case(context: AppContext, receipt_no: str) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: case_store.by_receipt(conn, receipt_no))
    if row is None:
        raise UnknownCase()
    return row


async def standard(context: AppContext, row: dict[str, Any]) -> str:
    """The item's fee standard (收费标准) as the catalog has it now; empty when none is set."""
    item = await context.engine.read(lambda conn: case_store.item(conn, row["hall"], row["item_code"]))
    return str(item.get("fee") or "") if item else ""


def _view(hall: Hall, charge: dict[str, Any]) -> dict[str, Any]:
    return {"id": charge["id"], "amount": charge["amount_fen"] / 100, "amount_fen": charge["amount_fen"],
            "amount_text": f"{domain.yuan(charge['amount_fen'])}元", "settlement": charge["settlement"],
            "settlement_label": domain.SETTLEMENTS[charge["settlement"]], "waived_reason": charge["waived_reason"],
            "stage": charge["stage"], "stage_label": domain.STAGES[charge["stage"]], "note": charge["note"],
            "counter": charge["counter"], "actor": charge["actor"], "at": iso(charge["at"], hall)}


async def record(context: AppContext, principal: Principal, receipt_no: str, charge: Charge) -> dict[str, Any]:
    """A clerk signed in at a counter of the case's hall, or a manager of it, records a charge."""
    row = await _case(context, receipt_no)
    hall = await context.engine.hall(row["hall"])
    if principal.kind != "user" or principal.role not in CHARGERS or not principal.in_hall(row["hall"]):
        raise Forbidden("只有本大厅的窗口工作人员可以登记收费", "only the hall's clerks and managers record fees")
    counter = next((n for n, c in sorted(hall.counters.items()) if c.clerk == principal.name), None)
    if counter is None and not principal.is_manager:
        raise Forbidden("请先在窗口签到再登记收费", "sign in at a counter first")
    reason = (charge.waived_reason or "").strip() or None
    if charge.settlement == "waived" and reason is None:
        raise InvalidInput("字段 waived_reason 必填：减免须写明原因", "waived needs waived_reason", "waived_reason")
    now = context.clock.now()
    values = {"case_id": row["id"], "hall": row["hall"], "day": hall.local_day(now), "item_code": row["item_code"],
              "counter": counter, "stage": charge.stage, "amount_fen": charge.fen, "settlement": charge.settlement,
              "waived_reason": reason if charge.settlement == "waived" else None, "note": charge.note or None,
              "at": now.astimezone(UTC), "actor": principal.name}
    charge_id = await context.engine.write(lambda conn: store.add(conn, values))
    return {**_view(hall, {**values, "id": charge_id}), "receipt_no": row["receipt_no"],
            "said": domain.charge_text(charge.fen, charge.settlement, reason)}


async def of_case(context: AppContext, principal: Principal, receipt_no: str) -> dict[str, Any]:
    """The case's fee standard and its charges, for the hall's staff."""
    row = await _case(context, receipt_no)
    if principal.kind != "user" or not principal.in_hall(row["hall"]):
        raise Forbidden("只有本大厅的工作人员可以查看收费", "only the hall's staff see fees")
    hall = await context.engine.hall(row["hall"])
    charges = await context.engine.read(lambda conn: store.of_case(conn, row["id"]))
    fee = await standard(context, row)
    collected = sum(c["amount_fen"] for c in charges if c["settlement"] != "waived")
    return {"receipt_no": row["receipt_no"], "standard": fee, "free": domain.is_free(fee),
            "charges": [_view(hall, c) for c in charges], "collected_fen": collected,
            "collected_text": f"{domain.yuan(collected)}元"}


async def fee_line(context: AppContext, row: dict[str, Any]) -> str:
    """The receipt's and the pickup slip's 收费 line: 工本费10元；已登记 10.00元（窗口缴费）."""
    charges = await context.engine.read(lambda conn: store.of_case(conn, row["id"]))
    fee = await standard(context, row)
    return domain.fee_line(fee, [(c["amount_fen"], c["settlement"], c["waived_reason"]) for c in charges])
