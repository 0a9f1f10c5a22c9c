"""意见建议/投诉 (art. 15, 21): visitors give them from their phone or the kiosk without signing in
(rate limited per address, per kiosk), or staff write them down on a visitor's behalf; they reach
the hall's managers live on the dashboard feed (``feedback.new``, never a public feed), who
categorise them by line, level and person, reply and close. The visitor follows their own at
/feedback/{hall}/s/{status_token}. Overdue ones are an alert (server/domain/alerts.py).

窗口无否决权 (art. 27): a clerk records what the window cannot settle; it goes up to the managers
(``escalation.new``), who resolve it; counted per counter and clerk."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.auth import Principal
from server.channels import dashboard_channel
from server.context import AppContext
from server.domain import feedback as domain
from server.domain.errors import Forbidden, InvalidInput
from server.domain.feedback import AlreadyClosed, ReplyMissing, UnknownEscalation, UnknownFeedback
from server.params import INTEGER, whole_number
from server.store import accounts
from server.store import feedback as store
from server.store.repo import utc

from .alerts import wake_dashboards
from .calendar import work_calendar

log = logging.getLogger("onewindow.feedback")
STAFF_ROLES = ("clerk", "guide", "manager", "admin")


async def _tell_managers(context: AppContext, hall: str, message: dict[str, Any]) -> None:
    """On the hall's dashboard feed only (managers): it carries personal data (the contact)."""
    try:
        await context.bus.publish(dashboard_channel(hall), message)
    except Exception as error:  # the list is there on the next look
        log.info("could not tell the dashboards of %s (%s)", hall, error)


def _is_staff(principal: Principal | None, hall: str) -> bool:
    return principal is not None and principal.kind == "user" and principal.role in STAFF_ROLES \
        and principal.in_hall(hall)


def _manager_of(principal: Principal, hall: str) -> None:
    if not principal.manages(hall):
        raise Forbidden("只有本大厅的管理人员可以查看和处理意见建议、投诉和上报事项",
                        "only the hall's managers handle feedback and escalations")


async def _today(context: AppContext, hall_code: str) -> date:
    hall = await context.engine.hall(hall_code)
    return hall.local_day(context.clock.now())


HALL_TZ = ZoneInfo("Asia/Shanghai")  # hall time; every hall of this deployment is in China


def _at(at: datetime | None) -> str | None:
    """With its offset, in hall time (SQLite hands datetimes back naive; all are stored in UTC)."""
    return utc(at).astimezone(HALL_TZ).isoformat(timespec="seconds") if at is not None else None


# ---------------------------------------------------------------- giving it
@dataclass(frozen=True)
class Given:
    kind: str
    text: str
    contact: str | None = None
    ticket: str | None = None


def admit(context: AppContext, principal: Principal | None, hall: str, address: str) -> str:
    """Who gives it (``phone``, ``kiosk`` or ``staff``), after the rate limit: per address for
    visitors' phones, per kiosk for kiosks; staff on a visitor's behalf are not limited."""
    if _is_staff(principal, hall):
        return "staff"
    kiosk = principal is not None and principal.kind == "device" and principal.in_hall(hall)
    limiter, key = ((context.feedback_kiosk_limiter, f"{hall}:{principal.name}") if kiosk and principal
                    else (context.feedback_limiter, address))
    limiter.check(key, zh="提交过于频繁，请 {s} 秒后再试", en="too much feedback; try again in {s} s")
    limiter.hit(key)
    return "kiosk" if kiosk else "phone"


