"""A hall's state rebuilt from the store: the projections (its counters, today's tickets and any
still open), the log's tail (the rolling service times, the recent calls) and the last weeks'
tickets and pauses, from which the estimate learns its usual day again (docs/eta.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection, select

from server.domain.estimate import HISTORY_DAYS
from server.domain.hall import Hall
from server.domain.model import FINAL_STATUSES, Channel, Priority, calling_class
from server.domain.views import counter_from_state, ticket_from_state

from . import history
from . import tables as t
from .repo import config_from_json, hall_row, row_to_event, utc

RECALL_DAYS = 2 * HISTORY_DAYS  # past days read again: the usual day weighs the last week most


def load_hall(conn: Connection, code: str, now: datetime) -> Hall | None:
    """Rebuild a hall's state (None: no such hall)."""
    row = hall_row(conn, code)
    if row is None:
        return None
    hall = Hall(config_from_json(row.code, row.name, row.config), seq=row.seq)
    hall.notice = row.config.get("notice")
    today = hall.local_day(now)
    last_at = conn.scalar(select(t.events.c.at).where(t.events.c.hall == code, t.events.c.seq == row.seq))
    # The day of the last event, so that the next command rolls yesterday over if need be.
    hall.day = hall.local_day(utc(last_at)) if last_at else today
    for state in conn.scalars(select(t.counters.c.state).where(t.counters.c.hall == code)):
        counter = counter_from_state(state)
        laid_out = hall.counters.get(counter.number)
        if laid_out is not None:  # its state; its name and queues as the hall's layout has them now
            hall.counters[counter.number] = replace(counter, name=laid_out.name, queues=laid_out.queues)
    hall.observed.layout = None  # the estimates' counters, worked out again from these
    for day, arrivals, services, pauses in past_days(conn, hall, today):
        hall.observed.recall(day, arrivals, services, pauses)
    hall.observed.new_day(hall.day)  # the last day recalled joins the usual day, if today has begun
    final = [s.value for s in FINAL_STATUSES]
    query = (select(t.tickets.c.data).where(t.tickets.c.hall == code)
             .where((t.tickets.c.day >= today) | t.tickets.c.status.not_in(final))
             .order_by(t.tickets.c.issued_at))
    for data in conn.scalars(query):
        hall._put_ticket(ticket_from_state(data))
    floor = row.config.get("serial_floor")  # after a restore (server/services/backups.py)
    if floor:
        hall.raise_serials(date.fromisoformat(floor["day"]), floor["serials"])
    # Today's rolling service times (the days before were recalled) and the recent calls come back
    # from the log's tail.
    tail = (select(t.events.c.type, t.events.c.seq, t.events.c.at, t.events.c.data)
            .where(t.events.c.hall == code, t.events.c.type.in_(("ticket.called", "ticket.recalled", "ticket.done")))
            .order_by(t.events.c.seq.desc()).limit(50 * max(1, len(hall.config.queues))))
    for ev in reversed([row_to_event(r) for r in conn.execute(tail)]):
        if ev.type == "ticket.done" and ev.ticket and ev.ticket.called_at and ev.ticket.queue in hall.services:
            if hall.local_day(ev.at) == today:
                hall.services[ev.ticket.queue].append((ev.at - ev.ticket.called_at).total_seconds())
        elif ev.ticket and ev.counter:
            hall.recent_calls.appendleft((ev.ticket.id, ev.counter.number, ev.at))
    return hall


Past = tuple[date, list[tuple[str, int, float]], list[tuple[str, float]], list[tuple[int, float, float, bool]]]


def past_days(conn: Connection, hall: Hall, before: date) -> list[Past]:
    """The RECALL_DAYS days before ``before`` with tickets, in order, as ``Observed.recall`` takes
    them: each day's arrivals (by the day issued), services (by the day finished) and pauses (by
    the day ended)."""
    days = [before - timedelta(days=n) for n in range(RECALL_DAYS, 0, -1)]
    arrivals: dict[date, list[tuple[str, int, float]]] = defaultdict(list)
    services: dict[date, list[tuple[datetime, str, float]]] = defaultdict(list)  # in the order they ended
    for r in history.ticket_rows(conn, hall.config.code, days):
        cls = calling_class(Priority(r["priority"]), Channel(r["channel"]))
        arrivals[r["day"]].append((r["queue"], cls, r["issued_at"].timestamp()))
        if r["status"] == "done" and r["called_at"] and r["finished_at"]:
            services[hall.local_day(r["finished_at"])].append(
                (r["finished_at"], r["queue"], (r["finished_at"] - r["called_at"]).total_seconds()))
    pauses: dict[date, list[tuple[int, float, float, bool]]] = defaultdict(list)
    since = datetime.combine(days[0], time(), hall.tz)
    began: dict[int, datetime] = {}
    for e in history.counter_events(conn, hall.config.code, since, datetime.combine(before, time(), hall.tz)):
        if e["type"] == "counter.paused":
            began[e["counter"]] = e["at"]
        elif e["counter"] in began:
            start = began.pop(e["counter"])
            pauses[hall.local_day(e["at"])].append(
                (e["counter"], start.timestamp(), e["at"].timestamp(), e["type"] == "counter.resumed"))
    return [(day, arrivals[day], [(queue, span) for _, queue, span in sorted(services[day])], pauses[day])
            for day in days if arrivals.get(day)]
