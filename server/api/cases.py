"""Cases (办件): received at a counter, reported on by the department, looked up by the applicant,
collected at the pickup window (queue L) or mailed. Statuses and transitions: server/domain/cases.py.

Personal data: the applicant's ID number is kept only as a keyed hash (to check whoever collects)
and its last four characters (the lookup check); the phone for notifications and its last four;
the name is shown masked (张*三) everywhere a case object goes. A case object never carries the ID
number or the phone.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.auth import Principal
from server.context import AppContext, ctx, forbid, require_principal
from server.domain import cases as domain
from server.domain.cases import CaseStatus
from server.domain.errors import AlreadyWaiting, UnknownTicket
from server.domain.hall import Hall
from server.domain.identity import id_hash, mask_name, validate_id_number
from server.domain.model import Channel, Event
from server.domain.views import public_ticket
from server.services.calendar import work_calendar
from server.services.cases import (
    case_changed,
    cases_due,
    has_receipt,
    notice_data,
    notice_document,
    receipt_document,
    with_timeline,
)
from server.services.printing import send_to_counter_printer
from server.services.tickets import print_for_kiosk
from server.store import cases as store

from .declare import endpoint
from .errors import ApiError, JSONResponse
from .schemas import Body

log = logging.getLogger("onewindow.cases")

PICKUP_QUEUE = "L"  # 查询发证
RECEIPT_PREFIXES = {"jinan": "JA"}  # 晋安; other halls: the first two letters of their code

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=15, max_length=18)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


# ---------------------------------------------------------------- request bodies
class Applicant(Body):
    name: Name
    id_number: IdNumber | None = Field(default=None, description="checked by its GB 11643 check digit; "
                                                                 "only a keyed hash and the last four are kept")
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 -]{4,19}$")] | None = None

    @field_validator("id_number")
    @classmethod
    def _check_digit(cls, value: str | None) -> str | None:
        return validate_id_number(value) if value else None


class CreateCase(Body):
    item: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=32)] = Field(
        description="an item code of the hall's catalog (GET /halls/{hall}/items)")
    applicant: Applicant
    ticket_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    materials_missing: Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                                       max_length=200)]],
                                 Field(max_length=50)] = Field(
        default_factory=list, description="materials of the item still missing: the case is then incomplete")
    counter: Annotated[int, Field(ge=1, le=9999)] | None = Field(
        default=None, description="where it is received (a clerk: the counter they hold)")
    # KPIs (docs/kpis.md); all optional
    channel: Literal["counter", "online"] | None = Field(
        default=None, description="counter (default) or online: an application from the online hall (网上办理率)")
    departments: Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                                 max_length=100)]],
                           Field(max_length=20)] = Field(
        default_factory=list, description="further departments involved besides the item's own (联合办理率)")
    paperless: bool | None = Field(default=None, description="received without paper materials (无纸化率)")


class Collector(Body):
    name: Name
    id_number: IdNumber

    @field_validator("id_number")
    @classmethod
    def _check_digit(cls, value: str) -> str:
        return validate_id_number(value)


class CaseEvent(Body):
    status: CaseStatus
    note: Note | None = None
    tracking_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=64)] | None = None
    collector: Collector | None = Field(
        default=None, description="for collected: the person at the counter. Their ID must be the applicant's, "
                                  "or the note must say 代领 and give their name (authorised collector)")


class Check(Body):
    check: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)]


class PrintCase(Body):
    what: Literal["receipt", "notice"]
    counter: Annotated[int, Field(ge=1, le=9999)]


# ---------------------------------------------------------------- views








# ---------------------------------------------------------------- helpers
def _unknown_case() -> ApiError:
    """The one answer for an unknown receipt, a wrong check and a missing one alike."""
    return ApiError(404, "unknown_case", "没有这个办件，或查询码不正确 (no such case, or the check does not match)")


def _check_matches(row: dict[str, Any], check: str | None) -> bool:
    check = (check or "").strip().upper()
    if len(check) != 4:
        return False
    return any(secrets.compare_digest(check, str(v).upper()) for v in (row["id_last4"], row["phone_last4"]) if v)


async def _checked_case(request: Request, receipt_no: str, check: str | None) -> dict[str, Any]:
    """The case when ``check`` is the last four of its applicant's ID number or phone; else 404, the
    same as for an unknown receipt. Misses count per client address and per receipt: past the limit
    every lookup is a 429 (unknown receipts too, so the 429 tells nothing)."""
    limiter = ctx(request).lookup_limiter
    address = request.client.host if request.client else "unknown"
    keys = (f"addr:{address}", f"receipt:{receipt_no.upper()}")
    limiter.check(*keys, zh="查询次数过多，请稍后再试", en="too many wrong checks; try again later",
                  code="too_many_attempts")
    row = await ctx(request).engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None or not _check_matches(row, check):
        for key in keys:
            limiter.hit(key)
        raise _unknown_case()
    return row



async def _reload(context: AppContext, receipt_no: str) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    assert row is not None
    return row


def _held_counter(hall: Hall, principal: Principal) -> int | None:
    return next((n for n, c in sorted(hall.counters.items()) if c.clerk == principal.name), None)


def _last4(value: str | None) -> str | None:
    if not value:
        return None
    digits = "".join(ch for ch in value if ch.isalnum())
    return digits[-4:].upper() if len(digits) >= 4 else None


# ---------------------------------------------------------------- receiving
@endpoint("POST", "/halls/{hall}/cases", "Receive a case (办件) at a counter", body=CreateCase, tag="cases",
          responses={201: "the case, with the one-time notice when materials are missing",
                     404: "unknown hall, item or ticket"})
async def create_case(request: Request, body: CreateCase) -> Response:
    """A clerk signed in at a counter of the hall, or a manager. With ``materials_missing`` the case
    is ``incomplete`` (no due date yet) and carries the one-time notice listing every missing
    material; else ``accepted``, due after the item's time limit in Chinese working days."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin") or not principal.in_hall(code):
        raise forbid("只有本大厅的窗口工作人员可以收件", "only the hall's clerks and managers receive cases")
    counter = body.counter
    if not principal.is_manager:
        held = _held_counter(hall, principal)
        if held is None:
            raise forbid("请先在窗口签到再收件", "sign in at a counter first")
        counter = held
    elif counter is not None and counter not in hall.counters:
        raise ApiError(404, "unknown_counter", f"没有 {counter}号窗口 (no such counter)", "counter")
    item = await context.engine.read(lambda conn: store.item(conn, code, body.item))
    if item is None:
        raise ApiError(404, "unknown_item", f"本大厅没有事项 {body.item} (no such item in this hall)", "item")
    materials = list(item["materials"])
    missing = list(dict.fromkeys(body.materials_missing))
    strays = [m for m in missing if m not in materials]
    if strays:
        raise ApiError(422, "invalid_field", f"字段 materials_missing 无效：「{'、'.join(strays)}」不是该事项的材料"
                       f"（应为：{'、'.join(materials) or '无'}） (not materials of item {body.item})",
                       "materials_missing")
    ticket_number = None
    if body.ticket_id:
        live = hall.tickets.get(body.ticket_id)
        stored = None if live else await context.engine.read(lambda conn: store.ticket_row(conn, body.ticket_id or ""))
        if live is not None:
            ticket_number = live.number
        elif stored is not None and stored["hall"] == code:
            ticket_number = stored["number"]
        else:
            raise ApiError(404, "unknown_ticket", "本大厅没有这张票 (no such ticket in this hall)", "ticket_id")
    now = context.clock.now()
    day = hall.local_day(now)
    status = CaseStatus.INCOMPLETE if missing else CaseStatus.ACCEPTED
    due: date | None = None
    provisional = False
    if status == CaseStatus.ACCEPTED:
        due, provisional = (await work_calendar(context)).add_working_days(day, int(item["time_limit_days"]))
    applicant = body.applicant
    values: dict[str, Any] = {
        "hall": code, "day": day, "item_code": item["code"], "item_name": item["name"],
        "department": item["department"], "time_limit_days": int(item["time_limit_days"]), "status": status.value,
        "status_token": context.new_token(16), "applicant_name": applicant.name,
        "id_hash": id_hash(context.settings.secret_key, applicant.id_number) if applicant.id_number else None,
        "id_last4": _last4(applicant.id_number), "phone": applicant.phone, "phone_last4": _last4(applicant.phone),
        "materials_missing": missing, "received_at": now.astimezone(UTC),
        "accepted_at": now.astimezone(UTC) if status == CaseStatus.ACCEPTED else None, "due_at": due,
        "due_provisional": provisional, "ticket_id": body.ticket_id, "ticket_number": ticket_number,
        "counter": counter, "received_by": principal.name, "tracking_no": None, "updated_at": now.astimezone(UTC),
        "channel": body.channel or "counter", "departments": list(dict.fromkeys(body.departments)) or None,
        "paperless": body.paperless,
    }
    note = "一次性告知：缺 " + "、".join(missing) if missing else "材料齐全，予以受理"
    prefix = RECEIPT_PREFIXES.get(code, code[:2].upper())

    def insert(conn: Any) -> str:
        values["receipt_no"] = store.next_receipt_no(conn, prefix, day)
        store.insert_case(conn, values, note, principal.name)
        return str(values["receipt_no"])

    for attempt in range(5):  # two processes taking the same number: the unique index refuses one
        try:
            receipt_no = await context.engine.write(insert)
            break
        except IntegrityError:
            if attempt == 4:
                raise
    row = await _reload(context, receipt_no)
    case = await with_timeline(context, row)
    await case_changed(context, case)
    out = {**case, "item": row["item_code"], "item_name": row["item_name"], "department": row["department"],
           "case": case, "receipt_url": f"/c/{row['status_token']}/receipt" if has_receipt(row) else None,
           "notice_url": f"/c/{row['status_token']}/notice", "notice": notice_data(row)}
    return JSONResponse(out, status_code=201)


