"""Setting a hall up: the hall itself, its queues (themes) and its counters (CONTRACT v2 "Setting up
a hall"). Who may: an admin anywhere, a manager in their own hall; creating a hall is the command
line's (`onewindow hall create`) or an admin's.

Queues and counters change through the hall's engine as ``hall.changed`` events (server/domain/
hall.py), so every process and screen follows at once and the refusals (tickets waiting, a counter
open) are judged under the hall's lock. Each use case answers what was there before and what is
now, which the audit trail's entry for the request shows (server/api/layout.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from server.auth import Principal
from server.context import AppContext, forbid
from server.domain.errors import InvalidInput
from server.domain.hall import Hall
from server.domain.model import Event, HallConfig
from server.store import repo

# A ticket's number is its queue's code then the day's serial (A001), read back by stripping the
# digits: a code of digits would run into the serial.
QUEUE_CODE = re.compile(r"[A-Z]{1,4}")
HALL_CODE = re.compile(r"[a-z][a-z0-9-]{1,31}")


@dataclass(frozen=True)
class Change:
    before: dict[str, Any] | None  # None: it did not exist
    after: dict[str, Any] | None  # None: retired

    @property
    def created(self) -> bool:
        return self.before is None

    def said(self) -> dict[str, str]:
        """Before and after as the audit trail's sentence reads them: 11号窗口，办理 L、Z."""
        return {"before": _said(self.before), "after": _said(self.after)}


def _said(thing: dict[str, Any] | None) -> str:
    if thing is None:
        return "无"
    if "number" in thing:
        return f"{thing['name']}，办理 {'、'.join(thing['queues'])}"
    if "time_limit_days" in thing:  # a catalog item
        days = f"{thing['time_limit_days']}个工作日" if thing["time_limit_days"] else "即办"
        return (f"{thing['code']} {thing['name']}（{thing['queue']}类，{'、'.join(thing['departments'])}，{days}，"
                f"材料 {len(thing['materials'])} 项）")
    if "position" in thing:
        return f"{thing['code']} {thing['name']}（第 {thing['position']} 位）"
    return f"{thing['code']} {thing['name']}"


def may_lay_out(principal: Principal, hall: str) -> None:
    if not principal.manages(hall):
        raise forbid("只有本大厅的管理员或系统管理员可以设置大厅", "only this hall's managers and admins set it up")


def queue_code(raw: str) -> str:
    if not QUEUE_CODE.fullmatch(raw):
        raise InvalidInput("队列编码须为 1 至 4 个大写字母，例如 A", "a queue's code is 1 to 4 capital letters, e.g. A",
                           "code")
    return raw


async def put_queue(context: AppContext, principal: Principal, hall: str, code: str, name: str,
                    position: int | None = None) -> Change:
    may_lay_out(principal, hall)
    code = queue_code(code)
    before: list[dict[str, Any] | None] = [None]
    after: list[dict[str, Any]] = []

    def command(state: Hall, now: datetime) -> list[Event]:
        before[0] = _queue_config(state, code)
        events = state.put_queue(code, name, now, position)
        after.append(_queue_config(state, code) or {})
        return events

    await context.engine.run(hall, command)
    return Change(before[0], after[0])


def _queue_config(state: Hall, code: str) -> dict[str, Any] | None:
    at = next((i for i, q in enumerate(state.config.queues) if q.code == code), None)
    return None if at is None else {"code": code, "name": state.config.queues[at].name, "position": at + 1}


async def retire_queue(context: AppContext, principal: Principal, hall: str, code: str) -> Change:
    may_lay_out(principal, hall)
    before: list[dict[str, Any] | None] = [None]

    def command(state: Hall, now: datetime) -> list[Event]:
        before[0] = _queue_config(state, code)
        return state.retire_queue(code, now)

    await context.engine.run(hall, command)
    return Change(before[0], None)


async def put_counter(context: AppContext, principal: Principal, hall: str, number: int, queues: tuple[str, ...],
                      name: str | None) -> Change:
    may_lay_out(principal, hall)
    before: list[dict[str, Any] | None] = [None]
    after: list[dict[str, Any]] = []

    def command(state: Hall, now: datetime) -> list[Event]:
        before[0] = _counter_config(state, number)
        events = state.put_counter(number, name, queues, now)
        after.append(_counter_config(state, number) or {})
        return events

    await context.engine.run(hall, command)
    return Change(before[0], after[0])


async def retire_counter(context: AppContext, principal: Principal, hall: str, number: int) -> Change:
    may_lay_out(principal, hall)
    before: list[dict[str, Any] | None] = [None]

    def command(state: Hall, now: datetime) -> list[Event]:
        before[0] = _counter_config(state, number)
        return state.retire_counter(number, now)

    await context.engine.run(hall, command)
    return Change(before[0], None)


def _counter_config(state: Hall, number: int) -> dict[str, Any] | None:
    found = next((c for c in state.config.counters if c.number == number), None)
    return {"number": number, "name": found.name, "queues": list(found.queues)} if found else None


async def public_halls(context: AppContext) -> list[dict[str, str]]:
    """Every hall's code and name (public, as GET /api/v1/halls/{hall} is): the home page's list."""
    return await context.engine.read(repo.hall_list)


async def hall_list(context: AppContext, principal: Principal) -> list[dict[str, str]]:
    """The halls this person sets up: every hall for an admin, their own for a manager."""
    halls = await context.engine.read(repo.hall_list)
    return [h for h in halls if principal.manages(h["code"])]


async def put_hall(context: AppContext, principal: Principal, code: str, name: str) -> Change:
    """An empty hall, by an admin; an existing one is answered as it is."""
    if principal.role != "admin":
        raise forbid("只有系统管理员可以新建大厅", "only an admin creates a hall")
    before = await context.engine.read(lambda conn: repo.hall_row(conn, code))
    if before is not None:
        return Change({"code": code, "name": before.name}, {"code": code, "name": before.name})
    await context.engine.write(lambda conn: create_hall(conn, code, name))
    state = await context.engine.hall(code)
    return Change(None, {"code": code, "name": state.config.name, "queues": [], "counters": []})


def create_hall(conn: Connection, code: str, name: str) -> bool:
    """An empty hall (no queues, counters or items), or a new name for one; True when created.
    For the command line, which writes before any server has the hall loaded."""
    if not HALL_CODE.fullmatch(code):
        raise InvalidInput("大厅编码须为 2 至 32 个小写字母、数字或连字符，以字母开头，例如 jinan",
                           "a hall's code is 2 to 32 lower-case letters, digits or hyphens, e.g. jinan", "code")
    name = name.strip()
    if not name:
        raise InvalidInput("大厅名称不能为空", "the hall's name must not be empty", "name")
    if repo.hall_row(conn, code) is None:
        repo.save_hall(conn, HallConfig(code, name))
        return True
    repo.rename_hall(conn, code, name)  # a running server shows the new name from its next start
    return False
