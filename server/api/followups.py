"""整改: the follow-up a 不满意 or 非常不满意 rating opens, for the hall's managers.

Opened by a rating hook (server/services/followups.py) wherever the rating came from.
Due N working days after the rating (5 unless the hall sets otherwise), counted on the working
calendar. A manager assigns it, records the call-back to the visitor and the fix, then closes it.
The rater has no identity in the system; the ticket number is shown to managers only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.auth import Principal
from server.context import AppContext, ctx, forbid, require_principal
from server.domain import followups as domain
from server.domain.errors import Conflict, Forbidden
from server.domain.ratings import LEVELS
from server.store import accounts
from server.store import followups as store
from server.store.repo import utc

from .declare import endpoint
from .errors import ApiError, JSONResponse
from .schemas import Body

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class FollowupClosed(Conflict):
    code = "followup_closed"


class NotReadyToClose(Conflict):
    code = "not_ready_to_close"


class Callback(Body):
    note: Note = Field(description="what the visitor said when called back")
    reached: bool = Field(description="whether the visitor was reached")


class Fix(Body):
    note: Note = Field(description="what was changed (整改措施)")


class FollowupChange(Body):
    assignee: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="a staff username of the hall; an empty string unassigns")
    callback: Callback | None = None
    fix: Fix | None = None
    close: bool | None = Field(default=None, description="true closes it (after a call-back and a fix)")


class FollowupSettings(Body):
    due_days: int = Field(ge=1, le=domain.MAX_DUE_DAYS, description="working days from the rating to the due date")


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


async def _today(context: AppContext, hall_code: str) -> date:
    hall = await context.engine.hall(hall_code)
    return hall.local_day(context.clock.now())


async def overdue_followups(context: AppContext, hall_code: str) -> list[dict[str, Any]]:
    """The hall's follow-ups past their due day and not closed, the longest overdue first (for alerts)."""
    today = await _today(context, hall_code)
    rows = await context.engine.read(lambda conn: store.for_hall(conn, hall_code, "overdue", today))
    return [view(row, today) for row in rows]


def _manager_of(principal: Principal, hall: str) -> None:
    if not principal.is_manager or not principal.in_hall(hall):
        raise forbid("只有本大厅的管理人员可以查看和处理整改", "only the hall's managers handle follow-ups")


async def _manager(request: Request, hall: str) -> Principal:
    principal = await require_principal(request)
    await ctx(request).engine.hall(hall)  # 404 for an unknown hall
    _manager_of(principal, hall)
    return principal


def _followup_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise ApiError(404, "unknown_followup", f"没有整改单 {raw} (no follow-up {raw!r})")
    return int(raw)


async def _load(request: Request) -> tuple[Principal, dict[str, Any]]:
    context = ctx(request)
    followup_id = _followup_id(request)
    principal = await require_principal(request)
    row = await context.engine.read(lambda conn: store.get(conn, followup_id))
    if row is None:
        raise ApiError(404, "unknown_followup", f"没有整改单 {followup_id} (no follow-up {followup_id})")
    try:
        _manager_of(principal, row["hall"])
    except (ApiError, Forbidden):  # another hall's: as if it did not exist
        raise ApiError(404, "unknown_followup", f"没有整改单 {followup_id} (no follow-up {followup_id})") from None
    return principal, row


# ------------------------------------------------------------------ routes
@endpoint("GET", "/halls/{hall}/followups", "The hall's follow-ups (整改): ?status=open|overdue|closed (managers)",
          tag="manage", responses={200: "{followups: [...], due_days}", 403: "not a manager of this hall"})
async def list_followups(request: Request) -> Response:
    """open: not closed yet (overdue ones included, soonest due first); overdue: past due and not
    closed; closed: newest closed first; no status: all."""
    context = ctx(request)
    code = request.path_params["hall"]
    await _manager(request, code)
    status = request.query_params.get("status") or None
    if status is not None and status not in domain.STATUSES:
        raise ApiError(422, "invalid_field", "status 应为 open、overdue 或 closed (status: open|overdue|closed)",
                       "status")
    today = await _today(context, code)
    rows = await context.engine.read(lambda conn: store.for_hall(conn, code, status, today))
    days = await context.engine.read(lambda conn: store.due_days(conn, code))
    names = await _names(context, rows)
    return JSONResponse({"followups": [view(row, today, names) for row in rows], "due_days": days})


