"""Device states from the agents' heartbeats, the agent events already acted on, the counters
each agent may drive, and the hall's device tokens as its managers see them (名称, 绑定窗口, 最近在线)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, insert, select, update

from .accounts import TOKEN_ID_LENGTH
from .repo import utc
from .tables import agent_counters, agent_events, device_status, tokens


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


# ------------------------------------------------------------------ device tokens (the 设备 tab)
def _device_token_query() -> Select[Any]:
    return (select(tokens.c.token_hash, tokens.c.device_kind, tokens.c.name, tokens.c.counter, tokens.c.created_at,
                   tokens.c.last_seen_at)
            .where(tokens.c.device_kind.is_not(None), tokens.c.revoked.is_(False)))


def _device_token(row: Any) -> dict[str, Any]:
    return {"id": row.token_hash[:TOKEN_ID_LENGTH], "hash": row.token_hash, "kind": row.device_kind, "name": row.name,
            "counter": row.counter, "created_at": utc(row.created_at),
            "last_seen": utc(row.last_seen_at) if row.last_seen_at is not None else None}


def device_tokens(conn: Connection, hall: str) -> list[dict[str, Any]]:
    """The hall's live device tokens by kind and name, with when each was last seen; ``hash`` is for
    the server's own use, ``id`` (its first characters) is what lists show and changes take."""
    rows = conn.execute(_device_token_query().where(tokens.c.hall == hall)
                        .order_by(tokens.c.device_kind, tokens.c.name, tokens.c.created_at))
    return [_device_token(row) for row in rows]


def device_token(conn: Connection, hall: str, token_id: str) -> list[dict[str, Any]]:
    """The hall's live device tokens whose public id is ``token_id`` (or starts with it): one, or none."""
    if not 8 <= len(token_id) <= 64 or any(c not in "0123456789abcdef" for c in token_id):
        return []
    rows = conn.execute(_device_token_query().where(tokens.c.hall == hall, tokens.c.token_hash.startswith(token_id)))
    return [_device_token(row) for row in rows]


def live_name_taken(conn: Connection, hall: str, kind: str, name: str, but: str | None = None) -> bool:
    """Whether another live ``kind`` token of the hall is called ``name`` (``but``: a hash to leave out)."""
    query = select(tokens.c.token_hash).where(
        tokens.c.hall == hall, tokens.c.device_kind == kind, tokens.c.name == name, tokens.c.revoked.is_(False))
    if but is not None:
        query = query.where(tokens.c.token_hash != but)
    return conn.execute(query.limit(1)).first() is not None


def change_device_token(conn: Connection, hashed: str, **values: Any) -> None:
    """Sets the name or counter of a device token."""
    conn.execute(update(tokens).where(tokens.c.token_hash == hashed).values(**values))


def live_agent_names(conn: Connection, hall: str) -> set[str]:
    rows = conn.scalars(select(tokens.c.name).where(tokens.c.hall == hall, tokens.c.device_kind == "agent",
                                                    tokens.c.revoked.is_(False)))
    return {name for name in rows if name}


def agents_counters(conn: Connection, hall: str) -> dict[str, list[int]]:
    """Every agent of the hall that drives counters, and which (``agent-counters``, the 设备 tab)."""
    out: dict[str, list[int]] = {}
    rows = conn.execute(select(agent_counters.c.agent, agent_counters.c.counter).where(agent_counters.c.hall == hall)
                        .order_by(agent_counters.c.agent, agent_counters.c.counter))
    for row in rows:
        out.setdefault(row.agent, []).append(row.counter)
    return out


def record_seen(conn: Connection, seen: dict[str, datetime]) -> None:
    """When each of these device tokens was last used (token hash → when): one statement for the batch."""
    if seen:
        conn.execute(update(tokens).where(tokens.c.token_hash == bindparam("hashed"))
                     .values(last_seen_at=bindparam("at")),
                     [{"hashed": hashed, "at": at} for hashed, at in seen.items()])


class SeenTokens:
    """The device tokens this process saw in use and has yet to write (最近在线 on the 设备 tab).

    ``note`` is on the path of every request a device makes (server/context.py): a dict look-up, and
    a new entry at most once per token per ``every`` seconds; nothing waits for the database there.
    server/services/devices.py takes the entries in batches and writes them in one statement riding
    along the hall's next commit, so a kiosk issuing tickets never waits for its own "last seen"."""

    LIMIT = 10_000  # tokens remembered; beyond that (never, for real halls) the memory starts afresh

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self._noted: dict[str, float] = {}  # hash → when last noted (monotonic)
        self._pending: dict[str, tuple[str | None, datetime]] = {}  # hash → (hall, when seen)

    def note(self, hashed: str, hall: str | None, at: datetime, now: float | None = None) -> bool:
        """Remembers that this token was used ``at``; False when it was noted less than ``every`` ago."""
        now = time.monotonic() if now is None else now
        last = self._noted.get(hashed)
        if last is not None and now - last < self.every:
            return False
        if len(self._noted) >= self.LIMIT:
            self._noted.clear()
        self._noted[hashed] = now
        self._pending[hashed] = (hall, at)
        return True

    def take(self) -> dict[str | None, dict[str, datetime]]:
        """The pending entries by hall, forgotten here (``give_back`` them if the write fails)."""
        pending, self._pending = self._pending, {}
        by_hall: dict[str | None, dict[str, datetime]] = {}
        for hashed, (hall, at) in pending.items():
            by_hall.setdefault(hall, {})[hashed] = at
        return by_hall

    def give_back(self, hall: str | None, seen: dict[str, datetime]) -> None:
        for hashed, at in seen.items():
            self._pending.setdefault(hashed, (hall, at))

    def __bool__(self) -> bool:
        return bool(self._pending)
