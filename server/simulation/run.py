"""The simulation: a heap of timed events driving the real :class:`~server.domain.hall.Hall`.

Every action is a Hall command with the simulated ``now`` — issuing, opening, pausing, calling,
recalling, 过号, 回呼, finishing, closing — so the rules simulated are the server's own, policy
and estimate included. What the simulator adds is only what people do:

- visitors arrive per queue by a non-homogeneous Poisson process (thinning against the queue's
  peak rate); each visitor's traits (priority or booking, item, service and walking time, whether
  they miss their call and come back) are drawn *at arrival* from a stream seeded by
  (seed, day, queue), so two runs that differ only in counters or policy meet the same visitors;
- a clerk calls the next visitor ``call_pause_s`` after the last one left, recalls a visitor who
  does not come ``recalls`` times every ``recall_every_s``, then marks the 过号; a returning
  no-show is reinstated (回呼) and comes at the next call;
- counters open, pause for their breaks and close by their schedules; a pause or a close waits
  for the visitor at the counter to leave, and at closing time the clerk first serves those still
  waiting (``stay_until_served``).
"""

from __future__ import annotations

import copy
import heapq
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.domain.errors import DomainError
from server.domain.hall import Hall
from server.domain.model import (
    APPOINTMENT_CLASS,
    PRIORITY_CLASS,
    Channel,
    CounterMode,
    Event,
    HallConfig,
    PolicyConfig,
    Priority,
    Ticket,
    TicketStatus,
)

from .profile import DEFAULT_FIRST_DAY, CounterSchedule, Lognormal, Profile, QueueProfile
from .result import CounterUse, Result, Sample, Visit, policy_json

Observer = Callable[[Hall, list[Event]], None]
SAMPLE_S = 900  # the timeline's step
SLOT_S = 1800  # a booked visitor's slot: the half hour they come in (the demo hall books by the half hour)
PAUSE_REASON = "休息"
# Who the priority visitors are (it changes nothing in the calling; the records show it).
PRIORITY_MIX = ((Priority.ELDERLY, 0.6), (Priority.DISABLED, 0.15), (Priority.PREGNANT, 0.1),
                (Priority.MILITARY, 0.1), (Priority.MINORITY, 0.05))


# ---------------------------------------------------------------------------------------- what-ifs
@dataclass(frozen=True, slots=True)
class OpenCounter:
    """At ``at`` the counter opens (or, open, takes over) serving ``queues`` in that order, whatever
    its schedule says, until ``until`` (default: the latest closing time of the day's schedules).
    A counter number the hall lacks is added to its layout."""

    counter: int
    queues: tuple[str, ...]
    at: datetime | time
    until: datetime | time | None = None


@dataclass(frozen=True, slots=True)
class ServeAlso:
    """At ``at`` the counter also serves ``queue``, after its own (it keeps that from then on)."""

    counter: int
    queue: str
    at: datetime | time


@dataclass(frozen=True, slots=True)
class CloseCounter:
    """At ``at`` the counter closes for the rest of that day, once the visitor at it has left."""

    counter: int
    at: datetime | time


Change = OpenCounter | ServeAlso | CloseCounter