# ---------------------------------------------------------------- progress
async def _authorise_event(context: AppContext, principal: Principal, row: dict[str, Any],
                           target: CaseStatus) -> None:
    if principal.kind == "user" and principal.role == "department":
        department = (await context.engine.read(lambda conn: store.user_department(conn, principal.user_id or 0))
                      if principal.user_id is not None else None)
        if department != row["department"] or (principal.hall is not None and principal.hall != row["hall"]):
            raise forbid(f"此办件属于{row['department']}，您的账号不能操作",
                         "this case belongs to another department")
        if target not in domain.DEPARTMENT_MAY_SET:
            raise forbid(f"部门不能将办件改为「{domain.LABELS[target]}」，请由窗口办理",
                         f"a department may not set {target.value}; a counter does")
        return
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin") \
            or not principal.in_hall(row["hall"]):
        raise forbid("只有承办部门或本大厅的工作人员可以更新办件", "only the department or the hall's staff")
    if target == CaseStatus.COLLECTED and principal.role != "clerk":
        raise forbid("领取须在窗口由工作人员核验身份后办理", "only a clerk hands over a result")


async def _collection_note(context: AppContext, row: dict[str, Any], body: CaseEvent) -> str:
    """Who collected. The collector's ID must be the applicant's (keyed hashes compared), or the
    note must say 代领 and give the collector's name (the clerk has checked the authorisation,
    委托书). A case received without an ID number: the collector is recorded as given."""
    collector = body.collector
    if collector is None:
        raise ApiError(422, "invalid_field", "领取须提供领取人姓名和身份证号 (collected needs collector)", "collector")
    masked = mask_name(collector.name)
    if row["id_hash"] is None:
        return f"领取人 {masked}"
    if secrets.compare_digest(id_hash(context.settings.secret_key, collector.id_number), row["id_hash"]):
        return "申请人本人领取"
    note = body.note or ""
    if "代领" in note and collector.name in note:
        return f"由 {masked} 代领"
    raise ApiError(422, "collector_mismatch", "领取人身份证与申请人不符；代领请在备注中注明“代领”及领取人姓名 "
                   "(the collector is not the applicant; for an authorised collector say 代领 and the name in note)",
                   "collector.id_number")


