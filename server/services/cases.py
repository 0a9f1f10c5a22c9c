"""Cases (办件) as the other rooms need them: the case object anyone entitled to it sees, its papers
(接件回执, 一次性告知书), its lookup by status token, the cases due, and what happens after a change.

After every change, ``case_changed`` publishes ``case.updated`` on the case's bus channel (the
visitor's /c page) and runs the context's ``case_hooks`` (the visitor's messages, server/jobs).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from server.auth import Principal
from server.channels import case_channel
from server.context import AppContext
from server.domain import cases as domain
from server.domain.cases import (
    CaseNotReady,
    CaseStatus,
    CollectorMismatch,
    NoNotice,
    NotAccepted,
    UnknownCase,
    UnknownItem,
)
from server.domain.errors import AlreadyWaiting, Forbidden, InvalidInput, UnknownCounter, UnknownTicket
from server.domain.hall import Hall
from server.domain.identity import id_hash, mask_name
from server.domain.model import Channel, Event
from server.domain.views import iso, public_ticket
from server.params import same_secret
from server.reports.facts import case_facts
from server.store import cases as store
from server.store import catalog as catalog_store

from .calendar import work_calendar
from .fees import fee_line
from .printing import send_to_counter_printer
from .tickets import print_for_kiosk

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


def case_object(hall: Hall, row: dict[str, Any], timeline: list[dict[str, Any]] | None,
                parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The case as anyone entitled to it sees it: never the ID number or the phone. ``departments``:
    every department that must decide it, the lead first; ``parts`` (when read): where each stands."""
    out: dict[str, Any] = {
        "receipt_no": row["receipt_no"], "status": row["status"], "status_label": domain.label(row["status"]),
        "item": {"code": row["item_code"], "name": row["item_name"], "department": row["department"],
                 "department_name": department_name(row)},
        "applicant": {"masked_name": mask_name(row["applicant_name"])},
        "received_at": iso(row["received_at"], hall), "accepted_at": iso(row["accepted_at"], hall),
        "due_at": _date(row["due_at"]), "due_provisional": bool(row["due_provisional"]),
        "time_limit_days": row["time_limit_days"], "status_token": row["status_token"],
        "materials_missing": list(row["materials_missing"]), "ticket_number": row["ticket_number"],
        "tracking_no": row["tracking_no"], "hall": {"code": hall.config.code, "name": hall.config.name},
        "department": row["department"], "department_name": department_name(row),
        "departments": list(row.get("departments") or [row["department"]]),
    }
    joint = len(out["departments"]) > 1
    if timeline is not None:
        # a department's own step of a joint case reads as its decision (同意), not the case's (已批准)
        out["timeline"] = [{"status": e["status"],
                            "status_label": domain.step_label(e["status"]) if joint and e.get("department")
                            else domain.label(e["status"]),
                            "at": iso(e["at"], hall), "note": e["note"], "department": e.get("department"),
                            "department_name": e.get("department_name")} for e in timeline]
    if parts is not None:
        out["parts"] = [{"department": p["department"], "department_name": p["department_name"], "lead": p["lead"],
                         "status": p["status"], "status_label": domain.part_label(p["status"]), "note": p["note"],
                         "updated_at": iso(p["updated_at"], hall)} for p in parts]
    return out


def department_name(row: dict[str, Any]) -> str:
    """The lead department as the case was received (cases from before departments had codes hold
    the name as the code)."""
    return str(row.get("department_name") or row["department"])


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
            "department": department_name(row), "applicant_masked": mask_name(row["applicant_name"]),
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
    events, parts = await context.engine.read(lambda conn: (store.timeline(conn, row["id"]),
                                                            store.parts_of(conn, row["id"])))
    return case_object(hall, row, events, parts)


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


# ---------------------------------------------------------------- receiving (受理)
PICKUP_QUEUE = "L"  # 查询发证
RECEIPT_PREFIXES = {"jinan": "JA"}  # 晋安; other halls: the first two letters of their code
PICKUP_ISSUERS = {("device", "kiosk"), ("user", "clerk"), ("user", "guide"), ("user", "manager"), ("user", "admin")}
PICKUP_CHANNELS = {"kiosk": Channel.KIOSK, "guide": Channel.GUIDE}


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str | None = None  # already checked (GB 11643); only a keyed hash and the last four are kept
    phone: str | None = None
    id_hash: str | None = None  # without the number (an online application kept only these two)
    id_last4: str | None = None


