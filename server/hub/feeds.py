"""What each kind of feed shows in its snapshot, and which hall events it carries.

Every feed but the ticket feed carries every public hall event, so its ``seq`` is gapless and a
client can tell a lost message from a quiet hall (CONTRACT). Staff feeds get their own fields in
the snapshot; the fronts that later issues build add more here, never to the display feed,
which must stay free of personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain, islice
from typing import Any

from server.domain.hall import Hall
from server.domain.model import Counter, CounterMode, Ticket, TicketStatus
from server.domain.views import iso, public_counter, public_ticket, snapshot


def hall_header(hall: Hall) -> dict[str, Any]:
    return {"code": hall.config.code, "name": hall.config.name}


@dataclass(frozen=True)
class Feed:
    name: str
    every_event: bool = True  # False: only the client's own ticket's events (and position updates)

    def snapshot(self, hall: Hall, now: datetime, params: dict[str, Any]) -> dict[str, Any]:
        return {**snapshot(hall, now), "hall": hall_header(hall)}

    def shareable(self) -> bool:
        """Whether one snapshot serves every client of this feed (then it is serialised once)."""
        return True


NEXT_SHOWN = 8


def next_up(hall: Hall, counter: Counter) -> list[dict[str, Any]]:
    """The counter's next tickets: those transferred to it by name, then its queues in its order,
    each in calling-class order (appointments, priority groups, walk-ins). The guarded policy may
    still let a long-waiting walk-in ahead of a priority ticket: the first one is exact only when
    no class is being held back."""
    waiting = chain(hall.targeted_at(counter.number), *(hall.waiting_in(q) for q in counter.queues))
    return [{"id": t.id, "number": t.number, "queue": t.queue, "priority": t.priority.value,
             "channel": t.channel.value, "issued_at": iso(t.issued_at, hall), "target_counter": t.target_counter}
            for t in islice(waiting, NEXT_SHOWN)]


def counter_today(hall: Hall, number: int) -> dict[str, Any]:
    """Today's figures for one counter: services finished, their mean length (start, or call when
    never started, to 办结), and no-shows."""
    mine = [t for t in hall.tickets.values() if t.counter == number and t.day == hall.day]
    spans = [(end - begin).total_seconds() for t in mine if t.status == TicketStatus.DONE
             and (end := t.finished_at) and (begin := t.started_at or t.called_at)]
    return {"served": len(spans), "average_service_s": round(sum(spans) / len(spans)) if spans else None,
            "no_shows": sum(1 for t in mine if t.status == TicketStatus.NO_SHOW)}


def staff_ticket(hall: Hall, ticket: Ticket) -> dict[str, Any]:
    """The ticket as the clerk serving it sees it: with the card holder's masked name (张*三) when an
    ID card was read at the kiosk. Never on a public feed."""
    out = public_ticket(hall, ticket)
    if ticket.visitor:
        out["visitor"] = ticket.visitor
    if ticket.transferred_from is not None and ticket.first_responder is not None:  # 首问负责人, after a transfer
        out["first_responder"] = {"username": ticket.first_responder,
                                  "name": ticket.first_responder_name or ticket.first_responder,
                                  "counter": ticket.first_counter}
    return out


def sees_visitor(counter: Counter, params: dict[str, Any]) -> bool:
    """The masked name is for the counter's trusted followers (hub/routes.py ``counter``), and for a
    clerk without a fixed counter while they hold this one: checked at every snapshot, since the
    holder changes."""
    return bool(params.get("trusted")) or (params.get("clerk") is not None and counter.clerk == params["clerk"])


@dataclass(frozen=True)
class CounterFeed(Feed):
    def snapshot(self, hall: Hall, now: datetime, params: dict[str, Any]) -> dict[str, Any]:
        body = super().snapshot(hall, now, params)
        counter = hall.counters.get(params["counter"])
        if counter is not None:
            ticket = hall.current_ticket(counter)
            body["counter"] = {
                **public_counter(counter), "queues": list(counter.queues), "status": hall.public_status(counter),
                "clerk": counter.clerk, "pause_reason": counter.pause_reason,
                "changed_at": iso(counter.changed_at, hall),
                "ticket": (staff_ticket(hall, ticket) if sees_visitor(counter, params) else public_ticket(hall, ticket))
                if ticket else None,
            }
            body["next"] = next_up(hall, counter)
            body["today"] = counter_today(hall, counter.number)
        return body

    def shareable(self) -> bool:
        return False


@dataclass(frozen=True)
class TicketFeed(Feed):
    every_event: bool = False

    def snapshot(self, hall: Hall, now: datetime, params: dict[str, Any]) -> dict[str, Any]:
        ticket = hall.tickets.get(params["ticket_id"])
        body = public_ticket(hall, ticket) if ticket is not None else params["stored"]  # an earlier day's
        params["position"] = (body["ahead"], body["eta_s"])  # the next position update only if it moved
        counter = hall.counters.get(body["counter"]) if body.get("counter") else None
        return {"ticket": body, "hall": hall_header(hall),
                "counter": public_counter(counter) if counter else None}

    def shareable(self) -> bool:
        return False


@dataclass
class PauseLedger:
    """Today's pauses per counter, folded from the hall's counter events (the hall's state keeps
    only the pause under way). Kept per hall in :data:`PAUSES` and brought up to date from the log
    by the dashboard endpoint (server/hub/routes.py) on joining, on hall events and every few
    seconds; the snapshot adds the pause under way from the live state."""

    day: date | None = None
    seq: int = 0  # the last event folded
    ended: dict[int, float] = field(default_factory=dict)  # counter → seconds of pauses already over
    started: dict[int, datetime] = field(default_factory=dict)  # counter → start of the pause under way

    def fold(self, rows: list[tuple[int, str, datetime, int]]) -> None:
        for seq, type_, at, number in rows:
            if seq <= self.seq:
                continue
            self.seq = seq
            begun = self.started.pop(number, None)
            if begun is not None:
                self.ended[number] = self.ended.get(number, 0.0) + max(0.0, (at - begun).total_seconds())
            if type_ == "counter.paused":
                self.started[number] = at


PAUSES: dict[str, PauseLedger] = {}
AVERAGE_WAIT_WINDOW_S = 3600


def _start_of_day(hall: Hall, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=hall.tz)


def dashboard_stats(hall: Hall, now: datetime, ledger: PauseLedger | None = None) -> dict[str, Any]:
    """The live figures of the manager's dashboard (docs/alerts.md, "Live statistics")."""
    today = hall.local_day(now)
    day_start = _start_of_day(hall, today)
    hour_ago = now - timedelta(seconds=AVERAGE_WAIT_WINDOW_S)
    todays = [t for t in hall.tickets.values() if t.day == today]
    queues = []
    for q in hall.config.queues:
        mine = [t for t in todays if t.queue == q.code]
        waits = [(t.called_at - t.issued_at).total_seconds() for t in mine
                 if t.called_at is not None and t.called_at >= hour_ago]
        waiting = hall.waiting_count(q.code)
        eta_s = hall.eta_for(q.code)
        queues.append({
            "code": q.code, "name": q.name, "waiting": waiting, "longest_wait_s": hall.longest_wait_s(q.code, now),
            "avg_wait_last_hour_s": round(sum(waits) / len(waits)) if waits else None,
            "called_last_hour": len(waits), "eta_s": eta_s, "eta_range_s": hall.eta_range_s(eta_s),
            "served_today": sum(1 for t in mine if t.status == TicketStatus.DONE),
            "open_counters": sum(1 for c in hall.counters.values() if c.mode == CounterMode.OPEN
                                 and q.code in c.queues),
        })
    counters = []
    fresh = ledger is not None and ledger.day == today
    for c in sorted(hall.counters.values(), key=lambda c: c.number):
        ticket = hall.current_ticket(c)
        current = None
        if ticket is not None:
            begun = ticket.started_at or ticket.called_at
            current = {"number": ticket.number, "queue": ticket.queue, "status": ticket.status.value,
                       "called_at": iso(ticket.called_at, hall), "started_at": iso(ticket.started_at, hall),
                       "since_s": max(0, round((now - begun).total_seconds())) if begun else None}
        paused_since = c.changed_at if c.mode == CounterMode.PAUSED else None
        paused_s = ledger.ended.get(c.number, 0.0) if fresh and ledger is not None else 0.0
        if paused_since is not None:
            paused_s += max(0.0, (now - max(paused_since, day_start)).total_seconds())
        figures = counter_today(hall, c.number)
        counters.append({
            "number": c.number, "name": c.name, "status": hall.public_status(c), "queues": list(c.queues),
            "clerk": {"name": c.clerk_name, "staff_no": c.clerk_no, "username": c.clerk} if c.clerk else None,
            "ticket": current, "served_today": figures["served"], "average_service_s": figures["average_service_s"],
            "no_shows_today": figures["no_shows"], "paused_since": iso(paused_since, hall),
            "pause_reason": c.pause_reason, "paused_s_today": round(paused_s),
        })
    return {"at": iso(now, hall), "queues": queues, "counters": counters}


@dataclass(frozen=True)
class DashboardFeed(Feed):
    """The manager's dashboard: the public snapshot plus ``stats`` (figures as of the snapshot).
    Between snapshots the page keeps the public parts in step from the events and asks for a
    fresh snapshot (``{"type": "resync"}``) when it wants fresh figures."""

    def snapshot(self, hall: Hall, now: datetime, params: dict[str, Any]) -> dict[str, Any]:
        body = super().snapshot(hall, now, params)
        body["stats"] = dashboard_stats(hall, now, PAUSES.get(hall.config.code))
        return body


DISPLAY = Feed("display")
KIOSK = Feed("kiosk")
DASHBOARD = DashboardFeed("dashboard")
COUNTER = CounterFeed("counter")
TICKET = TicketFeed("ticket")
