"""What an agent may drive, and what its keypads and evaluators do at a counter.

Which counters an agent drives is the server's decision, never the agent's: a token made with
``--counter N`` drives N alone; otherwise the hall's ``agent_counters`` rows (``onewindow
agent-counters``) say which; without either, none. The ``hello``'s list is only checked against
that. A key or rating for any other counter is refused, logged and audited: the demo kiosk's
agent runs on a public PC, and its token must not call, pass or rate at a counter it was not given.

A key acts for the clerk signed in at the counter, as the counter page would, so it enters the
audit trail as that clerk, with the agent named (``{"via": agent}``): the AuditTrail middleware sees
HTTP requests only.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

from server.context import AppContext
from server.domain.errors import Forbidden
from server.domain.hall import Hall
from server.domain.keypad import key_command
from server.domain.model import Event, TicketStatus
from server.services import audit
from server.services.ratings import Given, NotRatable, last_finished, store_rating
from server.store import devices

log = logging.getLogger("onewindow.agents")


class CounterNotBound(Forbidden):
    """A key, a rating or a hello for a counter this agent was not given."""


async def allowed_counters(context: AppContext, hall: str, agent: str, bound: int | None) -> set[int]:
    """The counters this agent may drive: its token's counter, else what the hall configured.
    Read at each key, so that a change made with the CLI applies without a reconnect."""
    if bound is not None:
        return {bound}
    return await context.engine.read(lambda conn: devices.counters_of_agent(conn, hall, agent))


async def refuse(context: AppContext, hall: str, agent: str, numbers: Collection[int], allowed: set[int],
                 what: dict[str, Any]) -> CounterNotBound:
    """Logs and audits an attempt at counters the agent was not given; the error to answer with."""
    for number in sorted(numbers):
        log.warning("agent %s/%s: refused %s for counter %s, which it does not drive (it drives %s)",
                    hall, agent, what.get("event"), number, sorted(allowed) or "none")
        await audit.record(context, actor=agent, kind="device", role="agent", hall=hall, action="agent.refused",
                           target=f"counter {number}", detail=what)
    named = "、".join(f"{n}号窗口" for n in sorted(numbers))
    given = "、".join(f"{n}号窗口" for n in sorted(allowed)) or "任何窗口"
    return CounterNotBound(f"此设备代理不能操作{named}（本大厅只允许它操作{given}）",
                           f"this agent does not drive counter(s) {sorted(numbers)}; it drives {sorted(allowed)}")


async def press(context: AppContext, hall: str, agent: str, number: int, action: str,
                argument: int | None) -> str | None:
    """A keypad's key at counter ``number``, for the clerk signed in there; the number it called."""
    clerk: list[str | None] = [None]
    run = key_command(number, action, argument)

    def command(state: Hall, now: datetime) -> list[Event]:
        clerk[0] = state.counter(number).clerk  # inside the hall's lock: who holds it as the key acts
        return run(state, now)

    events = await context.engine.run(hall, command)
    called = next((e.ticket for e in reversed(events) if e.ticket is not None
                   and e.ticket.status == TicketStatus.CALLED), None)
    name = "resume" if any(e.type == "counter.resumed" for e in events) else action
    detail: dict[str, Any] = {"via": agent, "ticket": called.number if called else None}
    if action == "transfer":
        detail["to_counter"] = argument
    await audit.record(context, actor=clerk[0] or "?", kind="user", hall=hall, action=f"keypad.{name}",
                       target=f"counter {number}", detail=detail)
    return called.number if called else None


async def rate(context: AppContext, hall_code: str, agent: str, number: int, level: int) -> str:
    """The evaluator's score for the service counter ``number`` just finished; the ticket's number.
    The same table and rules as the tablet's; the visitor gave it, so the agent is the actor."""
    hall = await context.engine.hall(hall_code)
    hall.counter(number)
    ticket = last_finished(hall, number)
    if ticket is None:
        raise NotRatable(f"{number}号窗口还没有办结的业务可以评价", f"counter {number} has nothing to rate")
    await store_rating(context, hall_code, number, ticket, Given(level, [], None), "evaluator")
    await audit.record(context, actor=agent, kind="device", role="agent", hall=hall_code, action="evaluator.rating",
                       target=f"counter {number}", detail={"via": agent, "level": level, "ticket": ticket.number})
    return ticket.number