async def give(context: AppContext, principal: Principal | None, hall_code: str, given: Given,
               address: str) -> dict[str, Any]:
    hall = await context.engine.hall(hall_code)  # UnknownHall first
    if given.kind not in domain.KINDS:
        raise InvalidInput("kind 应为 suggestion（意见建议）或 complaint（投诉）", "kind: suggestion|complaint", "kind")
    source = admit(context, principal, hall_code, address)
    now = context.clock.now()
    calendar = await work_calendar(context)
    due, provisional = calendar.add_working_days(hall.local_day(now), domain.DUE_DAYS[given.kind])
    token = context.new_token(24)
    values = dict(hall=hall_code, kind=given.kind, text=given.text, contact=given.contact or None,
                  ticket=given.ticket or None, source=source,
                  taken_by=principal.name if source == "staff" and principal else None, status_token=token,
                  created_at=now, due_date=due, due_provisional=provisional)
    feedback_id = await context.engine.write(lambda conn: store.add(conn, **values))
    row = await context.engine.read(lambda conn: store.get(conn, feedback_id))
    assert row is not None
    today = hall.local_day(now)
    await _tell_managers(context, hall_code, {"type": "feedback.new", "feedback": view(row, today)})
    return {"id": feedback_id, "status": "open", "due_at": due.isoformat(), "status_token": token,
            "kind": given.kind}


# ---------------------------------------------------------------- the managers' side
def view(row: dict[str, Any], today: date, repeat: dict[str, Any] | None = None,
         names: dict[str, str] | None = None) -> dict[str, Any]:
    """As the hall's managers see it (with the contact)."""
    names = names or {}
    closed = row["closed_at"] is not None
    status = domain.status(row["due_date"], closed, today)
    category = None
    if row["line"] or row["level"] or row["person"]:
        category = {"line": row["line"], "level": row["level"], "person": row["person"]}
    out = {
        "id": row["id"], "hall": row["hall"], "kind": row["kind"], "kind_label": domain.KINDS[row["kind"]],
        "text": row["text"], "contact": row["contact"], "ticket": row["ticket"], "source": row["source"],
        "taken_by": row["taken_by"], "status": status, "status_label": domain.STATUS_LABELS[status],
        "overdue": status == "overdue", "created_at": _at(row["created_at"]), "due_at": row["due_date"].isoformat(),
        "due_provisional": bool(row["due_provisional"]), "category": category, "counter": row["counter"],
        "clerk": row["clerk"], "clerk_name": names.get(row["clerk"] or ""), "reply": row["reply"],
        "replied": None if row["replied_at"] is None else {"at": _at(row["replied_at"]), "by": row["replied_by"]},
        "closed": None if not closed else {"at": _at(row["closed_at"]), "by": row["closed_by"]},
    }
    if repeat is not None:
        out["repeat"] = repeat
    return out


async def _repeats(context: AppContext, hall: str) -> dict[str, list[dict[str, Any]]]:
    since = context.clock.now() - timedelta(days=domain.REPEAT_DAYS)
    rows = await context.engine.read(lambda conn: store.named_since(conn, hall, since))
    return domain.repeats(rows)


async def _names(context: AppContext, people: set[str]) -> dict[str, str]:
    found: dict[str, str] = await context.engine.read(lambda conn: accounts.display_names(conn, people))
    return found


async def for_hall(context: AppContext, principal: Principal, hall: str, status: str | None) -> dict[str, Any]:
    """The hall's items (``status``: open, overdue, closed, None: all) and the repeat counts per
    counter and clerk over the last 30 days; each item carries its counter's and clerk's count."""
    await context.engine.hall(hall)
    _manager_of(principal, hall)
    if status is not None and status not in domain.STATUSES:
        raise InvalidInput("status 应为 open、overdue 或 closed", "status: open|overdue|closed", "status")
    today = await _today(context, hall)
    rows = await context.engine.read(lambda conn: store.for_hall(conn, hall, status, today))
    repeats = await _repeats(context, hall)
    names = await _names(context, {r["clerk"] for r in rows if r["clerk"]} |
                         {r["clerk"] for r in repeats["clerks"]})
    for entry in repeats["clerks"]:
        entry["name"] = names.get(entry["clerk"])
    per_counter = {r["counter"]: r["count"] for r in repeats["counters"]}
    per_clerk = {r["clerk"]: r["count"] for r in repeats["clerks"]}
    items = [view(row, today, {"counter": per_counter.get(row["counter"], 0) if row["counter"] else 0,
                               "clerk": per_clerk.get(row["clerk"], 0) if row["clerk"] else 0}, names)
             for row in rows]
    return {"feedback": items, "repeats": repeats, "repeat_days": domain.REPEAT_DAYS}