@endpoint("POST", "/cases/{receipt_no}/events", "Report a case's progress (department or hall staff)",
          body=CaseEvent, tag="cases",
          responses={200: "the case", 404: "unknown receipt", 409: "the current status forbids it"})
async def post_event(request: Request, body: CaseEvent) -> Response:
    """The department's user for the case's department: in_review, approved, rejected, ready, mailed.
    A clerk or manager of the case's hall: any allowed transition; ``collected`` by a clerk only.
    ``accepted`` from ``incomplete``: the missing materials were supplied, the time limit starts."""
    context = ctx(request)
    principal = await require_principal(request)
    receipt_no = request.path_params["receipt_no"]
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None:
        raise _unknown_case()
    target = body.status
    await _authorise_event(context, principal, row, target)
    domain.check_transition(row["status"], target)
    hall = await context.engine.hall(row["hall"])
    now = context.clock.now()
    changes: dict[str, Any] = {"status": target.value, "updated_at": now.astimezone(UTC)}
    note = body.note
    if target == CaseStatus.MAILED:
        if not body.tracking_no:
            raise ApiError(422, "invalid_field", "邮寄须提供快递单号 (mailed needs tracking_no)", "tracking_no")
        changes["tracking_no"] = body.tracking_no
        note = note or f"已邮寄，快递单号 {body.tracking_no}"
    elif target == CaseStatus.COLLECTED:
        note = await _collection_note(context, row, body)
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
        domain.check_transition((await _reload(context, receipt_no))["status"], target)
        raise domain.IllegalTransition("办件状态刚刚已被更新，请刷新后重试", "the case changed meanwhile; reload")
    case = await with_timeline(context, await _reload(context, receipt_no))
    await case_changed(context, case)
    return JSONResponse(case)


