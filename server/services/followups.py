"""整改: an unhappy rating (不满意, 非常不满意) opens a follow-up, due N working days later, wherever
the rating came from (the lifespan registers ``open_for_rating`` among the context's rating hooks).
A manager of the hall assigns it, records the call-back to the visitor and the fix, then closes it.
The rater has no identity in the system; the ticket number is shown to managers only."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from server.auth import Principal
from server.context import AppContext
from server.domain import followups as domain
from server.domain.errors import Forbidden, InvalidInput
from server.domain.followups import FollowupClosed, NotReadyToClose, UnknownFollowup
from server.domain.ratings import LEVELS
from server.params import INTEGER, whole_number
from server.store import accounts
from server.store import followups as store
from server.store.repo import utc

from .calendar import work_calendar
from .ratings import StoredRating


async def open_for_rating(context: AppContext, rating: StoredRating) -> None:
    """The rating hook: an unhappy rating opens a follow-up (once), due N working days later."""
    if not domain.opens_followup(rating.level):
        return
    hall = await context.engine.hall(rating.hall)
    days = await context.engine.read(lambda conn: store.due_days(conn, rating.hall))
    calendar = await work_calendar(context)
    due, provisional = calendar.add_working_days(hall.local_day(rating.at), days)
    with contextlib.suppress(IntegrityError):  # already opened for this rating
        await context.engine.write(lambda conn: store.add(
            conn, hall=rating.hall, rating_id=rating.id, ticket_id=rating.ticket.id,
            ticket_number=rating.ticket.number, counter=rating.counter, clerk=rating.ticket.served_by,
            level=rating.level, opened_at=rating.at, due_date=due, due_provisional=provisional))


# ------------------------------------------------------------------ views
HALL_TZ = ZoneInfo("Asia/Shanghai")  # hall time; every hall of this deployment is in China


def _iso(at: datetime | None) -> str | None:
    """With its offset, in hall time (SQLite hands datetimes back naive; all are stored in UTC)."""
    return utc(at).astimezone(HALL_TZ).isoformat(timespec="seconds") if at is not None else None


def view(row: dict[str, Any], today: date, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A follow-up as its managers see it (with the ticket number: never shown to the clerk rated);
    ``names``: staff usernames → the names people know them by (林晓燕), shown beside the username."""
    names = names or {}
    closed = row["closed_at"] is not None
    status = domain.status(row["due_date"], closed, today)
    return {
        "id": row["id"], "hall": row["hall"], "status": status, "overdue": status == "overdue",
        "ticket": row["ticket_number"], "counter": row["counter"], "clerk": row["clerk"],
        "clerk_name": names.get(row["clerk"] or ""), "assignee_name": names.get(row["assignee"] or ""),
        "rating": {"id": row["rating_id"], "level": row["level"], "label": LEVELS.get(row["level"]),
                   "reasons": list(row["reasons"] or []), "comment": row["comment"], "source": row["source"],
                   "at": _iso(row["rated_at"])},
        "opened_at": _iso(row["opened_at"]), "due_date": row["due_date"].isoformat(),
        "due_provisional": bool(row["due_provisional"]), "assignee": row["assignee"],
        "callback": None if row["callback_at"] is None else {
            "note": row["callback_note"], "reached": bool(row["callback_reached"]), "at": _iso(row["callback_at"]),
            "by": row["callback_by"]},
        "fix": None if row["fix_at"] is None else {"note": row["fix_note"], "at": _iso(row["fix_at"]),
                                                     "by": row["fix_by"]},
        "closed": None if not closed else {"at": _iso(row["closed_at"]), "by": row["closed_by"]},
        "can_close": not closed and not domain.close_blockers(row),
    }


async def _names(context: AppContext, rows: list[dict[str, Any]]) -> dict[str, str]:
    people = {row[k] for row in rows for k in ("clerk", "assignee") if row[k]}
    return await context.engine.read(lambda conn: accounts.display_names(conn, people))


async def _today(context: AppContext, hall_code: str) -> date:
    hall = await context.engine.hall(hall_code)
    return hall.local_day(context.clock.now())


async def overdue_followups(context: AppContext, hall_code: str) -> list[dict[str, Any]]:
    """The hall's follow-ups past their due day and not closed, the longest overdue first."""
    today = await _today(context, hall_code)
    rows = await context.engine.read(lambda conn: store.for_hall(conn, hall_code, "overdue", today))
    return [view(row, today) for row in rows]


