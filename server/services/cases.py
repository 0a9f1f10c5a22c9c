"""Cases (办件) as the other rooms need them: the case object anyone entitled to it sees, its papers
(接件回执, 一次性告知书), its lookup by status token, the cases due, and what happens after a change.

After every change, ``case_changed`` publishes ``case.updated`` on the case's bus channel (the
visitor's /c page) and runs the context's ``case_hooks`` (the visitor's messages, server/jobs).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from server.channels import case_channel
from server.context import AppContext
from server.domain import cases as domain
from server.domain.hall import Hall
from server.domain.identity import mask_name
from server.domain.views import iso
from server.store import cases as store

from .calendar import work_calendar

log = logging.getLogger("onewindow")


async def case_changed(context: AppContext, case_obj: dict[str, Any]) -> None:
    """Publishes ``case.updated`` on the case's bus channel, then runs every case hook; a failing
    hook is logged and never undoes the change."""
    await context.bus.publish(case_channel(case_obj["status_token"]), {"type": "case.updated", "case": case_obj})
    for hook in list(context.case_hooks):
        try:
            await hook(context, case_obj)
        except Exception:
            log.exception("case hook %r failed for %s", hook, case_obj.get("receipt_no"))


async def case_contact(context: AppContext, receipt_no: str) -> str | None:
    """The applicant's phone, for notifications only (never in a case object)."""
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    return str(row["phone"]) if row and row["phone"] else None


async def case_summary(context: AppContext, receipt_no: str) -> dict[str, Any] | None:
    """For the counter's view of a linked L ticket: {receipt_no, status, status_label, item, applicant,
    due_at, due_provisional}, or None for an unknown receipt."""
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None:
        return None
    hall = await context.engine.hall(row["hall"])
    full = case_object(hall, row, None)
    return {k: full[k] for k in ("receipt_no", "status", "status_label", "item", "applicant", "due_at",
                                 "due_provisional", "tracking_no")}


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def case_object(hall: Hall, row: dict[str, Any], timeline: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The case as anyone entitled to it sees it: never the ID number or the phone."""
    out: dict[str, Any] = {
        "receipt_no": row["receipt_no"], "status": row["status"], "status_label": domain.label(row["status"]),
        "item": {"code": row["item_code"], "name": row["item_name"], "department": row["department"]},
        "applicant": {"masked_name": mask_name(row["applicant_name"])},
        "received_at": iso(row["received_at"], hall), "accepted_at": iso(row["accepted_at"], hall),
        "due_at": _date(row["due_at"]), "due_provisional": bool(row["due_provisional"]),
        "time_limit_days": row["time_limit_days"], "status_token": row["status_token"],
        "materials_missing": list(row["materials_missing"]), "ticket_number": row["ticket_number"],
        "tracking_no": row["tracking_no"], "hall": {"code": hall.config.code, "name": hall.config.name},
    }
    if timeline is not None:
        out["timeline"] = [{"status": e["status"], "status_label": domain.label(e["status"]),
                            "at": iso(e["at"], hall), "note": e["note"]} for e in timeline]
    return out


def notice_data(row: dict[str, Any]) -> dict[str, Any] | None:
    """The one-time notice (一次性告知书) of an incomplete case: every missing material at once."""
    missing = list(row["materials_missing"])
    if not missing:
        return None
    return {"title": "一次性告知书", "missing": missing, "text": domain.missing_notice_text(row["item_name"], missing)}


def _local(at: datetime | None, hall: Hall) -> str:
    return at.astimezone(hall.tz).strftime("%Y-%m-%d %H:%M") if at else ""


def has_receipt(row: dict[str, Any]) -> bool:
    """Only a case formally accepted (正式受理) has a 接件回执 (seed art. 16(三)); an incomplete
    application gets the 一次性告知书 alone (art. 11, 26), and its number is a record, not a receipt."""
    return row["accepted_at"] is not None


def contact_line(hall: Hall) -> str:
    """咨询电话：87711892, the hall's own line (a hall setting); empty while the hall has set none."""
    return f"咨询电话：{hall.config.phone}" if hall.config.phone else ""


def receipt_document(hall: Hall, row: dict[str, Any], materials: list[str], base_url: str) -> dict[str, Any]:
    """devices.printer.escpos.CaseReceipt's fields (接件回执); the applicant masked."""
    due = _date(row["due_at"]) or "材料补齐后计算"
    if row["due_at"] and row["due_provisional"]:
        due += "（暂定）"
    missing = set(row["materials_missing"])
    return {"hall_name": hall.config.name, "receipt_no": row["receipt_no"], "item_name": row["item_name"],
            "department": row["department"], "applicant_masked": mask_name(row["applicant_name"]),
            "accepted_at": _local(row["accepted_at"] or row["received_at"], hall), "due_at": due,
            "materials": [m for m in materials if m not in missing],
            "qr_url": f"{base_url.rstrip('/')}/c/{row['status_token']}", "contact": contact_line(hall)}


def notice_document(hall: Hall, row: dict[str, Any], counter: int, now: datetime) -> dict[str, Any]:
    """devices.printer.escpos.MissingNotice's fields (一次性告知书); the applicant masked."""
    config = next((c for c in hall.config.counters if c.number == counter), None)
    return {"hall_name": hall.config.name, "item_name": row["item_name"],
            "applicant_masked": mask_name(row["applicant_name"]), "missing": list(row["materials_missing"]),
            "counter": config.name if config else f"{counter}号窗口", "issued_at": _local(now, hall),
            "contact": contact_line(hall)}


async def with_timeline(context: AppContext, row: dict[str, Any]) -> dict[str, Any]:
    hall = await context.engine.hall(row["hall"])
    events = await context.engine.read(lambda conn: store.timeline(conn, row["id"]))
    return case_object(hall, row, events)


async def case_by_token(context: AppContext, token: str) -> dict[str, Any] | None:
    """The case object (with timeline) behind a status token, or None: for the /c page and its feed."""
    row = await context.engine.read(lambda conn: store.by_token(conn, token))
    return await with_timeline(context, row) if row is not None else None


async def cases_due(context: AppContext, hall: Hall) -> dict[str, list[dict[str, Any]]]:
    """Pending cases due by the next working day (``soon``) and past due (``overdue``)."""
    today = hall.local_day(context.clock.now())
    horizon, _ = (await work_calendar(context)).add_working_days(today, 1)
    code = hall.config.code
    rows = await context.engine.read(lambda conn: store.of_hall(conn, code, sorted(domain.PENDING)))
    due = [r for r in rows if r["due_at"] is not None]
    return {"soon": [case_object(hall, r, None) for r in due if today <= r["due_at"] <= horizon],
            "overdue": [case_object(hall, r, None) for r in due if r["due_at"] < today]}
