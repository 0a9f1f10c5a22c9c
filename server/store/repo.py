"""Reading and writing halls, events and their projections. Every function takes an open
Connection: the caller owns the transaction."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.domain import settings as hall_settings
from server.domain.hall import Hall
from server.domain.model import (
    Counter,
    CounterConfig,
    Event,
    HallConfig,
    QueueConfig,
)
from server.domain.views import (
    counter_state,
    event_from_state,
    event_state,
    ticket_state,
)

from . import tables as t

_CONFIG_KEYS = ("timezone", "reinstate_places", "default_service_s", "service_window", "recent_calls", "phone")


def config_to_json(cfg: HallConfig) -> dict[str, Any]:
    """The settings (policy, opening hours, 过号 and 回呼, languages) under the keys and in the form
    the settings page and ``hall.changed`` use (server/domain/settings.py); the notice is kept apart."""
    settings = {k: v for k, v in hall_settings.public(cfg, None).items() if k != "notice"}
    return {
        **{k: getattr(cfg, k) for k in _CONFIG_KEYS},
        "queues": [{"code": q.code, "name": q.name} for q in cfg.queues],
        "counters": [{"number": c.number, "name": c.name, "queues": list(c.queues)} for c in cfg.counters],
        **settings,
    }


def config_from_json(code: str, name: str, data: dict[str, Any]) -> HallConfig:
    values = {k: data[k] for k in _CONFIG_KEYS if k in data} | hall_settings.config_values(data)
    return HallConfig(
        code=code, name=name,
        queues=tuple(QueueConfig(q["code"], q["name"]) for q in data["queues"]),
        counters=tuple(CounterConfig(c["number"], c["name"], tuple(c["queues"])) for c in data["counters"]),
        **values,
    )


def utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def hall_row(conn: Connection, code: str) -> Any:
    return conn.execute(select(t.halls).where(t.halls.c.code == code)).first()


def hall_codes(conn: Connection) -> list[str]:
    return list(conn.scalars(select(t.halls.c.code)))


def hall_list(conn: Connection) -> list[dict[str, str]]:
    """Every hall's code and name, by code (the administrator's list)."""
    rows = conn.execute(select(t.halls.c.code, t.halls.c.name).order_by(t.halls.c.code))
    return [{"code": code, "name": name} for code, name in rows]


def save_hall(conn: Connection, cfg: HallConfig) -> None:
    """Create the hall or update its configuration; counters keep their state."""
    data = config_to_json(cfg)
    if hall_row(conn, cfg.code) is None:
        conn.execute(insert(t.halls).values(code=cfg.code, name=cfg.name, config=data, seq=0))
    else:
        conn.execute(update(t.halls).where(t.halls.c.code == cfg.code).values(name=cfg.name, config=data))
    existing = set(conn.scalars(select(t.counters.c.number).where(t.counters.c.hall == cfg.code)))
    hall = Hall(cfg)
    for number, counter in hall.counters.items():
        if number not in existing:
            conn.execute(insert(t.counters).values(hall=cfg.code, number=number, state=counter_state(counter)))


def rename_hall(conn: Connection, code: str, name: str) -> None:
    conn.execute(update(t.halls).where(t.halls.c.code == code).values(name=name))


# The statements of every batch, built once with bound parameters: building one costs more than
# running it on SQLite (the expression, then its cache key), up to a fifth of the hall thread's time.
_SEQ = select(t.halls.c.seq).where(t.halls.c.code == bindparam("code"))
_SEQ_FOR_UPDATE = _SEQ.with_for_update()
_SET_SEQ = update(t.halls).where(t.halls.c.code == bindparam("b_code")).values(seq=bindparam("b_seq"))
_EVENTS_SINCE = (select(t.events.c.type, t.events.c.seq, t.events.c.at, t.events.c.data, t.events.c.public)
                 .where(t.events.c.hall == bindparam("code"), t.events.c.seq > bindparam("seq"))
                 .order_by(t.events.c.seq))
_EVENTS_SINCE_LIMITED = _EVENTS_SINCE.limit(bindparam("limit"))
_SET_COUNTER = (update(t.counters)
                .where(t.counters.c.hall == bindparam("b_hall"), t.counters.c.number == bindparam("b_number"))
                .values(state=bindparam("b_state", type_=t.counters.c.state.type)))


def lock_hall(conn: Connection, code: str) -> int | None:
    """Take the hall's write lock (SQLite: already held since BEGIN IMMEDIATE) and read its seq."""
    return conn.scalar(_SEQ_FOR_UPDATE if conn.dialect.name == "postgresql" else _SEQ, {"code": code})


