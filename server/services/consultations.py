"""咨询登记 (seed art. 15(一), 16(一)) and its 首问负责 (art. 25).

The hall's staff (clerks at the Z window, the guide, managers, admins) record each question a visitor
asks on site or by phone: the topic, the item it is about, the answer given. Whoever records it is
its first responder. A question the desk cannot answer is escalated to a department (its code; the
item's own by default), due N working days later (2 unless said) on the working calendar cases use;
a manager or the first responder may escalate one later, from the day it is escalated. The department
(its account) or a manager writes the department's answer, and a manager or the first responder
closes it. The hall's staff list them (a department account only those sent to its department: any
other is refused), newest first, by what they search for and by where each stands (``status``).
No personal data is asked for or kept: the topic is what was asked, not who asked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from server import params
from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.domain.hall import Hall
from server.domain.views import iso
from server.params import INTEGER, whole_number
from server.store import accounts
from server.store import cases as case_store
from server.store import catalog as catalog_store
from server.store import consultations as store

from .calendar import work_calendar

RECORDERS = ("clerk", "guide", "manager", "admin")
READERS = (*RECORDERS, "department")
CHANNELS = {"onsite": "现场咨询", "phone": "电话咨询"}
DEFAULT_DUE_DAYS, MAX_DUE_DAYS = 2, 30
DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 50, 200, 1_000_000
MAX_TEXT = 100
# Where a consultation stands, as the list filters it: not closed; sent to a department and not yet
# answered by it (nor closed); that and past its due date; closed.
STATUSES = ("open", "waiting", "overdue", "closed")


class UnknownConsultation(NotFound):
    code = "unknown_consultation"

    def __init__(self, given: object) -> None:
        super().__init__(f"没有编号为 {given} 的咨询记录", f"no consultation {given}", "id")


class ConsultationClosed(Conflict):
    code = "consultation_closed"


class AlreadyEscalated(Conflict):
    code = "consultation_escalated"


@dataclass(frozen=True)
class New:
    channel: str
    topic: str
    item: str | None = None
    answer: str | None = None
    escalated: bool = False
    department: str | None = None
    due_days: int | None = None


@dataclass(frozen=True)
class Change:
    answer: str | None = None
    escalation_answer: str | None = None
    closed: bool | None = None
    escalated: bool | None = None  # true: send it to a department now
    department: str | None = None  # escalated: the department's code (the item's own by default)
    due_days: int | None = None


# ---------------------------------------------------------------- who
def _staff_of(principal: Principal, hall: str, roles: tuple[str, ...]) -> None:
    if principal.kind != "user" or principal.role not in roles or not principal.in_hall(hall):
        raise Forbidden("只有本大厅的工作人员可以登记和查看咨询", "only the hall's staff record and read consultations")


async def _department_of(context: AppContext, principal: Principal) -> str:
    code = principal.department
    if not code and principal.user_id is not None:
        user_id = principal.user_id
        code = await context.engine.read(lambda conn: case_store.user_department(conn, user_id))
    if not code:
        raise Forbidden("此部门账号未绑定部门", "this department account has no department")
    return code


def _person(username: str | None, names: dict[str, str], counter: int | None = None) -> dict[str, Any] | None:
    if not username:
        return None
    out: dict[str, Any] = {"username": username, "name": names.get(username) or username}
    if counter is not None:
        out["counter"] = counter
    return out


# ---------------------------------------------------------------- views
def view(hall: Hall, row: dict[str, Any], today: date, names: dict[str, str],
         departments: dict[str, str]) -> dict[str, Any]:
    """A consultation as the hall's staff see it."""
    first = {"username": row["first_responder"], "name": row["first_responder_name"] or row["first_responder"]}
    if row["counter"] is not None:
        first["counter"] = row["counter"]
    closed = row["closed_at"] is not None
    waiting = bool(row["escalated"]) and not row["escalation_answer"] and not closed
    return {
        "id": row["id"], "hall": row["hall"], "at": iso(row["at"], hall), "day": row["day"].isoformat(),
        "channel": row["channel"], "channel_label": CHANNELS.get(row["channel"], row["channel"]),
        "topic": row["topic"],
        "item": {"code": row["item_code"], "name": row["item_name"]} if row["item_code"] else None,
        "answer": row["answer"], "first_responder": first, "escalated": bool(row["escalated"]),
        "department": row["department"],
        "department_name": departments.get(row["department"] or "", row["department"]) if row["department"] else None,
        "due_date": row["due_date"].isoformat() if row["due_date"] else None,
        "due_provisional": bool(row["due_provisional"]),
        "overdue": waiting and row["due_date"] is not None and row["due_date"] < today,
        "escalation_answer": row["escalation_answer"],
        "escalation_answered_at": iso(row["escalation_answered_at"], hall),
        "escalation_answered_by": _person(row["escalation_answered_by"], names),
        "closed": closed, "closed_at": iso(row["closed_at"], hall), "closed_by": _person(row["closed_by"], names),
    }