@dataclass(frozen=True)
class Reception:
    """What the clerk enters at 受理: the item, the applicant, the materials still missing."""

    item: str
    applicant: Applicant
    ticket_id: str | None = None
    materials_missing: list[str] = field(default_factory=list)
    counter: int | None = None
    channel: str | None = None  # counter (default) | online (网上办理率)
    departments: list[str] = field(default_factory=list)  # further departments (联合办理率)
    paperless: bool | None = None


def _held_counter(hall: Hall, principal: Principal) -> int | None:
    return next((n for n, c in sorted(hall.counters.items()) if c.clerk == principal.name), None)


def _last4(value: str | None) -> str | None:
    if not value:
        return None
    digits = "".join(ch for ch in value if ch.isalnum())
    return digits[-4:].upper() if len(digits) >= 4 else None


async def _row(context: AppContext, receipt_no: str) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None:
        raise UnknownCase()
    return row


async def receive(context: AppContext, principal: Principal, hall_code: str, given: Reception) -> dict[str, Any]:
    """A clerk signed in at a counter of the hall, or a manager, receives a case. With materials
    missing it is ``incomplete`` (no due date yet; the one-time notice lists every missing
    material); else ``accepted``, due after the item's time limit in Chinese working days.
    Returns the case with its timeline and the stored row."""
    hall = await context.engine.hall(hall_code)
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin") \
            or not principal.in_hall(hall_code):
        raise Forbidden("只有本大厅的窗口工作人员可以收件", "only the hall's clerks and managers receive cases")
    counter = given.counter
    if not principal.is_manager:
        held = _held_counter(hall, principal)
        if held is None:
            raise Forbidden("请先在窗口签到再收件", "sign in at a counter first")
        counter = held
    elif counter is not None and counter not in hall.counters:
        raise UnknownCounter(f"没有 {counter}号窗口", "no such counter", "counter")
    return await _receive(context, principal, hall, given, counter, None)


async def receive_online(context: AppContext, reviewer: Principal, hall_code: str, given: Reception
                         ) -> dict[str, Any]:
    """A passed online pre-review of a 4- or 5-star item (网上预审, seed art. 15(四)) received as a
    case with a receipt, at no counter, in the name of whoever pre-reviewed it (the applications
    service has checked they may). The applicant comes with the keyed hash and last four of their ID
    number: an application never keeps the number."""
    hall = await context.engine.hall(hall_code)
    return await _receive(context, reviewer, hall, replace(given, channel="online"), None, "网上预审通过，予以受理")


async def _receive(context: AppContext, principal: Principal, hall: Hall, given: Reception, counter: int | None,
                   accepted_note: str | None) -> dict[str, Any]:
    hall_code = hall.config.code
    item = await context.engine.read(lambda conn: store.item(conn, hall_code, given.item))
    if item is None:
        raise UnknownItem(f"本大厅没有事项 {given.item}", "no such item in this hall")
    materials = list(item["materials"])
    missing = list(dict.fromkeys(given.materials_missing))
    strays = [m for m in missing if m not in materials]
    if strays:
        raise InvalidInput(f"字段 materials_missing 无效：「{'、'.join(strays)}」不是该事项的材料"
                           f"（应为：{'、'.join(materials) or '无'}）", f"not materials of item {given.item}",
                           "materials_missing")
    ticket_number = await _ticket_number(context, hall, given.ticket_id)
    now = context.clock.now()
    day = hall.local_day(now)
    status = CaseStatus.INCOMPLETE if missing else CaseStatus.ACCEPTED
    due: date | None = None
    provisional = False
    if status == CaseStatus.ACCEPTED:
        due, provisional = (await work_calendar(context)).add_working_days(day, int(item["time_limit_days"]))
    applicant = given.applicant
    values: dict[str, Any] = {
        "hall": hall_code, "day": day, "item_code": item["code"], "item_name": item["name"],
        "department": item["department"], "department_name": item["department_name"],
        "time_limit_days": int(item["time_limit_days"]), "status": status.value,
        "status_token": context.new_token(16), "applicant_name": applicant.name,
        "id_hash": id_hash(context.settings.secret_key, applicant.id_number) if applicant.id_number
        else applicant.id_hash,
        "id_last4": _last4(applicant.id_number) or applicant.id_last4,
        "phone": applicant.phone, "phone_last4": _last4(applicant.phone),
        "materials_missing": missing, "received_at": now.astimezone(UTC),
        "accepted_at": now.astimezone(UTC) if status == CaseStatus.ACCEPTED else None, "due_at": due,
        "due_provisional": provisional, "ticket_id": given.ticket_id, "ticket_number": ticket_number,
        "counter": counter, "received_by": principal.name, "tracking_no": None, "updated_at": now.astimezone(UTC),
        "channel": given.channel or "counter", "paperless": given.paperless,
    }
    note = "一次性告知：缺 " + "、".join(missing) if missing else (accepted_note or "材料齐全，予以受理")
    # 首问负责 (seed art. 25): whoever took the matter first answers for it to the end
    note += f"（首问负责：{principal.display_name or principal.name}）"
    prefix = RECEIPT_PREFIXES.get(hall_code, hall_code[:2].upper())

    def insert(conn: Any) -> str:
        values["receipt_no"] = store.next_receipt_no(conn, prefix, day)
        # every department that must decide (联审联办): the item's, then any the clerk adds
        values["departments"] = deciders(conn, hall_code, item, given.departments)
        values.update(case_facts(conn, hall_code, item, counter, values["channel"]))  # art. 22 (docs/kpis.md)
        case_id = store.insert_case(conn, values, note, principal.name)
        store.add_parts(conn, case_id, values["departments"], now.astimezone(UTC))
        return str(values["receipt_no"])

    for attempt in range(5):  # two processes taking the same number: the unique index refuses one
        try:
            receipt_no = await context.engine.write(insert)
            break
        except IntegrityError:
            if attempt == 4:
                raise
    row = await _row(context, receipt_no)
    case = await with_timeline(context, row)
    await case_changed(context, case)
    return {**case, "item": row["item_code"], "item_name": row["item_name"], "department": row["department"],
            "department_name": department_name(row),
            "case": case, "receipt_url": f"/c/{row['status_token']}/receipt" if has_receipt(row) else None,
            "notice_url": f"/c/{row['status_token']}/notice", "notice": notice_data(row)}