def simulate(config: HallConfig, profile: Profile, *, days: int = 1, seed: int = 0, start: Hall | None = None,
             start_at: datetime | None = None, changes: Sequence[Change] = (), policy: PolicyConfig | None = None,
             observe: Observer | None = None, estimates: bool = True, bookings: bool = True) -> Result:
    """Simulate ``days`` hall days and return every visit, the counters' use and the timeline.

    - ``config``: the hall's layout and settings (queues, counters, calling policy, 过号 and 回呼
      rules); every queue and counter the profile names must be in it (``ValueError`` otherwise).
      ``profile.hall_config()`` makes one from the profile alone. With ``start``, the state's own
      configuration is the one simulated.
    - ``profile``: arrivals, visitors, service times, counters' schedules and clerks
      (:mod:`server.simulation.profile`).
    - ``seed``: a run repeats exactly for the same arguments. Visitors are drawn per
      (seed, day, queue), so runs that differ only in ``changes`` or ``policy`` meet the same
      visitors: compare them, not runs of different seeds.
    - ``start`` and ``start_at``: go on from a hall's state (the what-if from "now"). The state is
      copied, never changed; ``start_at`` (required with ``start``) is the moment it stands for.
      Counters open in it stay open (their schedule's breaks and closing time still apply; one
      without a schedule that day closes at the day's latest scheduled closing), a visitor being
      served needs a fresh draw of the service time less the time already spent (at least 30 s),
      waiting tickets are called as the policy says, and the rest of that day's arrivals come
      (the same visitors after ``start_at`` as a whole-day run of that seed and day). Then
      ``days - 1`` whole days follow. Without ``start``, ``start_at`` starts an empty hall then;
      without either, the run starts at midnight of ``profile.first_day``.
    - ``changes``: what-ifs (:class:`OpenCounter`, :class:`ServeAlso`, :class:`CloseCounter`); a
      change at a ``datetime`` happens once (one before the start happens at the start), at a
      ``time`` every simulated day at that hall-local time (at the start, if already past then).
    - ``policy``: the calling policy to simulate instead of the hall's (``profile.policy`` if
      this is None; the hall's own if both are).
    - ``observe``: called as ``observe(hall, events)`` after every Hall command (tests check the
      invariants with it).
    - ``estimates``: False leaves out the wait each ticket showed when issued (``Visit.eta_s`` is
      None): a run that only needs the waits (a what-if) is then about twice as fast.
    - ``bookings``: the hall is told each day's booked visitors when the day begins (each one's
      slot: the half hour they come in; ``Hall.expect_bookings``), as the server tells it from the
      appointments, so the estimates expect them then. False: it is not told, and the estimates
      count on the rate booked visitors came so far. Without ``estimates`` it is never told.

    A 1,500-visitor day takes well under a second (docs/benchmarks.md).
    """
    if days < 1:
        raise ValueError("days: at least 1")
    chosen = policy or profile.policy
    if start is not None:
        if start_at is None:
            raise ValueError("start_at: the moment the hall's state stands for is needed with start")
        hall = copy.deepcopy(start)
    else:
        hall = Hall(replace(config, policy=chosen) if chosen else config)
    _check(hall.config, profile, changes)
    sim = _Simulation(hall, profile, seed, changes, observe, estimates, bookings and estimates)
    tz = hall.tz
    first = start_at.astimezone(tz).date() if start_at else (profile.first_day or DEFAULT_FIRST_DAY)
    if hall.day is not None and hall.day > first:
        raise ValueError(f"start_at: the hall's state is of {hall.day}, after {first}")
    if start is not None and start_at is not None:
        if chosen and chosen != hall.config.policy:
            sim.do(lambda now: hall.change_settings({"policy": policy_json(chosen)}, now), start_at.timestamp())
        sim.adopt(start_at.timestamp(), first)
    for index in range(days):
        day = first + timedelta(days=index)
        sim.run_day(index, day, start_at.timestamp() if (index == 0 and start_at) else None)
    return Result(hall=hall.config.code, hall_name=hall.config.name, timezone=hall.config.timezone,
                  queues=tuple((q.code, q.name) for q in hall.config.queues), profile=profile.name, first_day=first,
                  days=days, seed=seed, policy=hall.config.policy, visits=list(sim.visits.values()),
                  counters=sim.use, timeline=sim.timeline,
                  started_at=start_at.astimezone(tz) if start_at else None)


def _check(config: HallConfig, profile: Profile, changes: Sequence[Change]) -> None:
    queues = {q.code for q in config.queues}
    counters = {c.number for c in config.counters}
    for queue in profile.queues:
        if queue.code not in queues:
            raise ValueError(f"profile queue {queue.code}: not a queue of hall {config.code} "
                             f"({', '.join(sorted(queues))})")
    for s in profile.counters:
        if s.number not in counters:
            raise ValueError(f"profile counter {s.number}: not a counter of hall {config.code}")
        for code in s.queues:
            if code not in queues:
                raise ValueError(f"profile counter {s.number}: queue {code} is not a queue of hall {config.code}")
    for change in changes:
        wanted = change.queues if isinstance(change, OpenCounter) else (
            (change.queue,) if isinstance(change, ServeAlso) else ())
        if isinstance(change, OpenCounter) and not change.queues:
            raise ValueError(f"OpenCounter {change.counter}: name the queues it serves")
        for code in wanted:
            if code not in queues:
                raise ValueError(f"{type(change).__name__} {change.counter}: {code} is not a queue of hall "
                                 f"{config.code}")
        if not isinstance(change, OpenCounter) and change.counter not in counters:
            raise ValueError(f"{type(change).__name__}: hall {config.code} has no counter {change.counter}")