# ---------------------------------------------------------------- the applicant's side
@endpoint("GET", "/cases/{receipt_no}", "A case and its timeline, by receipt and check (last 4 of ID or phone)",
          auth=False, tag="public", responses={200: "the case with its timeline",
                                               404: "unknown receipt, or a wrong or missing check",
                                               429: "too many wrong checks"})
async def get_case(request: Request) -> Response:
    row = await _checked_case(request, request.path_params["receipt_no"], request.query_params.get("check"))
    return JSONResponse(await with_timeline(ctx(request), row))


@endpoint("GET", "/case-status/{status_token}", "A case and its timeline by its status token (the /c page)",
          auth=False, tag="public", responses={200: "the case with its timeline", 404: "unknown token"})
async def get_case_by_token(request: Request) -> Response:
    context = ctx(request)
    token = request.path_params["status_token"]
    row = await context.engine.read(lambda conn: store.by_token(conn, token))
    if row is None:
        raise _unknown_case()
    return JSONResponse(await with_timeline(context, row))



PICKUP_ISSUERS = {("device", "kiosk"), ("user", "clerk"), ("user", "guide"), ("user", "manager"), ("user", "admin")}
PICKUP_CHANNELS = {"kiosk": Channel.KIOSK, "guide": Channel.GUIDE}


@endpoint("POST", "/cases/{receipt_no}/pickup-ticket", "A 查询发证 (L) ticket to collect a ready case's result",
          body=Check, tag="cases",
          responses={201: "the L ticket, linked to the case (case_receipt)", 404: "unknown receipt or wrong check",
                     409: "not ready yet, or its L ticket still waits (with that ticket)"})