async def _names(context: AppContext, rows: list[dict[str, Any]]) -> dict[str, str]:
    people = {row[k] for row in rows for k in ("clerk", "assignee") if row[k]}
    return await context.engine.read(lambda conn: accounts.display_names(conn, people))


@endpoint("GET", "/followups/{id}", "One follow-up (managers of its hall)", tag="manage",
          responses={200: "the follow-up", 404: "no such follow-up in the caller's halls"})
async def get_followup(request: Request) -> Response:
    _, row = await _load(request)
    return JSONResponse(view(row, await _today(ctx(request), row["hall"]), await _names(ctx(request), [row])))


@endpoint("PATCH", "/followups/{id}", "Assign, record the call-back or the fix, close (managers)",
          body=FollowupChange, tag="manage",
          responses={200: "the follow-up as now", 404: "no such follow-up in the caller's halls",
                     409: "already closed, or closing before the call-back and the fix",
                     422: "an assignee who is not staff of the hall"})
async def change_followup(request: Request, body: FollowupChange) -> Response:
    context = ctx(request)
    principal, row = await _load(request)
    if row["closed_at"] is not None:
        raise FollowupClosed(f"整改单 {row['id']} 已经办结", f"follow-up {row['id']} is closed")
    now = context.clock.now()
    values: dict[str, Any] = {}
    if body.assignee is not None:
        if body.assignee:
            user = await context.engine.read(lambda conn: accounts.find_user(conn, body.assignee or ""))
            if user is None or not user.active or (user.hall != row["hall"] and user.role != "admin"):
                raise ApiError(422, "invalid_field", f"{body.assignee} 不是本大厅的工作人员 "
                               f"({body.assignee!r} is not staff of this hall)", "assignee")
        values["assignee"] = body.assignee or None
    if body.callback is not None:
        values.update(callback_note=body.callback.note, callback_reached=body.callback.reached, callback_at=now,
                      callback_by=principal.name)
    if body.fix is not None:
        values.update(fix_note=body.fix.note, fix_at=now, fix_by=principal.name)
    if body.close:
        missing = domain.close_blockers({**row, **values})
        if missing:
            what = "、".join({"callback": "回访", "fix": "整改措施"}[m] for m in missing)
            raise NotReadyToClose(f"请先记录{what}再办结", "record the call-back and the fix before closing")
        values.update(closed_at=now, closed_by=principal.name)
    if values:
        await context.engine.write(lambda conn: store.change(conn, row["id"], values))
    fresh = await context.engine.read(lambda conn: store.get(conn, row["id"]))
    assert fresh is not None
    return JSONResponse(view(fresh, await _today(context, row["hall"]), await _names(context, [fresh])))


@endpoint("GET", "/halls/{hall}/followups/settings", "The hall's follow-up due days (managers)", tag="manage")
async def get_settings(request: Request) -> Response:
    context = ctx(request)
    code = request.path_params["hall"]
    await _manager(request, code)
    days = await context.engine.read(lambda conn: store.due_days(conn, code))
    return JSONResponse({"due_days": days})


@endpoint("PUT", "/halls/{hall}/followups/settings", "Set the working days a follow-up is due in (managers)",
          body=FollowupSettings, tag="manage", responses={200: "the setting", 403: "not a manager of this hall"})
async def put_settings(request: Request, body: FollowupSettings) -> Response:
    """Applies to follow-ups opened from now on; those open keep their due date."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await _manager(request, code)
    now = context.clock.now()
    await context.engine.write(lambda conn: store.set_due_days(conn, code, body.due_days, principal.name, now))
    return JSONResponse({"due_days": body.due_days})


ROUTES = [get_settings, put_settings, list_followups, get_followup, change_followup]