async def _load(context: AppContext, principal: Principal, hall: str, raw_id: str) -> dict[str, Any]:
    await context.engine.hall(hall)
    _manager_of(principal, hall)
    feedback_id = whole_number(raw_id, 1, INTEGER)
    row = await context.engine.read(lambda conn: store.get(conn, feedback_id)) if feedback_id else None
    if row is None or row["hall"] != hall:
        raise UnknownFeedback(raw_id)
    return row


@dataclass(frozen=True)
class Change:
    line: str | None = None
    level: str | None = None
    person: str | None = None
    categorised: bool = False
    counter: int | None = None
    clerk: str | None = None
    reply: str | None = None
    close: bool = False


async def _check_clerk(context: AppContext, hall: str, username: str, field: str) -> None:
    user = await context.engine.read(lambda conn: accounts.find_user(conn, username))
    if user is None or not user.active or (user.hall != hall and user.role != "admin"):
        raise InvalidInput(f"{field}：{username} 不是本大厅的工作人员",
                           f"{field}: {username!r} is not staff of this hall", field)


async def change(context: AppContext, principal: Principal, hall_code: str, raw_id: str,
                 given: Change) -> dict[str, Any]:
    """Categorise, name the counter or clerk, reply; closing needs a reply (given now or before)."""
    row = await _load(context, principal, hall_code, raw_id)
    if row["closed_at"] is not None:
        raise AlreadyClosed(f"第 {row['id']} 号已经办结，不能再修改", f"feedback {row['id']} is closed")
    hall = await context.engine.hall(hall_code)
    values: dict[str, Any] = {}
    if given.categorised:
        if given.level and given.level not in domain.LEVELS:
            raise InvalidInput("category.level 应为 窗口、科室 或 中心", "category.level: 窗口|科室|中心",
                               "category.level")
        values.update(line=given.line or None, level=given.level or None, person=given.person or None)
    if given.counter is not None:
        if given.counter not in hall.counters:
            raise InvalidInput(f"counter：本大厅没有 {given.counter} 号窗口", f"counter: no counter {given.counter}",
                               "counter")
        values["counter"] = given.counter
    if given.clerk is not None:
        if given.clerk:
            await _check_clerk(context, hall_code, given.clerk, "clerk")
        values["clerk"] = given.clerk or None
    now = context.clock.now()
    if given.reply is not None:
        values.update(reply=given.reply, replied_at=now, replied_by=principal.name)
    if given.close:
        if not (values.get("reply") or row["reply"]):
            raise ReplyMissing("请先填写答复（reply）再办结", "a reply is needed before closing", "reply")
        values.update(closed_at=now, closed_by=principal.name)
    if values:
        await context.engine.write(lambda conn: store.change(conn, row["id"], values))
        await _tell_managers(context, hall_code, {"type": "feedback.changed", "id": row["id"]})
        if given.close:
            await wake_dashboards(context, hall_code)  # an overdue alert may end
    fresh = await context.engine.read(lambda conn: store.get(conn, row["id"]))
    assert fresh is not None
    return view(fresh, hall.local_day(now), names=await _names(context, {fresh["clerk"]} if fresh["clerk"] else set()))


async def overdue_feedback(context: AppContext, hall_code: str) -> list[dict[str, Any]]:
    today = await _today(context, hall_code)
    found: list[dict[str, Any]] = await context.engine.read(lambda conn: store.overdue(conn, hall_code, today))
    return found


# ---------------------------------------------------------------- the visitor's link
async def by_token(context: AppContext, token: str) -> dict[str, Any] | None:
    """What the visitor's own link shows: no contact, no names of staff."""
    row = await context.engine.read(lambda conn: store.by_token(conn, token[:64]))
    if row is None:
        return None
    hall = await context.engine.hall(row["hall"])
    status = domain.status(row["due_date"], row["closed_at"] is not None, hall.local_day(context.clock.now()))
    return {"id": row["id"], "hall": {"code": hall.config.code, "name": hall.config.name}, "kind": row["kind"],
            "kind_label": domain.KINDS[row["kind"]], "text": row["text"], "status": status,
            "status_label": domain.STATUS_LABELS[status], "created_at": _at(row["created_at"]),
            "due_at": row["due_date"].isoformat(), "reply": row["reply"], "replied_at": _at(row["replied_at"]),
            "closed_at": _at(row["closed_at"])}


