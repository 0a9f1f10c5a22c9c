"""代办 (assisted service, seed art. 13): who assists whom, through which steps, to what result.

A guide (or a 代办员, who has the guide role), a clerk, a manager or an admin of the hall opens a
matter for a visitor, records each step (接待, 代为取号, 陪同办理, 代为递交材料, 代领结果 …) and closes
it with its result. Lists show the visitor's name masked and the contact masked; the hall's managers
list them on the dashboard's 代办 tab (by status and by the days they were opened)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server import params
from server.auth import Principal
from server.context import AppContext
from server.domain import assisted as domain
from server.domain.assisted import MatterClosed, UnknownMatter
from server.domain.errors import Forbidden, InvalidInput
from server.domain.identity import mask_name
from server.params import INTEGER, whole_number
from server.store import accounts
from server.store import assisted as store
from server.store import catalog as catalog_store
from server.store.repo import utc

HALL_TZ = ZoneInfo("Asia/Shanghai")  # hall time; every hall of this deployment is in China


@dataclass(frozen=True)
class Opening:
    visitor_name: str
    contact: str | None = None
    item: str | None = None
    ticket_id: str | None = None
    note: str | None = None


def _iso(at: datetime | None) -> str | None:
    return utc(at).astimezone(HALL_TZ).isoformat(timespec="seconds") if at is not None else None


def _masked_phone(phone: str | None) -> str | None:
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else None


def view(row: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
    """A matter as staff see it: the visitor masked (张*三), the phone masked (138****5678)."""
    names = names or {}
    closed = row["closed_at"] is not None
    return {
        "id": row["id"], "hall": row["hall"], "status": domain.status(closed),
        "visitor": {"masked_name": mask_name(row["visitor_name"]), "contact": _masked_phone(row["contact"])},
        "item": {"code": row["item_code"], "name": row["item_name"]} if row["item_code"] else None,
        "ticket": {"id": row["ticket_id"], "number": row["ticket_number"]} if row["ticket_id"] else None,
        "note": row["note"],
        "assistant": {"username": row["assistant"], "name": names.get(row["assistant"])},
        "steps": [{**step, "at": _iso(datetime.fromisoformat(step["at"])), "by_name": names.get(step.get("by") or "")}
                  for step in row["steps"]],
        "opened_at": _iso(row["opened_at"]),
        "closed": None if not closed else {"at": _iso(row["closed_at"]), "by": row["closed_by"],
                                           "by_name": names.get(row["closed_by"] or ""), "result": row["result"]},
    }


def _assistant_of(principal: Principal, hall: str) -> None:
    if principal.kind != "user" or principal.role not in domain.ASSISTANTS or not principal.in_hall(hall):
        raise Forbidden("只有本大厅的导办员、代办员、窗口人员和管理人员可以办理代办",
                        "only the hall's guides, clerks and managers handle assisted service")


async def _names(context: AppContext, rows: list[dict[str, Any]]) -> dict[str, str]:
    """The display names of everyone in ``rows``: who took each on, did each step, closed it."""
    people = {row["assistant"] for row in rows} | {row["closed_by"] for row in rows if row["closed_by"]}
    people |= {step["by"] for row in rows for step in row["steps"] if step.get("by")}
    return await context.engine.read(lambda conn: accounts.display_names(conn, people))


async def _viewed(context: AppContext, row: dict[str, Any]) -> dict[str, Any]:
    return view(row, await _names(context, [row]))


async def open_matter(context: AppContext, principal: Principal, hall_code: str, given: Opening) -> dict[str, Any]:
    """Records who takes on the visitor (the caller), for which item and ticket; the first step,
    接待, is recorded with it."""
    hall = await context.engine.hall(hall_code)  # UnknownHall first
    _assistant_of(principal, hall_code)
    item_name = None
    if given.item:
        found = await context.engine.read(lambda conn: catalog_store.item_view(conn, hall_code, given.item or ""))
        if found is None:
            raise InvalidInput("事项目录中没有这个事项", "no such item in the hall's catalog", "item")
        item_name = str(found["name"])
    ticket_number = None
    if given.ticket_id:
        ticket = hall.tickets.get(given.ticket_id)
        if ticket is None:
            raise InvalidInput("本大厅今天没有这个号码", "no such ticket in this hall", "ticket_id")
        ticket_number = ticket.number
    now = context.clock.now()
    first = {"step": "接待", "note": given.note, "at": utc(now).isoformat(), "by": principal.name}
    matter_id = await context.engine.write(lambda conn: store.add(
        conn, hall=hall_code, visitor_name=given.visitor_name, contact=given.contact, item_code=given.item,
        item_name=item_name, ticket_id=given.ticket_id, ticket_number=ticket_number, note=given.note,
        assistant=principal.name, opened_at=now))
    await context.engine.write(lambda conn: store.set_steps(conn, matter_id, [first]))
    return await _one(context, hall_code, matter_id)


async def _one(context: AppContext, hall_code: str, matter_id: int) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: store.get(conn, hall_code, matter_id))
    if row is None:
        raise UnknownMatter("没有这件代办", "no such assisted-service matter")
    return await _viewed(context, row)


async def _load(context: AppContext, principal: Principal, hall_code: str, raw_id: str) -> dict[str, Any]:
    await context.engine.hall(hall_code)
    _assistant_of(principal, hall_code)
    matter_id = whole_number(raw_id, 1, INTEGER)
    if matter_id is None:
        raise UnknownMatter("没有这件代办", "no such assisted-service matter")
    row = await context.engine.read(lambda conn: store.get(conn, hall_code, matter_id))
    if row is None:
        raise UnknownMatter("没有这件代办", "no such assisted-service matter")
    return row


async def add_step(context: AppContext, principal: Principal, hall_code: str, raw_id: str, step: str,
                   note: str | None) -> dict[str, Any]:
    row = await _load(context, principal, hall_code, raw_id)
    if row["closed_at"] is not None:
        raise MatterClosed("这件代办已办结，不能再记录步骤", "the matter is closed")
    steps = [*row["steps"], {"step": step, "note": note, "at": utc(context.clock.now()).isoformat(),
                             "by": principal.name}]
    await context.engine.write(lambda conn: store.set_steps(conn, row["id"], steps))
    return await _one(context, hall_code, row["id"])


async def close(context: AppContext, principal: Principal, hall_code: str, raw_id: str, result: str) -> dict[str, Any]:
    """Closes the matter with its result (办结), recorded as its last step."""
    row = await _load(context, principal, hall_code, raw_id)
    if row["closed_at"] is not None:
        raise MatterClosed("这件代办已办结", "the matter is already closed")
    now = context.clock.now()
    steps = [*row["steps"], {"step": "办结", "note": result, "at": utc(now).isoformat(), "by": principal.name}]
    await context.engine.write(lambda conn: store.close(conn, row["id"], result, principal.name, now, steps))
    return await _one(context, hall_code, row["id"])


def _opened_between(first: str | None, last: str | None) -> tuple[datetime | None, datetime | None]:
    """The hall-local days ``first`` to ``last`` (both included, either open) as UTC instants."""
    since = params.day(first, "from") if first else None
    until = params.day(last, "to") if last else None
    if since and until and until < since:
        raise InvalidInput(f"to（{until}）不能早于 from（{since}）", "to is before from", "to")
    start = datetime.combine(since, time(), HALL_TZ).astimezone(UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), HALL_TZ).astimezone(UTC) if until else None
    return start, end


async def for_hall(context: AppContext, principal: Principal, hall_code: str, status: str | None,
                   first: str | None = None, last: str | None = None) -> dict[str, Any]:
    """open: the oldest first; closed: the newest closed first; None: all, newest first; opened
    from the hall-local day ``first`` to ``last`` when given."""
    await context.engine.hall(hall_code)
    _assistant_of(principal, hall_code)
    if status is not None and status not in domain.STATUSES:
        raise InvalidInput("status 应为 open 或 closed", "status: open|closed", "status")
    since, until = _opened_between(first, last)
    rows = await context.engine.read(lambda conn: store.for_hall(conn, hall_code, status, since=since, until=until))
    names = await _names(context, rows)
    return {"assisted": [view(row, names) for row in rows]}