def deciders(conn: Any, hall: str, item: dict[str, Any], added: list[str]) -> list[str]:
    """The item's departments (the lead first) and those the clerk adds, by code or name; a
    department the hall does not have is refused, naming it."""
    known = catalog_store.department_list(conn, hall, active_only=True)
    spelled = {**{d["name"]: d["code"] for d in known}, **{d["code"]: d["code"] for d in known}}
    unknown = [d for d in added if d.strip() not in spelled]
    if unknown:
        raise InvalidInput(f"本大厅没有部门「{'、'.join(unknown)}」", f"no department {unknown[0]!r} in this hall",
                           "departments")
    listed = [item["department"], *item.get("departments", []), *(spelled[d.strip()] for d in added)]
    return list(dict.fromkeys(listed))


async def _ticket_number(context: AppContext, hall: Hall, ticket_id: str | None) -> str | None:
    """The number of the ticket the case was received for (today's, or an earlier day's)."""
    if not ticket_id:
        return None
    live = hall.tickets.get(ticket_id)
    if live is not None:
        return live.number
    stored = await context.engine.read(lambda conn: store.ticket_row(conn, ticket_id))
    if stored is not None and stored["hall"] == hall.config.code:
        return str(stored["number"])
    raise UnknownTicket("本大厅没有这张票", "no such ticket in this hall", "ticket_id")


# ---------------------------------------------------------------- progress
@dataclass(frozen=True)
class Collector:
    name: str
    id_number: str


@dataclass(frozen=True)
class Progress:
    """A reported step: the new status, a note, the tracking number (mailed), who collected."""

    status: CaseStatus
    note: str | None = None
    tracking_no: str | None = None
    collector: Collector | None = None


async def _authorise(context: AppContext, principal: Principal, row: dict[str, Any], target: CaseStatus) -> None:
    if principal.kind == "user" and principal.role == "department":
        department = (await context.engine.read(lambda conn: store.user_department(conn, principal.user_id or 0))
                      if principal.user_id is not None else None)
        if department != row["department"] or (principal.hall is not None and principal.hall != row["hall"]):
            raise Forbidden(f"此办件属于{department_name(row)}，您的账号不能操作",
                            "this case belongs to another department")
        if target not in domain.DEPARTMENT_MAY_SET:
            raise Forbidden(f"部门不能将办件改为「{domain.LABELS[target]}」，请由窗口办理",
                            f"a department may not set {target.value}; a counter does")
        return
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin") \
            or not principal.in_hall(row["hall"]):
        raise Forbidden("只有承办部门或本大厅的工作人员可以更新办件", "only the department or the hall's staff")
    if target == CaseStatus.COLLECTED and principal.role != "clerk":
        raise Forbidden("领取须在窗口由工作人员核验身份后办理", "only a clerk hands over a result")