# ---------------------------------------------------------------------------------------- the run
@dataclass(slots=True)
class _Visitor:
    """What a visitor will do, drawn when they arrive."""

    queue: str
    at: float
    priority: Priority
    channel: Channel
    item: str | None
    service_s: float
    walk_s: float
    no_show: bool
    returns_after_s: float | None


CLOSED, IDLE, BUSY, PAUSED = "closed", "idle", "busy", "paused"  # BUSY: a visitor, or the pause after one


@dataclass(slots=True)
class _Desk:
    number: int
    state: str = CLOSED
    ticket: str | None = None
    after: str | None = None  # "pause" or "close", once the visitor at the counter has left
    closing: bool = False  # past its closing time: serve who waits, then close
    override: int = -1  # a what-if took the counter over on this day (index): its schedule is ignored
    idle_since: float = 0.0
    since: float = 0.0  # open (not paused) since
    busy_since: float = 0.0


# event kinds, in the heap as (t, n, kind, counter, payload)
ARRIVE, OPEN, BREAK, RESUME, CLOSE, CALL, START, FINISH, RECALL, RETURN, SAMPLE, CHANGE = range(12)


class _Simulation:
    def __init__(self, hall: Hall, profile: Profile, seed: int, changes: Sequence[Change],
                 observe: Observer | None, estimates: bool, bookings: bool) -> None:
        self.hall = hall
        self.estimates = estimates
        self.bookings = bookings
        self.profile = profile
        self.seed = seed
        self.changes = changes
        self.observe = observe
        self.tz: ZoneInfo = hall.tz
        self.heap: list[tuple[float, int, int, int, Any]] = []
        self.order = itertools.count()
        self.tokens = itertools.count(1)
        self.visits: dict[str, Visit] = {}
        self.today: list[Visit] = []  # the visits of the day being run
        self.visitors: dict[str, _Visitor] = {}
        self.desks = {n: _Desk(n) for n in hall.counters}
        self.use = {n: CounterUse(n) for n in hall.counters}
        self.timeline: list[Sample] = []
        self.clerks = profile.clerks
        self.recalls = max(profile.clerks.recalls, hall.config.no_show_after_calls - 1)
        self.index = 0
        self.t = 0.0
        self.day_end = 0.0  # the day's latest scheduled closing
        self.handlers: tuple[Callable[[int, Any], None], ...] = (
            self._arrive, self._open, self._break, self._resume, self._close_time, self._call, self._start,
            self._finish, self._recall, self._return, self._sample, self._change)

    # ------------------------------------------------------------------ plumbing
    def at(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, UTC)

    def do(self, command: Callable[[datetime], list[Event]], t: float | None = None) -> list[Event]:
        events = command(self.at(self.t if t is None else t))
        if self.observe is not None:
            self.observe(self.hall, events)
        return events

    def push(self, t: float, kind: int, counter: int = 0, payload: Any = None) -> None:
        heapq.heappush(self.heap, (t, next(self.order), kind, counter, payload))

    def midnight(self, day: date) -> float:
        return datetime.combine(day, time(), tzinfo=self.tz).timestamp()

    def when(self, at: datetime | time, t0: float, begin: float) -> float | None:
        """A change's moment on the day starting at ``t0``, or None if not that day."""
        if isinstance(at, datetime):
            t = at.timestamp()
            if t < begin and self.index == 0:
                return begin
            return t if t0 <= t < t0 + 86_400 and t >= begin else None
        return max(begin, t0 + at.hour * 3600 + at.minute * 60 + at.second)

    # ------------------------------------------------------------------ a day
    def run_day(self, index: int, day: date, from_t: float | None) -> None:
        self.index = index
        t0 = self.midnight(day)
        begin = from_t if from_t is not None else t0
        self.t = begin
        hall = self.hall
        if hall.day is not None and hall.day < day:
            self.do(hall.roll_day)  # yesterday's leftovers are cancelled, every counter closes
            for desk in self.desks.values():
                if desk.state != CLOSED:
                    self._account(desk)
                    desk.state, desk.ticket, desk.after, desk.closing = CLOSED, None, None, False
        schedules = self.profile.counters
        self.day_end = t0 + 60 * max((s.closes for s in schedules), default=24 * 60 - 1)
        for s in schedules:
            for minute, kind in [(s.opens, OPEN), *((b, BREAK) for b, _ in s.breaks),
                                 *((e, RESUME) for _, e in s.breaks), (s.closes, CLOSE)]:
                if t0 + minute * 60 >= begin:
                    self.push(t0 + minute * 60, kind, s.number, (index, s, False))
        for change in self.changes:
            t = self.when(change.at, t0, begin)
            if t is not None:
                self.push(t, CHANGE, change.counter, change)
        booked: dict[str, list[tuple[datetime, datetime, str]]] = {}
        for queue in self.profile.queues:
            for visitor in self._arrivals(queue, day, t0, begin):
                self.push(visitor.at, ARRIVE, 0, visitor)
                if visitor.channel == Channel.APPOINTMENT:
                    start = t0 + SLOT_S * ((visitor.at - t0) // SLOT_S)
                    booked.setdefault(queue.code, []).append((self.at(start), self.at(start + SLOT_S), _code(visitor)))
        if self.bookings:
            hall.expect_bookings(day, booked)
        starts = [s.opens for s in schedules] + [q.arrivals[0][0] for q in self.profile.queues if q.arrivals]
        first = t0 + 60 * min(starts, default=0)
        first = max(first, begin)
        self.push(t0 + SAMPLE_S * -(-(first - t0) // SAMPLE_S), SAMPLE)
        # The hall's day ends at midnight (its day change cancels whoever still waits and closes every
        # counter): a backlog that outlasts it is left unserved, not called into the next day.
        midnight = self.midnight(day + timedelta(days=1))
        while self.heap and self.heap[0][0] < midnight:
            t, _, kind, counter, payload = heapq.heappop(self.heap)
            self.t = t
            self.handlers[kind](counter, payload)
        self.heap.clear()
        self._end_day()

    def _end_day(self) -> None:
        for desk in self.desks.values():
            if desk.state != CLOSED and desk.ticket is None:
                self._shut(desk)
        for visit in self.today:
            if visit.status == "waiting":
                visit.status = "unserved"
        self.today = []

    def _arrivals(self, queue: QueueProfile, day: date, t0: float, begin: float) -> list[_Visitor]:
        """The day's arrivals after ``begin`` by thinning: candidates at the peak rate, each kept with
        probability rate(t) / peak. The stream depends on (seed, day, queue) only."""
        peak = queue.peak
        if peak <= 0:
            return []
        rnd = random.Random(f"{self.seed}/{day.isoformat()}/{queue.code}")
        s = queue.arrivals[0][0] * 60.0
        end = queue.arrivals[-1][0] * 60.0 if queue.arrivals[-1][1] == 0 else 86_400.0
        out: list[_Visitor] = []
        while True:
            s += rnd.expovariate(peak / 3600)
            if s >= end:
                return out
            if rnd.random() * peak < queue.rate_at(s / 60):
                visitor = self._visitor(queue, rnd, t0 + s)
                if visitor.at > begin:
                    out.append(visitor)

    def _visitor(self, queue: QueueProfile, rnd: random.Random, at: float) -> _Visitor:
        kind = rnd.random()
        priority, channel = Priority.NONE, Channel.KIOSK
        if kind < queue.appointment_share:
            channel = Channel.APPOINTMENT
        elif kind < queue.appointment_share + queue.priority_share:
            priority = rnd.choices([p for p, _ in PRIORITY_MIX], [w for _, w in PRIORITY_MIX])[0]
        item, service = None, queue.service
        pick = rnd.random()
        for candidate in queue.items:
            if pick < candidate.share:
                item, service = candidate.code, candidate.service
                break
            pick -= candidate.share
        service_s = max(service.draw(rnd), 5.0)
        walk_s = self.profile.visitors.walk.draw(rnd)
        no_show = rnd.random() < queue.no_show_share
        returns = rnd.random() < queue.return_share
        lo, hi = self.profile.visitors.return_after_min
        back = rnd.uniform(lo, hi) * 60
        return _Visitor(queue.code, at, priority, channel, item, service_s, walk_s, no_show,
                        back if no_show and returns else None)

    # ------------------------------------------------------------------ a hall's state, adopted
    def adopt(self, begin: float, day: date) -> None:
        """Take over a copied hall: its open counters, their visitors and those waiting."""
        self.t = begin
        t0 = self.midnight(day)
        minute = (begin - t0) / 60
        rnd = random.Random(f"{self.seed}/carried/{day.isoformat()}")
        for ticket in sorted((t for t in self.hall.tickets.values() if not t.is_final), key=lambda t: t.order_at):
            if ticket.day == day:
                self._carry(ticket, rnd)
        for number, counter in self.hall.counters.items():
            desk = self.desks[number]
            if counter.mode == CounterMode.CLOSED:
                continue
            today = [s for s in self.profile.counters if s.number == number and s.opens <= minute < s.closes]
            if not today:  # no schedule for now: it closes at the day's latest scheduled closing
                end = t0 + 60 * max((s.closes for s in self.profile.counters), default=24 * 60 - 1)
                self.push(max(begin, end), CLOSE, number, (0, None, True))
            desk.since = begin
            if counter.mode == CounterMode.PAUSED:
                desk.state = PAUSED
                ends = [t0 + e * 60 for s in today for b, e in s.breaks if b <= minute < e]
                self.push(ends[0] if ends else begin + 600, RESUME, number, (0, None, True))
                continue
            current = self.hall.current_ticket(counter)
            if current is None:
                desk.state, desk.idle_since = BUSY, begin
                self.push(begin, CALL, number)
                continue
            desk.state, desk.ticket, desk.busy_since = BUSY, current.id, begin
            visitor = self.visitors[current.id]
            if current.status == TicketStatus.SERVING and current.started_at is not None:
                spent = begin - current.started_at.timestamp()
                self.push(begin + max(30.0, visitor.service_s - spent), FINISH, number, current.id)
            elif visitor.no_show:
                self.push(begin + self.clerks.recall_every_s, RECALL, number, (current.id, current.recalls + 1))
            else:
                self.push(begin + visitor.walk_s, START, number, current.id)

    def _carry(self, ticket: Ticket, rnd: random.Random) -> None:
        queue = self.profile.queue(ticket.queue)
        service = queue.service if queue else Lognormal(self.hall.average_service_s(ticket.queue), 0.5)
        no_show = ticket.status == TicketStatus.WAITING and rnd.random() < (queue.no_show_share if queue else 0)
        self.visitors[ticket.id] = _Visitor(ticket.queue, ticket.issued_at.timestamp(), ticket.priority,
                                            ticket.channel, None, max(service.draw(rnd), 5.0),
                                            self.profile.visitors.walk.draw(rnd), no_show, None)
        visit = Visit(
            ticket.id, ticket.number, ticket.day, ticket.queue, _group(ticket), ticket.priority.value,
            ticket.channel.value, None, ticket.issued_at, None, None, 0, 0, called_at=ticket.called_at,
            counter=ticket.counter, reinstated=ticket.reinstated, carried=True)
        self.visits[ticket.id] = visit
        self.today.append(visit)

    # ------------------------------------------------------------------ visitors
    def _arrive(self, _: int, visitor: _Visitor) -> None:
        hall = self.hall
        token = f"sim-{next(self.tokens)}"
        code = _code(visitor) if visitor.channel == Channel.APPOINTMENT else None
        events = self.do(lambda now: hall.issue(visitor.queue, now, token, visitor.priority, visitor.channel,
                                                appointment_code=code))
        ticket = events[-1].ticket
        assert ticket is not None
        counters = sum(1 for c in hall.counters.values() if c.mode == CounterMode.OPEN and visitor.queue in c.queues)
        shown = hall.ticket_eta_s(ticket) if self.estimates else None
        visit = Visit(
            ticket.id, ticket.number, ticket.day, ticket.queue, _group(ticket), ticket.priority.value,
            ticket.channel.value, visitor.item, ticket.issued_at, shown, hall.ahead(ticket),
            hall.waiting_count(ticket.queue) - 1, counters)
        self.visits[ticket.id] = visit
        self.today.append(visit)
        self.visitors[ticket.id] = visitor
        self._wake(visitor.queue)

    def _return(self, _: int, ticket_id: str) -> None:
        ticket = self.hall.tickets.get(ticket_id)
        if ticket is None or ticket.status != TicketStatus.NO_SHOW:
            return
        try:
            self.do(lambda now: self.hall.reinstate(ticket.number, now))
        except DomainError:  # too late for 回呼 in this hall: they take a new number no more
            return
        visit = self.visits[ticket_id]
        visit.reinstated, visit.status = True, "waiting"
        self._wake(ticket.queue)

    def _wake(self, queue: str) -> None:
        """The clerk idle longest at a counter serving ``queue`` calls the newcomer."""
        idle = [d for d in self.desks.values() if d.state == IDLE and queue in self.hall.counters[d.number].queues]
        if idle:
            self._next(min(idle, key=lambda d: (d.idle_since, d.number)))

    # ------------------------------------------------------------------ clerks
    def _next(self, desk: _Desk) -> None:
        """The clerk is free: pause or close if due, else call the next visitor (or wait idle)."""
        if desk.after == "pause":
            desk.after = None
            self._pause(desk)
            return
        if desk.after == "close":
            self._shut(desk)
            return
        hall = self.hall
        if desk.closing and (not self.clerks.stay_until_served
                             or hall.next_for(hall.counters[desk.number], self.at(self.t)) is None):
            self._shut(desk)
            return
        events = self.do(lambda now: hall.call_next(desk.number, now))
        called = next((e.ticket for e in events if e.type == "ticket.called"), None)
        if called is None:
            desk.state, desk.ticket, desk.idle_since = IDLE, None, self.t
            return
        desk.state, desk.ticket, desk.busy_since = BUSY, called.id, self.t
        visit = self.visits[called.id]
        if visit.called_at is None:
            visit.called_at, visit.counter = called.called_at, desk.number
        visitor = self.visitors[called.id]
        if visitor.no_show and not visit.reinstated:
            self.push(self.t + self.clerks.recall_every_s, RECALL, desk.number, (called.id, 1))
        else:
            self.push(self.t + visitor.walk_s, START, desk.number, called.id)

    def _call(self, number: int, _: Any) -> None:
        desk = self.desks[number]
        if desk.state == BUSY and desk.ticket is None:
            self._next(desk)

    def _start(self, number: int, ticket_id: str) -> None:
        desk = self.desks[number]
        if desk.ticket != ticket_id:
            return
        self.do(lambda now: self.hall.start(number, now))
        self.push(self.t + self.visitors[ticket_id].service_s, FINISH, number, ticket_id)

    def _finish(self, number: int, ticket_id: str) -> None:
        desk = self.desks[number]
        if desk.ticket != ticket_id:
            return
        self.do(lambda now: self.hall.finish(number, now))
        visit = self.visits[ticket_id]
        visit.status, visit.finished_at = "done", self.at(self.t)
        self.use[number].served += 1
        self._leave(desk)

    def _recall(self, number: int, payload: tuple[str, int]) -> None:
        ticket_id, k = payload
        desk = self.desks[number]
        if desk.ticket != ticket_id:
            return
        if k <= self.recalls:
            self.do(lambda now: self.hall.recall(number, now))
            self.push(self.t + self.clerks.recall_every_s, RECALL, number, (ticket_id, k + 1))
            return
        self.do(lambda now: self.hall.no_show(number, now))
        visit = self.visits[ticket_id]
        visit.status, visit.finished_at = "no_show", self.at(self.t)
        self.use[number].no_shows += 1
        self._leave(desk)
        back = self.visitors[ticket_id].returns_after_s
        if back is not None:
            self.push(self.t + back, RETURN, 0, ticket_id)

    def _leave(self, desk: _Desk) -> None:
        self.use[desk.number].busy_s += self.t - desk.busy_since
        desk.ticket = None
        self.push(self.t + self.clerks.call_pause_s, CALL, desk.number)

    # ------------------------------------------------------------------ counters
    def _open(self, number: int, payload: tuple[int, CounterSchedule, bool]) -> None:
        index, schedule, _ = payload
        desk = self.desks[number]
        if desk.override == index or desk.state != CLOSED:
            return
        if schedule.queues and self.hall.counters[number].queues != schedule.queues:
            self.do(lambda now: self.hall.set_counter_queues(number, schedule.queues, now, by="simulation"))
        self._open_desk(desk)

    def _open_desk(self, desk: _Desk) -> None:
        self.do(lambda now: self.hall.open_counter(desk.number, f"sim-clerk-{desk.number}", now))
        desk.state, desk.ticket, desk.after, desk.closing, desk.since = BUSY, None, None, False, self.t
        self._next(desk)

    def _break(self, number: int, payload: tuple[int, Any, bool]) -> None:
        desk = self.desks[number]
        if desk.override == payload[0] and not payload[2]:
            return
        if desk.state == IDLE:
            self._pause(desk)
        elif desk.state == BUSY:
            desk.after = "pause"

    def _pause(self, desk: _Desk) -> None:
        self.do(lambda now: self.hall.pause(desk.number, PAUSE_REASON, now))
        self._account(desk)
        desk.state = PAUSED

    def _resume(self, number: int, payload: tuple[int, Any, bool]) -> None:
        desk = self.desks[number]
        if desk.override == payload[0] and not payload[2]:
            return
        if desk.state == PAUSED:
            self.do(lambda now: self.hall.resume(number, now))
            desk.state, desk.since = BUSY, self.t
            self._next(desk)
        elif desk.after == "pause":  # still serving when the break ended: no break this time
            desk.after = None

    def _close_time(self, number: int, payload: tuple[int, Any, bool]) -> None:
        desk = self.desks[number]
        if desk.override == payload[0] and not payload[2]:
            return
        if desk.state == CLOSED:
            return
        desk.closing = True
        if desk.state == PAUSED:
            self._shut(desk)
        elif desk.state == IDLE:
            self._next(desk)

    def _shut(self, desk: _Desk) -> None:
        self.do(lambda now: self.hall.close_counter(desk.number, now))
        if desk.state != PAUSED:
            self._account(desk)
        desk.state, desk.after, desk.closing = CLOSED, None, False

    def _account(self, desk: _Desk) -> None:
        """Open time so far, as the counter leaves the open state."""
        if desk.state in (IDLE, BUSY):
            self.use[desk.number].open_s += self.t - desk.since

    # ------------------------------------------------------------------ what-ifs and the timeline
    def _change(self, number: int, change: Change) -> None:
        hall = self.hall
        if isinstance(change, ServeAlso):
            queues = hall.counters[number].queues
            if change.queue not in queues:
                self.do(lambda now: hall.set_counter_queues(number, (*queues, change.queue), now, by="simulation"))
            if self.desks[number].state == IDLE:
                self._next(self.desks[number])
            return
        if isinstance(change, CloseCounter):
            desk = self.desks[number]
            desk.override, desk.closing = self.index, False
            if desk.state in (IDLE, PAUSED):
                self._shut(desk)
            elif desk.state == BUSY:
                desk.after = "close"
            return
        if number not in hall.counters:
            self.do(lambda now: hall.put_counter(number, None, change.queues, now))
            self.desks[number], self.use[number] = _Desk(number), CounterUse(number)
        elif hall.counters[number].queues != change.queues:
            self.do(lambda now: hall.set_counter_queues(number, change.queues, now, by="simulation"))
        desk = self.desks[number]
        desk.override, desk.closing = self.index, False
        if desk.after == "close":
            desk.after = None
        if desk.state == CLOSED:
            self._open_desk(desk)
        elif desk.state == PAUSED:
            self.do(lambda now: hall.resume(number, now))
            desk.state, desk.since, desk.after = BUSY, self.t, None
            self._next(desk)
        elif desk.state == IDLE:
            self._next(desk)
        else:
            desk.after = None
        until = self.day_end
        if change.until is not None:
            t0 = self.midnight(hall.local_day(self.at(self.t)))
            until = self.when(change.until, t0, self.t) or self.day_end
        self.push(max(until, self.t), CLOSE, number, (self.index, None, True))

    def _sample(self, _: int, __: Any) -> None:
        hall = self.hall
        waiting = {q.code: hall.waiting_count(q.code) for q in hall.config.queues}
        open_ = sum(1 for c in hall.counters.values() if c.mode == CounterMode.OPEN)
        self.timeline.append(Sample(self.at(self.t), waiting, open_))
        if self.heap:
            self.push(self.t + SAMPLE_S, SAMPLE)


def _code(visitor: _Visitor) -> str:
    """A booked visitor's booking code (unique: two visitors of a queue never come at one instant)."""
    return f"{visitor.queue}@{visitor.at:.6f}"


def _group(ticket: Ticket) -> str:
    cls = ticket.calling_class
    return "appointment" if cls == APPOINTMENT_CLASS else "priority" if cls == PRIORITY_CLASS else "walk_in"