async def _views(context: AppContext, hall: Hall, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    people = {r[k] for r in rows for k in ("escalation_answered_by", "closed_by") if r[k]}
    code = hall.config.code

    def read(conn: Any) -> tuple[dict[str, str], dict[str, str]]:
        return accounts.display_names(conn, people), catalog_store.department_names(conn, code)

    names, departments = await context.engine.read(read)
    today = hall.local_day(context.clock.now())
    return [view(hall, r, today, names, departments) for r in rows]


# ---------------------------------------------------------------- record one
def _clean(raw: str | None) -> str | None:
    value = (raw or "").strip()
    return value or None


def _no_department(given: str | None) -> InvalidInput:
    zh = f"没有代码为 {given[:32]} 的部门" if given else "转办时请选择承办部门（department）"
    return InvalidInput(zh, "escalated: give a department of the hall", "department")


async def _due(context: AppContext, hall: Hall, given: int | None) -> tuple[date, bool]:
    """The day the department answers by: ``given`` working days (2 unless said) from today."""
    days = DEFAULT_DUE_DAYS if given is None else given
    if not 1 <= days <= MAX_DUE_DAYS:
        raise InvalidInput(f"due_days 应为 1–{MAX_DUE_DAYS} 个工作日", f"due_days: 1 to {MAX_DUE_DAYS}", "due_days")
    calendar = await work_calendar(context)
    return calendar.add_working_days(hall.local_day(context.clock.now()), days)


async def record(context: AppContext, principal: Principal, hall_code: str, given: New) -> dict[str, Any]:
    hall = await context.engine.hall(hall_code)
    _staff_of(principal, hall_code, RECORDERS)
    if given.channel not in CHANNELS:
        raise InvalidInput("channel 应为 onsite（现场）或 phone（电话）", "channel: onsite|phone", "channel")
    topic = _clean(given.topic)
    if topic is None:
        raise InvalidInput("请填写咨询事项（topic）", "topic is required", "topic")

    def read(conn: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        item = catalog_store.item_view(conn, hall_code, given.item.upper()) if given.item else None
        code = given.department or (item["department"] if item and given.escalated else None)
        return item, catalog_store.department(conn, hall_code, code.upper()) if code else None

    item, department = await context.engine.read(read)
    if given.item and item is None:
        raise InvalidInput(f"本大厅没有事项 {given.item[:32]}", f"no item {given.item[:32]!r} in this hall", "item")
    due, provisional = None, False
    if given.escalated:
        if department is None:
            raise _no_department(given.department)
        due, provisional = await _due(context, hall, given.due_days)
    now = context.clock.now()
    counter = principal.counter if principal.role == "clerk" else None
    values = {"hall": hall_code, "day": hall.local_day(now), "at": now, "channel": given.channel, "topic": topic,
              "item_code": item["code"] if item else None, "item_name": item["name"] if item else None,
              "answer": _clean(given.answer), "first_responder": principal.name,
              "first_responder_name": principal.display_name, "counter": counter,
              "escalated": bool(given.escalated), "department": department["code"] if given.escalated and department
              else None, "due_date": due, "due_provisional": provisional}
    new_id = await context.engine.write(lambda conn: store.add(conn, values))
    row = await context.engine.read(lambda conn: store.get(conn, new_id))
    assert row is not None
    return (await _views(context, hall, [row]))[0]


# ---------------------------------------------------------------- the list
def criteria(hall: str, *, first: str | None = None, last: str | None = None, channel: str | None = None,
             escalated: str | None = None, q: str | None = None, status: str | None = None) -> store.Query:
    since = params.day(first, "from") if first else None
    until = params.day(last, "to") if last else None
    if since and until and until < since:
        raise InvalidInput(f"to（{until}）不能早于 from（{since}）", "to is before from", "to")
    if channel and channel not in CHANNELS:
        raise InvalidInput("channel 应为 onsite 或 phone", "channel: onsite|phone", "channel")
    flag = {"true": True, "false": False, "": None, None: None}
    if escalated not in flag:
        raise InvalidInput("escalated 应为 true 或 false", "escalated: true|false", "escalated")
    text = _clean(q)
    if text and len(text) > MAX_TEXT:
        raise InvalidInput(f"q 最多 {MAX_TEXT} 个字符", f"q: at most {MAX_TEXT} characters", "q")
    if status and status not in STATUSES:
        raise InvalidInput("status 应为 open、waiting、overdue 或 closed", "status: open|waiting|overdue|closed",
                           "status")
    return store.Query(hall=hall, first=since, last=until, channel=channel or None, escalated=flag[escalated],
                       text=text, status=status or None)


async def _as_seen_by(context: AppContext, principal: Principal, hall: Hall, query: store.Query) -> store.Query:
    """``query`` as ``principal`` may ask it (a department account: its department's only), on the
    hall's day today (what is overdue)."""
    _staff_of(principal, query.hall, READERS)
    today = hall.local_day(context.clock.now())
    if principal.role == "department":
        return replace(query, department=await _department_of(context, principal), today=today)
    return replace(query, today=today)


async def search(context: AppContext, principal: Principal, query: store.Query, limit: int = DEFAULT_LIMIT,
                 offset: int = 0) -> dict[str, Any]:
    """``{total, consultations}``: one page, newest first."""
    hall = await context.engine.hall(query.hall)
    query = await _as_seen_by(context, principal, hall, query)

    def read(conn: Any) -> tuple[int, list[dict[str, Any]]]:
        return store.count(conn, query), store.page(conn, query, limit, offset)

    total, rows = await context.engine.read(read)
    return {"total": total, "consultations": await _views(context, hall, rows)}


# ---------------------------------------------------------------- change one
async def change(context: AppContext, principal: Principal, hall_code: str, raw_id: str,
                 given: Change) -> dict[str, Any]:
    """The first responder (or a manager) completes the answer; the department it went to (or a
    manager) gives the department's answer; a manager or the first responder closes it."""
    hall = await context.engine.hall(hall_code)
    _staff_of(principal, hall_code, READERS)
    consultation_id = whole_number(raw_id, 1, INTEGER)
    row = await context.engine.read(lambda conn: store.get(conn, consultation_id)) if consultation_id else None
    if row is None or row["hall"] != hall_code:
        raise UnknownConsultation(raw_id[:20])
    department = await _department_of(context, principal) if principal.role == "department" else None
    if department is not None and department != row["department"]:
        raise Forbidden("此咨询未转给本部门，部门账号只能查看和答复转给本部门的咨询",
                        "a department account answers only the consultations sent to its department")
    manager = principal.manages(hall_code)
    mine = principal.name == row["first_responder"]
    if row["closed_at"] is not None:
        raise ConsultationClosed(f"咨询 {row['id']} 已经办结", f"consultation {row['id']} is closed")
    now = context.clock.now()
    values: dict[str, Any] = {}
    if given.escalated is not None or given.department is not None or given.due_days is not None:
        values.update(await _escalation(context, hall, row, given, manager or mine))
    if given.answer is not None:
        if not (manager or mine):
            raise Forbidden("只有首问负责人或管理人员可以修改答复", "only the first responder or a manager", "answer")
        values["answer"] = _clean(given.answer)
    if given.escalation_answer is not None:
        if not row["escalated"]:
            raise InvalidInput("此咨询没有转办部门", "not escalated", "escalation_answer")
        if not (manager or department == row["department"]):
            raise Forbidden("只有承办部门或管理人员可以填写部门答复", "only the department or a manager",
                            "escalation_answer")
        values.update(escalation_answer=_clean(given.escalation_answer), escalation_answered_at=now,
                      escalation_answered_by=principal.name)
    if given.closed:
        if not (manager or mine):
            raise Forbidden("只有首问负责人或管理人员可以办结咨询", "only the first responder or a manager", "closed")
        values.update(closed_at=now, closed_by=principal.name)
    if values:
        await context.engine.write(lambda conn: store.change(conn, row["id"], values))
    after = await context.engine.read(lambda conn: store.get(conn, row["id"]))
    assert after is not None
    return (await _views(context, hall, [after]))[0]


async def _escalation(context: AppContext, hall: Hall, row: dict[str, Any], given: Change,
                      allowed: bool) -> dict[str, Any]:
    """Sends a consultation recorded without escalation to a department now (a manager or its first
    responder): the item's department unless one is given, due ``due_days`` working days from today."""
    if given.escalated is not True:
        field = "escalated" if given.escalated is False else "department" if given.department else "due_days"
        raise InvalidInput("转部门答复时请写 escalated: true（已转办的不能撤回）",
                           "department and due_days go with escalated: true; an escalation is not undone", field)
    if not allowed:
        raise Forbidden("只有首问负责人或管理人员可以转部门答复", "only the first responder or a manager", "escalated")
    if row["escalated"]:
        raise AlreadyEscalated(f"咨询 {row['id']} 已转部门答复", f"consultation {row['id']} is already escalated")
    code = hall.config.code

    def read(conn: Any) -> dict[str, Any] | None:
        item = catalog_store.item_view(conn, code, row["item_code"]) if row["item_code"] else None
        wanted = given.department or (item["department"] if item else None)
        return catalog_store.department(conn, code, wanted.upper()) if wanted else None

    department = await context.engine.read(read)
    if department is None:
        raise _no_department(given.department)
    due, provisional = await _due(context, hall, given.due_days)
    return {"escalated": True, "department": department["code"], "due_date": due, "due_provisional": provisional}


async def summary(context: AppContext, principal: Principal, hall_code: str, raw_day: str | None) -> dict[str, Any]:
    """The 咨询登记 tab's counts: the day's (today unless given) on site, by phone and sent to a
    department; and now, those waiting for a department's answer and those of them overdue."""
    hall = await context.engine.hall(hall_code)
    query = await _as_seen_by(context, principal, hall, store.Query(hall=hall_code))
    day = params.day(raw_day, "day") if raw_day else query.today
    assert day is not None
    counts = await context.engine.read(lambda conn: store.summary(conn, query, day))
    return {"day": day.isoformat(), **counts}


async def per_day(context: AppContext, hall: str, first: date, last: date) -> dict[date, int]:
    """The hall's consultations per day (the reports' figure)."""
    return await context.engine.read(lambda conn: store.per_day(conn, hall, first, last))