async def pickup_ticket(request: Request, body: Check) -> Response:
    context = ctx(request)
    principal = await require_principal(request)
    if (principal.kind, principal.role) not in PICKUP_ISSUERS:
        raise forbid("此账号不能取号", f"a {principal.role} may not issue tickets")
    row = await _checked_case(request, request.path_params["receipt_no"], body.check)
    code, receipt_no = row["hall"], row["receipt_no"]
    if not principal.in_hall(code):
        raise forbid("此办件属于其他大厅", "this case belongs to another hall")
    if row["status"] != CaseStatus.READY:
        raise ApiError(409, "case_not_ready", f"办件当前状态为「{domain.label(row['status'])}」，结果尚不能领取 "
                       f"(the case is {row['status']}, not ready for collection)")
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
        return JSONResponse({"error": {"code": held.code, "message": held.message},
                             "ticket": {**public_ticket(hall, ticket, with_token=True), "case_receipt": receipt_no}},
                            status_code=409)
    hall = await context.engine.hall(code)
    issued = events[-1].ticket
    if issued is None:
        raise UnknownTicket("取号失败", "no ticket was issued")
    ticket = hall.tickets[issued.id]
    out = {**public_ticket(hall, ticket, with_token=True), "case_receipt": receipt_no}
    if principal.kind == "device" and principal.role == "kiosk":
        out["print"] = await print_for_kiosk(context, hall, principal.name, ticket, str(request.base_url))
    return JSONResponse(out, status_code=201)


# ---------------------------------------------------------------- paper
@endpoint("POST", "/cases/{receipt_no}/print", "Print the receipt (接件回执) or the one-time notice at a counter",
          body=PrintCase, tag="cases", responses={202: "sent to the counter's printer", 404: "unknown receipt",
                                                  409: "no notice (nothing is missing) or no receipt "
                                                       "(not yet accepted)"})
async def print_case(request: Request, body: PrintCase) -> Response:
    context = ctx(request)
    principal = await require_principal(request)
    receipt_no = request.path_params["receipt_no"]
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None:
        raise _unknown_case()
    hall = await context.engine.hall(row["hall"])
    hall.counter(body.counter)  # 404 for an unknown counter
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin") \
            or not principal.in_hall(row["hall"]):
        raise forbid("只有本大厅的窗口工作人员可以打印", "only the hall's clerks and managers print")
    if not principal.is_manager:
        hall.require_holder(body.counter, principal.name)
    if body.what == "notice":
        if not row["materials_missing"]:
            raise ApiError(409, "no_notice", "该办件材料齐全，没有一次性告知书 (nothing is missing)")
        document = notice_document(hall, row, body.counter, context.clock.now())
    else:
        if not has_receipt(row):
            raise ApiError(409, "not_accepted", "材料不齐的申请尚未正式受理，不出具接件回执，请打印一次性告知书 "
                           "(not accepted yet: an incomplete application gets the one-time notice, not a receipt)")
        item = await context.engine.read(lambda conn: store.item(conn, row["hall"], row["item_code"]))
        document = receipt_document(hall, row, list(item["materials"]) if item else [], str(request.base_url))
    job = f"{row['receipt_no']}-{body.what}-{secrets.token_hex(4)}"
    await send_to_counter_printer(context.bus, row["hall"], body.counter, body.what, document, job)
    return JSONResponse({"job": job, "kind": body.what, "counter": body.counter, "document": document},
                        status_code=202)


# ---------------------------------------------------------------- the dashboard's list
@endpoint("GET", "/halls/{hall}/cases", "Cases due within one working day (due=soon) or past due (due=overdue)",
          tag="cases", responses={200: "case objects (without timeline), earliest due first",
                                  403: "not a manager of this hall"})
async def list_due(request: Request) -> Response:
    """Pending cases only (accepted, in_review): the time limit is about the decision."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    if not principal.is_manager or not principal.in_hall(code):
        raise forbid("只有本大厅的管理人员可以查看", "managers only")
    due = request.query_params.get("due", "")
    if due not in ("soon", "overdue"):
        raise ApiError(422, "invalid_field", "due 应为 soon 或 overdue (due must be soon or overdue)", "due")
    return JSONResponse((await cases_due(context, hall))[due])



ROUTES: list[BaseRoute] = [create_case, post_event, get_case, get_case_by_token, pickup_ticket, print_case, list_due]
