"""Device states from the agents' heartbeats, the agent events already acted on, and the counters
each agent may drive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from .tables import agent_counters, agent_events, device_status


def save_states(conn: Connection, hall: str, agent: str, states: dict[str, dict[str, str]], at: datetime) -> None:
    """Replaces what ``agent`` said of its devices (an update per device; rows are few)."""
    for device, status in states.items():
        values = {"state": status["state"], "detail": status.get("detail", ""), "updated_at": at}
        changed = conn.execute(update(device_status).where(
            device_status.c.hall == hall, device_status.c.agent == agent, device_status.c.device == device,
        ).values(**values)).rowcount
        if not changed:
            conn.execute(insert(device_status).values(hall=hall, agent=agent, device=device, **values))


def states(conn: Connection, hall: str, agent: str | None = None) -> list[dict[str, Any]]:
    query = select(device_status).where(device_status.c.hall == hall)
    if agent is not None:
        query = query.where(device_status.c.agent == agent)
    rows = conn.execute(query.order_by(device_status.c.agent, device_status.c.device)).mappings()
    return [dict(row) for row in rows]


def acted_on(conn: Connection, event_id: str) -> dict[str, Any] | None:
    """The acknowledgement already sent for this agent event, if the server has acted on it."""
    result = conn.scalar(select(agent_events.c.result).where(agent_events.c.id == event_id))
    return dict(result) if result is not None else None


def record_event(conn: Connection, *, event_id: str, hall: str, agent: str, type: str, at: datetime,
                 result: dict[str, Any]) -> None:
    conn.execute(insert(agent_events).values(id=event_id, hall=hall, agent=agent, type=type, at=at, result=result))


def forget_events_before(conn: Connection, before: datetime) -> int:
    """Agents re-send within minutes, not weeks: older ids need not be kept."""
    return int(conn.execute(delete(agent_events).where(agent_events.c.at < before)).rowcount)


def counters_of_agent(conn: Connection, hall: str, agent: str) -> set[int]:
    """The counters the hall lets ``agent`` drive (none when it set none)."""
    rows = conn.scalars(select(agent_counters.c.counter).where(agent_counters.c.hall == hall,
                                                               agent_counters.c.agent == agent))
    return set(rows)


def set_counters_of_agent(conn: Connection, hall: str, agent: str, counters: set[int]) -> None:
    """Replaces the counters ``agent`` may drive (an empty set: none)."""
    conn.execute(delete(agent_counters).where(agent_counters.c.hall == hall, agent_counters.c.agent == agent))
    if counters:
        conn.execute(insert(agent_counters), [{"hall": hall, "agent": agent, "counter": n} for n in sorted(counters)])