def _manager_of(principal: Principal, hall: str) -> None:
    if not principal.manages(hall):
        raise Forbidden("只有本大厅的管理人员可以查看和处理整改", "only the hall's managers handle follow-ups")


async def require_manager(context: AppContext, principal: Principal, hall: str) -> None:
    await context.engine.hall(hall)  # UnknownHall first
    _manager_of(principal, hall)


async def for_hall(context: AppContext, principal: Principal, hall: str, status: str | None) -> dict[str, Any]:
    """open: not closed yet (overdue ones included, soonest due first); overdue: past due and not
    closed; closed: newest closed first; None: all. With the hall's due days."""
    await require_manager(context, principal, hall)
    if status is not None and status not in domain.STATUSES:
        raise InvalidInput("status 应为 open、overdue 或 closed", "status: open|overdue|closed", "status")
    today = await _today(context, hall)
    rows = await context.engine.read(lambda conn: store.for_hall(conn, hall, status, today))
    days = await context.engine.read(lambda conn: store.due_days(conn, hall))
    names = await _names(context, rows)
    return {"followups": [view(row, today, names) for row in rows], "due_days": days}


async def _load(context: AppContext, principal: Principal, raw_id: str) -> dict[str, Any]:
    """The follow-up, if the caller manages its hall: another hall's is as if it did not exist."""
    followup_id = whole_number(raw_id, 1, INTEGER)
    if followup_id is None:
        raise UnknownFollowup(raw_id[:20])
    row = await context.engine.read(lambda conn: store.get(conn, followup_id))
    if row is None:
        raise UnknownFollowup(followup_id)
    try:
        _manager_of(principal, row["hall"])
    except Forbidden:
        raise UnknownFollowup(followup_id) from None
    return row


async def one(context: AppContext, principal: Principal, raw_id: str) -> dict[str, Any]:
    row = await _load(context, principal, raw_id)
    return view(row, await _today(context, row["hall"]), await _names(context, [row]))


@dataclass(frozen=True)
class Change:
    """A manager's change: ``assignee`` ("" unassigns), the call-back, the fix, closing."""

    assignee: str | None = None
    callback_note: str | None = None
    callback_reached: bool | None = None
    fix_note: str | None = None
    close: bool = False


async def change(context: AppContext, principal: Principal, raw_id: str, given: Change) -> dict[str, Any]:
    """Closing needs the call-back and the fix recorded; a closed follow-up changes no more."""
    row = await _load(context, principal, raw_id)
    if row["closed_at"] is not None:
        raise FollowupClosed(f"整改单 {row['id']} 已经办结", f"follow-up {row['id']} is closed")
    now = context.clock.now()
    values: dict[str, Any] = {}
    if given.assignee is not None:
        if given.assignee:
            user = await context.engine.read(lambda conn: accounts.find_user(conn, given.assignee or ""))
            if user is None or not user.active or (user.hall != row["hall"] and user.role != "admin"):
                raise InvalidInput(f"{given.assignee} 不是本大厅的工作人员",
                                   f"{given.assignee!r} is not staff of this hall", "assignee")
        values["assignee"] = given.assignee or None
    if given.callback_note is not None:
        values.update(callback_note=given.callback_note, callback_reached=given.callback_reached, callback_at=now,
                      callback_by=principal.name)
    if given.fix_note is not None:
        values.update(fix_note=given.fix_note, fix_at=now, fix_by=principal.name)
    if given.close:
        missing = domain.close_blockers({**row, **values})
        if missing:
            what = "、".join({"callback": "回访", "fix": "整改措施"}[m] for m in missing)
            raise NotReadyToClose(f"请先记录{what}再办结", "record the call-back and the fix before closing")
        values.update(closed_at=now, closed_by=principal.name)
    if values:
        await context.engine.write(lambda conn: store.change(conn, row["id"], values))
    fresh = await context.engine.read(lambda conn: store.get(conn, row["id"]))
    assert fresh is not None
    return view(fresh, await _today(context, row["hall"]), await _names(context, [fresh]))


async def due_days(context: AppContext, principal: Principal, hall: str) -> int:
    await require_manager(context, principal, hall)
    days: int = await context.engine.read(lambda conn: store.due_days(conn, hall))
    return days


async def set_due_days(context: AppContext, principal: Principal, hall: str, days: int) -> int:
    """Applies to follow-ups opened from now on; those open keep their due date."""
    await require_manager(context, principal, hall)
    now = context.clock.now()
    await context.engine.write(lambda conn: store.set_due_days(conn, hall, days, principal.name, now))
    return days