def current_seq(conn: Connection, code: str) -> int | None:
    return conn.scalar(_SEQ, {"code": code})


def events_since(conn: Connection, code: str, seq: int, limit: int | None = None) -> Sequence[Any]:
    """In shared mode every batch and every read of a hall that moved asks this."""
    params = {"code": code, "seq": seq}
    if limit is None:
        return conn.execute(_EVENTS_SINCE, params).all()
    return conn.execute(_EVENTS_SINCE_LIMITED, {**params, "limit": limit}).all()


def oldest_seq(conn: Connection, code: str) -> int:
    return conn.scalar(select(func.min(t.events.c.seq)).where(t.events.c.hall == code)) or 0


def row_to_event(row: Any) -> Event:
    return event_from_state(row.type, row.seq, utc(row.at), row.data)


@functools.cache
def _ticket_upsert(dialect: str) -> Any:
    """Built once per dialect: building it per batch was a quarter of a batch's CPU (profiled)."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t.tickets)
    changing = ("queue", "status", "counter", "called_at", "finished_at", "data")
    return stmt.on_conflict_do_update(index_elements=["id"], set_={c: stmt.excluded[c] for c in changing})


def write_events(conn: Connection, code: str, events: Sequence[Event], public: Sequence[dict[str, Any]]) -> None:
    """Append the events and bring the projections (tickets, counters, halls.seq) up to date."""
    if not events:
        return
    conn.execute(insert(t.events), [
        {"hall": code, "seq": e.seq, "type": e.type, "at": e.at, "data": event_state(e), "public": p}
        for e, p in zip(events, public, strict=True)
    ])
    latest_tickets = {e.ticket.id: e.ticket for e in events if e.ticket is not None}
    if latest_tickets:
        rows = [{
            "id": tk.id, "hall": code, "day": tk.day, "number": tk.number, "queue": tk.queue,
            "status": tk.status.value, "priority": tk.priority.value, "channel": tk.channel.value,
            "counter": tk.counter, "status_token": tk.status_token, "issued_at": tk.issued_at,
            "called_at": tk.called_at, "finished_at": tk.finished_at, "data": ticket_state(tk),
        } for tk in latest_tickets.values()]
        conn.execute(_ticket_upsert(conn.dialect.name), rows)
    layouts = [e for e in events if e.type == "hall.changed" and "queues" in e.extra]
    if layouts:  # a new counter's row, before anything in the batch updates its state
        _add_counter_rows(conn, code, layouts)
    latest_counters = {e.counter.number: e.counter for e in events if e.counter is not None}
    if latest_counters:
        conn.execute(_SET_COUNTER, [{"b_hall": code, "b_number": counter.number, "b_state": counter_state(counter)}
                                    for counter in latest_counters.values()])
    kept = [e for e in events if e.type in ("hall.notice", "hall.phone", "hall.changed")]
    if kept:  # kept in the config (and the name), so that a reload needs no search through the log
        config = dict(hall_row(conn, code).config)
        values: dict[str, Any] = {}
        for e in kept:  # in order: the last word on each wins
            if e.type == "hall.notice":
                config["notice"] = e.extra.get("notice")
            elif e.type == "hall.phone":
                config["phone"] = e.extra.get("phone") or ""
            if "queues" in e.extra:
                config["queues"] = e.extra["queues"]
                config["counters"] = e.extra["counters"]
            if "settings" in e.extra:  # the settings page's, under the same keys (server/domain/settings.py)
                config.update(e.extra["settings"])
            if "name" in e.extra:
                values["name"] = e.extra["name"]
        conn.execute(update(t.halls).where(t.halls.c.code == code).values(config=config, **values))
    conn.execute(_SET_SEQ, {"b_code": code, "b_seq": events[-1].seq})


def _add_counter_rows(conn: Connection, code: str, layouts: list[Event]) -> None:
    existing = set(conn.scalars(select(t.counters.c.number).where(t.counters.c.hall == code)))
    for layout in layouts:
        for c in layout.extra["counters"]:
            if c["number"] not in existing:
                counter = Counter(c["number"], c["name"], tuple(c["queues"]))
                conn.execute(insert(t.counters).values(hall=code, number=counter.number, state=counter_state(counter)))
                existing.add(counter.number)


def ticket_data_by_token(conn: Connection, token: str) -> tuple[str, dict[str, Any]] | None:
    row = conn.execute(select(t.tickets.c.hall, t.tickets.c.data).where(t.tickets.c.status_token == token)).first()
    return (row.hall, row.data) if row else None