def _collection_note(context: AppContext, row: dict[str, Any], step: Progress) -> str:
    """Who collected. The collector's ID must be the applicant's (keyed hashes compared), or the
    note must say 代领 and give the collector's name (the clerk has checked the authorisation,
    委托书). A case received without an ID number: the collector is recorded as given."""
    collector = step.collector
    if collector is None:
        raise InvalidInput("领取须提供领取人姓名和身份证号", "collected needs collector", "collector")
    masked = mask_name(collector.name)
    if row["id_hash"] is None:
        return f"领取人 {masked}"
    if secrets.compare_digest(id_hash(context.settings.secret_key, collector.id_number), row["id_hash"]):
        return "申请人本人领取"
    note = step.note or ""
    if "代领" in note and collector.name in note:
        return f"由 {masked} 代领"
    raise CollectorMismatch("领取人身份证与申请人不符；代领请在备注中注明“代领”及领取人姓名",
                            "the collector is not the applicant; for an authorised collector say 代领 and the name "
                            "in note")


async def report(context: AppContext, principal: Principal, receipt_no: str, step: Progress) -> dict[str, Any]:
    """The department's user for the case's department: in_review, approved, rejected, ready, mailed.
    A clerk or manager of the case's hall: any allowed transition; ``collected`` by a clerk only.
    ``accepted`` from ``incomplete``: the missing materials were supplied, the time limit starts."""
    row = await _row(context, receipt_no)
    target = step.status
    await _authorise(context, principal, row, target)
    domain.check_transition(row["status"], target)
    hall = await context.engine.hall(row["hall"])
    now = context.clock.now()
    changes: dict[str, Any] = {"status": target.value, "updated_at": now.astimezone(UTC)}
    note = step.note
    if target == CaseStatus.MAILED:
        if not step.tracking_no:
            raise InvalidInput("邮寄须提供快递单号", "mailed needs tracking_no", "tracking_no")
        changes["tracking_no"] = step.tracking_no
        note = note or f"已邮寄，快递单号 {step.tracking_no}"
    elif target == CaseStatus.COLLECTED:
        note = _collection_note(context, row, step)
    elif target == CaseStatus.ACCEPTED:
        due, provisional = (await work_calendar(context)).add_working_days(hall.local_day(now),
                                                                          int(row["time_limit_days"]))
        changes.update(accepted_at=now.astimezone(UTC), due_at=due, due_provisional=provisional,
                       materials_missing=[])
        note = note or "材料已补齐，予以受理"

    def write(conn: Any) -> bool:
        if not store.update_case(conn, row["id"], row["status"], changes):
            return False
        store.add_event(conn, row["id"], target.value, now.astimezone(UTC), note, principal.name)
        return True

    if not await context.engine.write(write):  # someone else moved it first
        domain.check_transition((await _row(context, receipt_no))["status"], target)
        raise domain.IllegalTransition("办件状态刚刚已被更新，请刷新后重试", "the case changed meanwhile; reload")
    case = await with_timeline(context, await _row(context, receipt_no))
    await case_changed(context, case)
    return case


# ---------------------------------------------------------------- the applicant's side
def _check_matches(row: dict[str, Any], check: str | None) -> bool:
    check = (check or "").strip().upper()
    if len(check) != 4:
        return False
    return any(same_secret(check, str(v).upper()) for v in (row["id_last4"], row["phone_last4"]) if v)


async def checked_case(context: AppContext, receipt_no: str, check: str | None, address: str) -> dict[str, Any]:
    """The case's row when ``check`` is the last four of its applicant's ID number or phone; else
    UnknownCase, the same as for an unknown receipt. Misses count per (receipt, client address),
    never per address alone (the kiosk is shared): past five the pair waits, longer after each
    further miss (429), unknown receipts alike, so the answer tells nothing."""
    limiter, key, now = context.lookup_limiter, f"{receipt_no.strip().upper()}@{address}", _seconds(context)
    limiter.check(key, zh="查询次数过多，请 {s} 秒后再试", en="too many wrong checks; try again in {s} s",
                  code="too_many_attempts", now=now)
    limiter.fail(key, now)  # counted before the read: requests sent at once cannot all pass
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None or not _check_matches(row, check):
        raise UnknownCase()
    limiter.reset(key)
    return row


def _seconds(context: AppContext) -> float:
    """The limiters run on the injected clock, like everything else that waits."""
    return context.clock.now().timestamp()


