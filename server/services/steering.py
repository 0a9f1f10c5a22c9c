"""The manager steering the hall from the dashboard: move waiting tickets to another queue, open a
counter to more queues. Pausing and closing a counter are counter actions (server/api/counters.py),
which managers may take at any counter of their hall; the hall notice is ``Hall.set_notice``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.auth import Principal
from server.context import AppContext
from server.domain.clock import ShiftedClock
from server.domain.errors import Forbidden, InvalidInput, NotFound, UnknownQueue
from server.domain.hall import Hall
from server.domain.model import Event, Ticket
from server.domain.views import iso

from .alerts import require_manager, wake_dashboards


async def move_waiting(context: AppContext, principal: Principal, hall_code: str, source: str, target: str,
                       count: int | None) -> tuple[Hall, list[Ticket]]:
    """All the queue's waiting tickets, or the ``count`` longest waiting, go to ``target``: one
    ``ticket.transferred`` event each (``reason: "manager_move"``). They keep their arrival time, so
    their order among themselves, and their place by arrival among those already waiting there."""
    hall = await context.engine.hall(hall_code)
    require_manager(principal, hall_code, "调整队列")
    if hall.config.queue(source) is None:
        raise UnknownQueue(f"没有 {source} 类队列", f"no queue {source!r} in this hall")
    if hall.config.queue(target) is None:
        raise UnknownQueue(f"字段 to 无效：没有 {target} 类队列", f"no queue {target!r}", "to")
    if target == source:
        raise InvalidInput("字段 to 无效：不能转到原队列", "to must be another queue", "to")

    def command(hall: Hall, now: datetime) -> list[Event]:
        return hall.move_waiting(source, target, now, count, by=principal.name)

    events = await context.engine.run(hall_code, command)
    hall = await context.engine.hall(hall_code)
    moved = [hall.tickets.get(e.ticket.id, e.ticket) for e in events
             if e.type == "ticket.transferred" and e.ticket is not None]
    if moved:
        await wake_dashboards(context, hall_code)
    return hall, moved


async def set_counter_queues(context: AppContext, principal: Principal, hall_code: str, number: int,
                             queues: list[str]) -> Hall:
    """Opens a counter to a second queue (``["A", "B"]``) or changes its list: a ``counter.changed``
    event; its next calls follow the new list, first queue first. The list stays until changed again."""
    hall = await context.engine.hall(hall_code)
    hall.counter(number)
    require_manager(principal, hall_code, "调整窗口业务")
    if not queues:
        raise InvalidInput("字段 queues 无效：至少要有一类业务", "queues must not be empty", "queues")
    for queue in queues:
        if hall.config.queue(queue) is None:
            raise UnknownQueue(f"字段 queues 无效：没有 {queue} 类队列", f"no queue {queue!r}", "queues")
    if len(set(queues)) != len(queues):
        raise InvalidInput("字段 queues 无效：队列重复", "queues lists a queue twice", "queues")
    await context.engine.run(hall_code, lambda h, now: h.set_counter_queues(number, queues, now, by=principal.name))
    await wake_dashboards(context, hall_code)
    return await context.engine.hall(hall_code)


def adjustable_clock(context: AppContext) -> ShiftedClock:
    """The test clock of demos and browser tests (``ONEWINDOW_CLOCK_AT``); anywhere else NotFound:
    for a real hall the path does not exist."""
    clock = context.clock
    if context.settings.clock_at is None or not isinstance(clock, ShiftedClock):
        raise NotFound("没有这个地址", "not found")
    return clock


async def advance_clock(context: AppContext, principal: Principal, seconds: float) -> dict[str, Any]:
    """An admin jumps the test clock ahead (a browser test sees a wait pass its target); every
    dashboard recomputes its alerts. ``{now, halls: {code: now in the hall's time}}``."""
    clock = adjustable_clock(context)
    if not (principal.kind == "user" and principal.role == "admin"):
        raise Forbidden("只有系统管理员可以调整时钟", "only admins may move the clock")
    now = clock.advance(seconds)
    out: dict[str, Any] = {"now": now.isoformat(timespec="seconds")}
    for hall in await context.engine.loaded_halls():
        out.setdefault("halls", {})[hall.config.code] = iso(now, hall)
        await wake_dashboards(context, hall.config.code)
    return out