# ---------------------------------------------------------------- 窗口无否决权
@dataclass(frozen=True)
class Escalation:
    what: str
    why: str
    contact: str | None = None
    counter: int | None = None


def escalation_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "hall": row["hall"], "what": row["what"], "why": row["why"], "contact": row["contact"],
            "counter": row["counter"], "clerk": row["clerk"], "created_at": _at(row["created_at"]),
            "status": "closed" if row["closed_at"] is not None else "open", "resolution": row["resolution"],
            "closed": None if row["closed_at"] is None else {"at": _at(row["closed_at"]), "by": row["closed_by"]}}


async def escalate(context: AppContext, principal: Principal, hall_code: str, given: Escalation) -> dict[str, Any]:
    """A clerk (or any staff of the hall) records what the window cannot settle; the counter is
    the one named, else the clerk's own."""
    hall = await context.engine.hall(hall_code)
    if not _is_staff(principal, hall_code):
        raise Forbidden("只有本大厅的工作人员可以上报", "only the hall's staff escalate")
    counter = given.counter if given.counter is not None else principal.counter
    if counter is not None and counter not in hall.counters:
        raise InvalidInput(f"counter：本大厅没有 {counter} 号窗口", f"counter: no counter {counter}", "counter")
    values = dict(hall=hall_code, what=given.what, why=given.why, contact=given.contact or None, counter=counter,
                  clerk=principal.name, created_at=context.clock.now())
    escalation_id = await context.engine.write(lambda conn: store.add_escalation(conn, **values))
    row = await context.engine.read(lambda conn: store.get_escalation(conn, escalation_id))
    assert row is not None
    body = escalation_view(row)
    await _tell_managers(context, hall_code, {"type": "escalation.new", "escalation": body})
    return body


async def escalations(context: AppContext, principal: Principal, hall: str, status: str | None,
                      by: str | None) -> dict[str, Any]:
    await context.engine.hall(hall)
    _manager_of(principal, hall)
    if status is not None and status not in ("open", "closed"):
        raise InvalidInput("status 应为 open 或 closed", "status: open|closed", "status")
    if by is not None and by not in ("counter", "clerk"):
        raise InvalidInput("by 应为 counter 或 clerk", "by: counter|clerk", "by")
    rows = await context.engine.read(lambda conn: store.escalations_for_hall(conn, hall, status))
    if by is not None:
        counts = domain.counts_by(rows, by)
        if by == "clerk":
            names = await _names(context, {c["clerk"] for c in counts if c["clerk"]})
            for entry in counts:
                entry["name"] = names.get(entry["clerk"])
        return {"by": by, "counts": counts}
    return {"escalations": [escalation_view(row) for row in rows]}


async def resolve(context: AppContext, principal: Principal, hall: str, raw_id: str, resolution: str | None,
                  close: bool) -> dict[str, Any]:
    await context.engine.hall(hall)
    _manager_of(principal, hall)
    escalation_id = whole_number(raw_id, 1, INTEGER)
    row = await context.engine.read(lambda conn: store.get_escalation(conn, escalation_id)) if escalation_id else None
    if row is None or row["hall"] != hall:
        raise UnknownEscalation(raw_id)
    if row["closed_at"] is not None:
        raise AlreadyClosed(f"上报事项 {row['id']} 已经办结", f"escalation {row['id']} is closed")
    if not resolution:
        raise InvalidInput("请填写处理结果（resolution）", "resolution: required", "resolution")
    values: dict[str, Any] = {"resolution": resolution}
    if close:
        values.update(closed_at=context.clock.now(), closed_by=principal.name)
    await context.engine.write(lambda conn: store.close_escalation(conn, row["id"], values))
    await _tell_managers(context, hall, {"type": "escalation.changed", "id": row["id"]})
    fresh = await context.engine.read(lambda conn: store.get_escalation(conn, row["id"]))
    assert fresh is not None
    return escalation_view(fresh)
