"""What each kind of feed shows in its snapshot, and which hall events it carries.

Every feed but the ticket feed carries every public hall event, so its ``seq`` is gapless and a
client can tell a lost message from a quiet hall (CONTRACT). Staff feeds get their own fields in
the snapshot; the fronts that later issues build add more here, never to the display feed,
which must stay free of personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice
from typing import Any

from server.domain.hall import Hall
from server.domain.model import Counter, Ticket, TicketStatus
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
    return out


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
                "ticket": staff_ticket(hall, ticket) if ticket else None,
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


DISPLAY = Feed("display")
KIOSK = Feed("kiosk")
DASHBOARD = Feed("dashboard")
COUNTER = CounterFeed("counter")
TICKET = TicketFeed("ticket")