async def lookup(context: AppContext, receipt_no: str, check: str | None, address: str) -> dict[str, Any]:
    """The case and its timeline, by its receipt and the check (the kiosk's 办件查询, the API)."""
    return await with_timeline(context, await checked_case(context, receipt_no, check, address))


async def by_status_token(context: AppContext, token: str) -> dict[str, Any]:
    case = await case_by_token(context, token)
    if case is None:
        raise UnknownCase()
    return case


@dataclass(frozen=True)
class Pickup:
    """The 查询发证 (L) ticket for a ready case: ``held`` when its L ticket was already waiting."""

    ticket: dict[str, Any]
    held: AlreadyWaiting | None = None


async def pickup_ticket(context: AppContext, principal: Principal, receipt_no: str, check: str, address: str,
                        base_url: str) -> Pickup:
    """An L ticket to collect a ready case's result, linked to the case (``case_receipt``); one at
    a time: a second request gets the ticket still waiting."""
    if (principal.kind, principal.role) not in PICKUP_ISSUERS:
        raise Forbidden("此账号不能取号", f"a {principal.role} may not issue tickets")
    row = await checked_case(context, receipt_no, check, address)
    code, receipt_no = row["hall"], row["receipt_no"]
    if not principal.in_hall(code):
        raise Forbidden("此办件属于其他大厅", "this case belongs to another hall")
    if row["status"] != CaseStatus.READY:
        raise CaseNotReady(f"办件当前状态为「{domain.label(row['status'])}」，结果尚不能领取",
                           f"the case is {row['status']}, not ready for collection")
    token = context.new_token(16)
    channel = PICKUP_CHANNELS.get(principal.role, Channel.COUNTER)

    def command(hall: Hall, now: datetime) -> list[Event]:
        held = next((t for t in hall.tickets.values() if t.case_receipt == receipt_no and not t.is_final
                     and t.status.value == "waiting"), None)
        if held is not None:
            raise AlreadyWaiting(f"该办件已取号 {held.number}，请等候叫号", f"{held.number} is already waiting",
                                 held.id)
        return hall.issue(PICKUP_QUEUE, now, token, channel=channel, case_receipt=receipt_no)

    try:
        events = await context.engine.run(code, command)
    except AlreadyWaiting as held:
        hall = await context.engine.hall(code)
        ticket = hall.tickets[held.ticket_id]
        return Pickup({**public_ticket(hall, ticket, with_token=True), "case_receipt": receipt_no}, held)
    hall = await context.engine.hall(code)
    issued = events[-1].ticket
    if issued is None:
        raise UnknownTicket("取号失败", "no ticket was issued")
    ticket = hall.tickets[issued.id]
    out = {**public_ticket(hall, ticket, with_token=True), "case_receipt": receipt_no}
    if principal.kind == "device" and principal.role == "kiosk":
        out["print"] = await print_for_kiosk(context, hall, principal.name, ticket, base_url)
    return Pickup(out)


# ---------------------------------------------------------------- paper
async def print_paper(context: AppContext, principal: Principal, receipt_no: str, what: str, counter: int,
                      base_url: str) -> dict[str, Any]:
    """The receipt (接件回执, an accepted case's) or the one-time notice (一次性告知书, an incomplete
    application's) to the printer of a counter the clerk holds: ``{job, kind, counter, document}``."""
    row = await _row(context, receipt_no)
    hall = await context.engine.hall(row["hall"])
    hall.counter(counter)  # UnknownCounter
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin") \
            or not principal.in_hall(row["hall"]):
        raise Forbidden("只有本大厅的窗口工作人员可以打印", "only the hall's clerks and managers print")
    if not principal.is_manager:
        hall.require_holder(counter, principal.name)
    if what == "notice":
        if not row["materials_missing"]:
            raise NoNotice("该办件材料齐全，没有一次性告知书", "nothing is missing")
        document = notice_document(hall, row, counter, context.clock.now())
    else:
        if not has_receipt(row):
            raise NotAccepted("材料不齐的申请尚未正式受理，不出具接件回执，请打印一次性告知书",
                              "not accepted yet: an incomplete application gets the one-time notice, not a receipt")
        item = await context.engine.read(lambda conn: store.item(conn, row["hall"], row["item_code"]))
        document = receipt_document(hall, row, list(item["materials"]) if item else [], base_url)
        document["fee"] = await fee_line(context, row)  # 收费 (server/services/fees.py)
    job = f"{row['receipt_no']}-{what}-{context.new_token(6)}"
    await send_to_counter_printer(context.bus, row["hall"], counter, what, document, job)
    return {"job": job, "kind": what, "counter": counter, "document": document}
