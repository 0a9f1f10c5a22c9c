"""What the outside sees: CONTRACT ticket objects, counters, snapshots and events, and the
full internal state that the event log stores so another process can replay it."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from .hall import Hall
from .model import Channel, Counter, CounterMode, Event, Priority, Ticket, TicketStatus
from .settings import public as settings_json

_TICKET_ENUMS = {"priority": Priority, "channel": Channel, "status": TicketStatus}
_TICKET_TIMES = ("issued_at", "called_at", "started_at", "finished_at")


def iso(at: datetime | None, hall: Hall) -> str | None:
    return at.astimezone(hall.tz).isoformat(timespec="seconds") if at else None


# ---------------------------------------------------------------- internal state, for the log
def ticket_state(ticket: Ticket) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Ticket):
        value = getattr(ticket, f.name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        out[f.name] = value
    return out


def ticket_from_state(data: dict[str, Any]) -> Ticket:
    values = dict(data)
    for name in _TICKET_TIMES:
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    values["day"] = date.fromisoformat(values["day"])
    for name, enum in _TICKET_ENUMS.items():
        values[name] = enum(values[name])
    return Ticket(**values)


def counter_state(counter: Counter) -> dict[str, Any]:
    return {
        "number": counter.number, "name": counter.name, "queues": list(counter.queues),
        "mode": counter.mode.value, "clerk": counter.clerk, "ticket_id": counter.ticket_id,
        "pause_reason": counter.pause_reason, "priority_streak": counter.priority_streak,
        "changed_at": counter.changed_at.isoformat() if counter.changed_at else None,
        "clerk_name": counter.clerk_name, "clerk_no": counter.clerk_no,
    }


def counter_from_state(data: dict[str, Any]) -> Counter:
    return Counter(
        number=data["number"], name=data["name"], queues=tuple(data["queues"]), mode=CounterMode(data["mode"]),
        clerk=data["clerk"], ticket_id=data["ticket_id"], pause_reason=data["pause_reason"],
        priority_streak=data["priority_streak"],
        changed_at=datetime.fromisoformat(data["changed_at"]) if data["changed_at"] else None,
        clerk_name=data.get("clerk_name"), clerk_no=data.get("clerk_no"),
    )


def event_state(event: Event) -> dict[str, Any]:
    return {
        "ticket": ticket_state(event.ticket) if event.ticket else None,
        "counter": counter_state(event.counter) if event.counter else None,
        "extra": event.extra,
    }


def event_from_state(type_: str, seq: int, at: datetime, data: dict[str, Any]) -> Event:
    return Event(
        type_, seq, at,
        ticket_from_state(data["ticket"]) if data.get("ticket") else None,
        counter_from_state(data["counter"]) if data.get("counter") else None,
        data.get("extra") or {},
    )


# ---------------------------------------------------------------- public views (CONTRACT)
def public_ticket(hall: Hall, ticket: Ticket, with_token: bool = False) -> dict[str, Any]:
    eta_s = hall.ticket_eta_s(ticket)
    out: dict[str, Any] = {
        "id": ticket.id, "number": ticket.number, "queue": ticket.queue, "priority": ticket.priority.value,
        "channel": ticket.channel.value, "status": ticket.status.value, "ahead": hall.ahead(ticket),
        "eta_s": eta_s, "eta_range_s": hall.eta_range_s(eta_s), "issued_at": iso(ticket.issued_at, hall),
        "called_at": iso(ticket.called_at, hall), "counter": ticket.counter, "recalls": ticket.recalls,
    }
    if ticket.target_counter is not None:
        out["target_counter"] = ticket.target_counter
    if with_token:
        out["status_token"] = ticket.status_token
    return out


def public_counter(counter: Counter) -> dict[str, Any]:
    out: dict[str, Any] = {"number": counter.number, "name": counter.name}
    if counter.clerk_name or counter.clerk_no:  # the clerk's name and staff number, public in every hall
        out["clerk"] = {"name": counter.clerk_name, "staff_no": counter.clerk_no}
    return out


def public_event(hall: Hall, event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"type": event.type, "seq": event.seq, "at": iso(event.at, hall)}
    if event.ticket is not None:
        out["ticket"] = public_ticket(hall, event.ticket)
    if event.counter is not None:
        out["counter"] = public_counter(event.counter)
    if event.type == "hall.notice":
        out["notice"] = event.extra.get("notice")
    if event.type == "hall.phone":
        out["phone"] = event.extra.get("phone")
    if event.type == "hall.changed":  # CONTRACT: {type, seq, at, hall}; the layout and the settings ride along
        out.update(_hall_changed(hall, event))
    for key in ("reason", "from_queue", "from_counter"):
        if event.extra.get(key) is not None:
            out[key] = event.extra[key]
    return out


def queue_rows(hall: Hall, now: datetime) -> list[dict[str, Any]]:
    """Each queue's waiting count, longest wait and estimate for a walk-in taking a number now (with its
    range), as the snapshot and the displays' counts show them."""
    queues = []
    for q in hall.config.queues:
        eta_s = hall.eta_for(q.code)
        queues.append({
            "code": q.code, "name": q.name, "waiting": hall.waiting_count(q.code),
            "longest_wait_s": hall.longest_wait_s(q.code, now), "eta_s": eta_s, "eta_range_s": hall.eta_range_s(eta_s),
        })
    return queues


def snapshot(hall: Hall, now: datetime) -> dict[str, Any]:
    queues = queue_rows(hall, now)
    counters = []
    for c in sorted(hall.counters.values(), key=lambda c: c.number):
        ticket = hall.current_ticket(c)
        counters.append({
            "number": c.number, "name": c.name, "status": hall.public_status(c), "queues": list(c.queues),
            "ticket": public_ticket(hall, ticket) if ticket else None, "pause_reason": c.pause_reason,
            "clerk": public_counter(c).get("clerk"),
        })
    recent = [
        {"ticket": public_ticket(hall, hall.tickets[tid]), "counter": number, "at": iso(at, hall)}
        for tid, number, at in hall.recent_calls if tid in hall.tickets
    ]
    return {"seq": hall.seq, "queues": queues, "counters": counters, "recent_calls": recent, "notice": hall.notice,
            "settings": public_settings(hall)}


def public_settings(hall: Hall) -> dict[str, Any]:
    """The hall's settings as screens read them (server/domain/settings.py ``public``): no alert
    thresholds, no personal data."""
    return settings_json(hall.config, hall.notice)


def _hall_changed(hall: Hall, event: Event) -> dict[str, Any]:
    """``{hall, name, settings, queues, counters}``: a layout change carries the queues and counters,
    a settings change the name and settings; the other half is the hall's as it is now, so that a
    screen always finds the whole of it in any ``hall.changed``."""
    extra = event.extra
    layout = hall_info(hall)
    return {"hall": hall.config.code, "name": extra.get("name", hall.config.name),
            "settings": extra.get("settings", public_settings(hall)),
            "queues": extra.get("queues", layout["queues"]), "counters": extra.get("counters", layout["counters"])}


def hall_info(hall: Hall) -> dict[str, Any]:
    cfg = hall.config
    return {
        "code": cfg.code, "name": cfg.name, "timezone": cfg.timezone, "phone": cfg.phone,
        "opening_hours": settings_json(cfg, None)["opening_hours"], "display_languages": list(cfg.display_languages),
        "queues": [{"code": q.code, "name": q.name} for q in cfg.queues],
        "counters": [{"number": c.number, "name": c.name, "queues": list(c.queues)} for c in cfg.counters],
    }
