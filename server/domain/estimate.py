"""The wait a ticket shows (``eta_s``) and its range (``eta_range_s``): docs/eta.md.

The estimate is a projection of the hall from now on, as it would go if everything took its
expected time: every open counter becomes free when its current visitor is expected to leave (a
paused one when its pause is expected to end, any one not during its usual breaks), and then calls
as the hall's own policy chooses, queue by queue in the counter's order, from those waiting now and
from the visitors expected to arrive meanwhile (each queue's usual arrivals by time of day, scaled
to how busy today is, shared out by calling class). A ticket's estimate is the moment the
projection calls it. So a counter that serves a queue second counts for it only when its first
queue leaves it time, a paused counter counts once its pause is over, priority and booked visitors
who will arrive overtake a walk-in as the policy lets them, and nobody ahead still means the wait
for a counter to become free.

Everything here is pure: :class:`Observed` is folded from the events by ``Hall.apply``, and a
:class:`Projection` is made once per state of the hall, projecting each group of queues only as
far as the tickets asked about need.
"""

from __future__ import annotations

import functools
import heapq
import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

from .model import (
    APPOINTMENT_CLASS,
    CLASSES,
    PRIORITY_CLASS,
    WALK_IN_CLASS,
    Channel,
    Counter,
    CounterMode,
    Event,
    Priority,
    Ticket,
    TicketStatus,
)

if TYPE_CHECKING:
    from .hall import Hall

BUCKET_S = 1800  # arrivals and breaks are learnt per half hour of the day …
BUCKETS = 86400 // BUCKET_S
HISTORY_DAYS = 7  # … as the average of about the last week's days with visitors
RATE_WINDOW_S = 1800.0  # how busy today is: the last half hour's arrivals against the usual
RATE_SHRINK = 10.0  # … with this many arrivals' worth of "as usual" (few arrivals prove little)
RATE_AHEAD_S = 3600.0  # … and for the next hour only: after that, a day is expected to go as usual
RATE_MIN_SPAN_S = 600.0  # with no history: the last half hour's rate (since the day's first ticket, ≥ 10 min)
PAUSE_DEFAULT_S = 900.0  # a pause's expected length before the hall has finished one
OVERDUE_S = 120.0  # a pause or service already longer than every one seen: expected to end soon
FLUID_STEP = math.log(2)  # an expected visitor is counted once more likely than not to have come
MAX_STEPS = 40  # calls projected per group at most; further off, the rate so far carries on
HORIZON_S = 8 * 3600.0  # the projection stops here: a ticket not called by then shows this
REBASE_S = 15.0  # numbers taken this long after the projection's base join it; later ones project anew
NARROW_MIN = 2  # a range of at most this many minutes is shown as one number
# The range around an estimate of E minutes: [E × low, E × high], the ratios interpolated between
# these (E, low, high). They are the quartiles of the waits that followed estimates of about that
# size on simulated days of the demo hall (docs/eta.md, "The range"): half the visitors shown an
# estimate were called within its range, a quarter sooner, a quarter later.
RANGE_RATIOS = ((0.0, 0.55, 1.75), (3.0, 0.5, 1.5), (6.0, 0.5, 1.3), (10.0, 0.55, 1.35), (17.0, 0.75, 1.42),
                (25.0, 0.77, 1.4), (37.0, 0.78, 1.25), (75.0, 0.76, 1.16), (165.0, 0.74, 1.06))


def _second_of_day(at: float, tz: tzinfo) -> int:
    local = datetime.fromtimestamp(at, tz)
    return local.hour * 3600 + local.minute * 60 + local.second


@dataclass(slots=True)
class Observed:
    """What the estimate learns from the hall's events, all of it folded by ``Hall.apply``, so a
    hall replayed from its log learns the same."""

    window: int  # services in the rolling average per queue (the hall's ``service_window``)
    default_service_s: float  # before the hall has measured any
    tz: tzinfo
    day: date | None = None
    # Services: per queue today's last ``window`` (call to 办结) and yesterday's average.
    services: dict[str, deque[float]] = field(default_factory=dict)
    prior: dict[str, float] = field(default_factory=dict)
    # A counter's time per call besides the service: the gap from a visitor leaving to the next call
    # when someone was waiting, and the visitors who did not come (the outcome of the last calls, and
    # how long the recalls took until the 过号).
    gaps: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=100))
    missed: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    ended: dict[int, float] = field(default_factory=dict)  # counter → when its visitor left, someone waiting
    calling: dict[int, float] = field(default_factory=dict)  # counter → when it called its visitor
    # Pauses: how long finished ones lasted; when each counter is usually paused (share of each half
    # hour of the day, over the usual day) and today so far (seconds of each half hour).
    pauses: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    paused: dict[int, float] = field(default_factory=dict)  # counter → when its pause began
    away: dict[int, list[float]] = field(default_factory=dict)
    away_today: dict[int, list[float]] = field(default_factory=dict)
    # Arrivals: per queue when today's tickets were issued, the usual day's arrivals in each half hour
    # (and their running total from midnight), and per (queue, calling class) how many have come.
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    usual: dict[str, list[float]] = field(default_factory=dict)
    usual_cum: dict[str, list[float]] = field(default_factory=dict)
    days: int = 0  # days in the usual day
    classes: dict[tuple[str, int], int] = field(default_factory=dict)
    # Worked out when first asked, for the usual day or layout they were worked out from.
    usual_breaks: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # The projection's counters and groups (Projection): None when a counter opened, closed or
    # changed its queues, or the hall's queues changed (``Hall.apply``).
    layout: tuple[Any, ...] | None = None
    # A call's expected time per queue, and each queue's class shares: they change with services
    # and arrivals, not with every state, so the projections of many states share them.
    _call_times: dict[str, float] = field(default_factory=dict)
    _shares: dict[str, tuple[float, ...]] = field(default_factory=dict)
    # Bookings: of ``booked_day``, per queue the booked visitors not checked in yet, (slot start,
    # slot end, booking code) — ``Hall.expect_bookings``; None: not known, the learnt rate stands in.
    booked: dict[str, list[tuple[float, float, str]]] | None = None
    booked_day: date | None = None

    # ------------------------------------------------------------------ folding the events
    def fold(self, event: Event, hall: Hall) -> None:
        """What an applied event teaches (``hall`` is already past it)."""
        kind, at = event.type, event.at.timestamp()
        counter, ticket = event.counter, event.ticket
        if kind == "ticket.done" and ticket is not None and ticket.called_at is not None:
            self.lines(ticket.queue).append(at - ticket.called_at.timestamp())
        if counter is None:
            return
        if kind in ("ticket.done", "ticket.no_show", "ticket.transferred", "ticket.called"):
            self._call_times.clear()  # services, gaps and no-shows: what a call's time is made of
        number = counter.number
        if kind in ("ticket.done", "ticket.no_show", "ticket.transferred"):
            if hall.has_work_for(counter):
                self.ended[number] = at
            called = self.calling.pop(number, None)
            if kind != "ticket.transferred":
                self.outcomes.append(kind == "ticket.no_show")
            if kind == "ticket.no_show" and called is not None:
                self.missed.append(at - called)
        elif kind == "ticket.called":
            self.calling[number] = at
            left = self.ended.pop(number, None)
            if left is not None:
                self.gaps.append(at - left)
        elif kind == "counter.paused":
            self.paused[number] = at
            self.ended.pop(number, None)
        elif kind in ("counter.resumed", "counter.closed"):
            began = self.paused.pop(number, None)
            if began is not None:
                if kind == "counter.resumed":
                    self.pauses.append(at - began)
                self._paused_between(number, began, at)
            self.ended.pop(number, None)

    def arrived(self, ticket: Ticket, today: date | None) -> None:
        """A ticket the hall had not seen: an arrival in its queue (and calling class), if of today."""
        if today is not None and ticket.day != today:
            return
        self.arrivals.setdefault(ticket.queue, []).append(ticket.issued_at.timestamp())
        key = (ticket.queue, ticket.calling_class)
        self.classes[key] = self.classes.get(key, 0) + 1
        self._shares.pop(ticket.queue, None)
        if ticket.appointment_code and self.booked:  # a booking checked in: it has come
            for queue, slots in self.booked.items():
                self.booked[queue] = [slot for slot in slots if slot[2] != ticket.appointment_code]

    def new_day(self, day: date) -> None:
        """Each day starts afresh: yesterday's average service of each queue stays as the prior,
        yesterday's arrivals and pauses join the usual day."""
        if self.day is None:  # a hall rebuilt from its projections: only today's arrivals count
            midnight = datetime.combine(day, time(), self.tz).timestamp()
            self.arrivals = {q: [at for at in times if at >= midnight] for q, times in self.arrivals.items()}
        if self.day is None or day <= self.day:
            self.day = self.day or day
            return
        self.day = day
        if self.booked_day != day:
            self.booked = None  # another day's bookings
        for queue, spans in self.services.items():
            if spans:
                self.prior[queue] = sum(spans) / len(spans)
            spans.clear()
        if any(self.arrivals.values()):  # a day the hall was open
            self.days += 1
            weight = 1 / min(self.days, HISTORY_DAYS)
            for queue in set(self.arrivals) | set(self.usual):
                counts = [0.0] * BUCKETS
                for at in self.arrivals.get(queue, ()):
                    counts[_second_of_day(at, self.tz) // BUCKET_S] += 1
                _blend(self.usual.setdefault(queue, [0.0] * BUCKETS), counts, weight)
                self.usual_cum[queue] = [0.0]
                for n in self.usual[queue]:
                    self.usual_cum[queue].append(self.usual_cum[queue][-1] + n)
            for number in set(self.away) | set(self.away_today):
                today = [s / BUCKET_S for s in self.away_today.get(number, [0.0] * BUCKETS)]
                _blend(self.away.setdefault(number, [0.0] * BUCKETS), today, weight)
        self.arrivals, self.away_today, self.usual_breaks = {}, {}, {}
        self.ended.clear()
        self._call_times.clear()

    def recall(self, day: date, arrivals: Iterable[tuple[str, int, float]], services: Iterable[tuple[str, float]],
               pauses: Iterable[tuple[int, float, float, bool]]) -> None:
        """A past day as the log has it, for a hall rebuilt from its projections (server/store/repo.py,
        ``load_hall``), days in order and before the hall's own: its arrivals (queue, calling class,
        when), its services (queue, seconds from the call to 办结) and its counters' pauses
        (counter, began, ended, whether it ended in a resume rather than a closing). What the
        day's events taught is learnt again: the usual day, the usual breaks, the prior service."""
        self.new_day(day)  # the day before joins the usual day
        for queue, cls, at in arrivals:
            self.arrivals.setdefault(queue, []).append(at)
            self.classes[(queue, cls)] = self.classes.get((queue, cls), 0) + 1
        for times in self.arrivals.values():
            times.sort()
        for queue, span in services:
            self.lines(queue).append(span)
        for number, began, ended, resumed in pauses:
            if resumed:
                self.pauses.append(ended - began)
            self._paused_between(number, began, ended)
        self._shares.clear()

    def lines(self, queue: str) -> deque[float]:
        return self.services.setdefault(queue, deque(maxlen=self.window))

    def _paused_between(self, number: int, began: float, ended: float) -> None:
        today = self.away_today.setdefault(number, [0.0] * BUCKETS)
        start, end = _second_of_day(began, self.tz), _second_of_day(ended, self.tz)
        while start < end:  # a pause past midnight counts for nothing
            b = start // BUCKET_S
            stop = min(end, (b + 1) * BUCKET_S)
            today[b] += stop - start
            start = stop

    # ------------------------------------------------------------------ what the projection asks
    def average_service_s(self, queue: str) -> float:
        """The mean of today's last services of the queue; before the first, yesterday's (the
        hall's default before it has one)."""
        spans = self.services.get(queue)
        if spans:
            return sum(spans) / len(spans)
        return self.prior.get(queue, self.default_service_s)

    def call_s(self, queue: str, gap: float) -> float:
        """A call's expected time at a counter: the service, or for the share of visitors who do
        not come, the recalls until the 过号; then the ``gap`` before the next call."""
        service = self.average_service_s(queue)
        if self.outcomes and self.missed:
            share = sum(self.outcomes) / len(self.outcomes)
            service = (1 - share) * service + share * sum(self.missed) / len(self.missed)
        return service + gap

    def call_time_s(self, queue: str) -> float:
        """``call_s`` with the usual gap, as the projection needs it (kept until it changes)."""
        found = self._call_times.get(queue)
        if found is None:
            found = self._call_times[queue] = self.call_s(queue, self.gap_s())
        return found

    def gap_s(self) -> float:
        return sum(self.gaps) / len(self.gaps) if self.gaps else 0.0

    def service_left_s(self, queue: str, elapsed: float) -> float:
        """The expected rest of a service that has lasted ``elapsed``: the mean excess of today's
        longer services of the queue over it (the average less ``elapsed``, with none today)."""
        spans = self.services.get(queue)
        if not spans:
            return max(OVERDUE_S, self.average_service_s(queue) - elapsed)
        return _mean_excess(spans, elapsed)

    def pause_left_s(self, elapsed: float) -> float:
        """The expected rest of a pause that has lasted ``elapsed``, by the pauses finished."""
        if not self.pauses:
            return max(OVERDUE_S, PAUSE_DEFAULT_S - elapsed)
        return _mean_excess(self.pauses, elapsed)

    def breaks(self, number: int) -> list[tuple[int, int]]:
        """The counter's usual breaks, (start, end) in seconds of the day: the half hours it was
        paused for most of on the usual day."""
        found = self.usual_breaks.get(number)
        if found is None:
            found = self.usual_breaks[number] = []
            for b, share in enumerate(self.away.get(number, ())):
                if share < 0.5:
                    continue
                if found and found[-1][1] == b * BUCKET_S:
                    found[-1] = (found[-1][0], (b + 1) * BUCKET_S)
                else:
                    found.append((b * BUCKET_S, (b + 1) * BUCKET_S))
        return found

    def shares(self, queue: str, less: dict[tuple[str, int], int] | None = None) -> tuple[float, ...]:
        """Of the queue's arrivals (``less`` some of them: per (queue, class)), the share of each
        calling class."""
        found = self._shares.get(queue)
        if found is None or less:
            counts = [self.classes.get((queue, cls), 0) - (less or {}).get((queue, cls), 0) for cls in CLASSES]
            total = sum(counts) or 1
            found = tuple(n / total for n in counts)
            if not less:
                self._shares[queue] = found
        return found

    def booked_inflow(self, queue: str, now: float) -> _Booked | None:
        """The queue's booked visitors still to come, when the hall knows today's bookings."""
        if self.booked is None or self.booked_day != self.day:
            return None
        return _Booked([(start + end) / 2 - now for start, end, _ in self.booked.get(queue, ()) if end > now])

    def inflow(self, queue: str, now: float, second: int) -> _Inflow:
        """The queue's expected arrivals from ``now`` (``second`` of the day) on: the usual day's,
        scaled for the next hour by how today's last half hour compares with the usual; with no
        usual day yet, the last half hour's rate."""
        times = self.arrivals.get(queue, [])
        recent = bisect_right(times, now) - bisect_right(times, now - RATE_WINDOW_S)  # none after now
        if not self.days or queue not in self.usual_cum:
            first = min((ts[0] for ts in self.arrivals.values() if ts), default=now)
            span = max(RATE_MIN_SPAN_S, min(RATE_WINDOW_S, now - first))
            return _Inflow(None, 0.0, recent / span)
        cum = self.usual_cum[queue]
        expected = _cum_at(cum, second) - _cum_at(cum, second - RATE_WINDOW_S)
        return _Inflow(cum, second, (recent + RATE_SHRINK) / (expected + RATE_SHRINK))


def _blend(usual: list[float], today: list[float], weight: float) -> None:
    for b, value in enumerate(today):
        usual[b] += (value - usual[b]) * weight


def _mean_excess(spans: Iterable[float], elapsed: float) -> float:
    total, n = 0.0, 0
    for span in spans:
        if span > elapsed:
            total += span - elapsed
            n += 1
    return total / n if n else OVERDUE_S


def _cum_at(cum: list[float], second: float) -> float:
    """Usual arrivals from midnight to ``second`` of the day (each half hour's spread evenly)."""
    if second <= 0:
        return 0.0
    b = int(second // BUCKET_S)
    if b >= len(cum) - 1:
        return cum[-1]
    return cum[b] + (cum[b + 1] - cum[b]) * (second - b * BUCKET_S) / BUCKET_S


class _Inflow:
    """Expected arrivals of one queue from now: the usual day's (``cum``: cumulative by half hour)
    from ``second`` of the day on, × ``scale`` for the next ``RATE_AHEAD_S`` and as usual after;
    with no usual day (``cum`` None), ``scale`` per second."""

    __slots__ = ("base", "cum", "scale", "scaled", "second")

    def __init__(self, cum: list[float] | None, second: float, scale: float) -> None:
        self.cum, self.second, self.scale = cum, second, scale
        self.base = _cum_at(cum, second) if cum is not None else 0.0
        self.scaled = _cum_at(cum, second + RATE_AHEAD_S) - self.base if cum is not None else 0.0

    def when(self, mass: float) -> float:
        """In how many seconds ``mass`` arrivals will have come (``inf``: not today)."""
        if mass <= 0:
            return 0.0
        if self.scale <= 0:
            return math.inf
        if self.cum is None:
            return mass / self.scale
        ahead = self.scaled * self.scale
        usual = mass / self.scale if mass <= ahead else mass - ahead + self.scaled
        target = self.base + usual
        cum = self.cum
        if target > cum[-1]:
            return math.inf
        b = min(bisect_left(cum, target), len(cum) - 1) - 1
        step = cum[b + 1] - cum[b]
        second = b * BUCKET_S + (BUCKET_S * (target - cum[b]) / step if step > 0 else 0.0)
        return max(0.0, second - self.second)


class _Booked:
    """Booked visitors' arrivals: each halfway through its slot (when one who comes at any moment of
    it is as likely to have come as not; past that, now); one whose slot has ended is not expected
    (a late visitor takes an ordinary number)."""

    __slots__ = ("offsets",)

    def __init__(self, offsets: list[float]) -> None:
        self.offsets = sorted(max(0.0, at) for at in offsets)

    def when(self, mass: float) -> float:
        """In how many seconds the booked visitor after the first ``mass`` − FLUID_STEP comes."""
        k = round(mass - FLUID_STEP)
        return self.offsets[k] if 0 <= k < len(self.offsets) else math.inf


# ---------------------------------------------------------------------------------------- projection
class Projection:
    """The hall's next hours as expected from ``now`` (module docstring; docs/eta.md): when each
    waiting ticket is called, and a walk-in who would take a number of a queue now.

    Queues linked by a counter serving both form a group; groups are projected apart, each only
    as far as someone asked about in it needs, and what was projected is kept for the next ask."""

    def __init__(self, hall: Hall, base: tuple[int, float], tails: dict[tuple[str, int], int]) -> None:
        """The projection from ``base`` ((seq, time) of the base state, ``Hall._rebase``) of the hall
        as it is, but for the ``tails`` issued since (per (queue, class), the last of each line)."""
        self.hall, self.base, self.tails = hall, base, tails
        self.now = datetime.fromtimestamp(base[1], UTC)
        # Counter → its queues, for the counters that will work; each queue's group. They change
        # only when a counter opens, closes or changes its queues (``Hall.apply`` forgets them).
        layout = hall.observed.layout
        if layout is None:
            serving = _serving(hall)
            layout = hall.observed.layout = (serving, _groups(serving))
        self.queues, self.group = layout
        self.projectors: dict[int, _Projector] = {}

    def extend(self, tails: dict[tuple[str, int], int]) -> None:
        """More tickets issued at the end of their lines: a line the projection had not got to the
        end of takes them on (nothing worked out so far changes); a group where one had, is
        projected again."""
        for (queue, cls), n in tails.items():
            more = n - self.tails.get((queue, cls), 0)
            group = self.group.get(queue)
            projector = self.projectors.get(group) if group is not None else None
            row = projector.rows.get(queue) if projector is not None else None
            if not more or row is None:
                continue
            line = row[cls]
            if line.head is None:
                del self.projectors[group]
            else:
                line.size += more
                line.rest = iter(line.waiting.islice(line.next + 1))
        self.tails = tails

    def ticket_s(self, ticket: Ticket) -> float | None:
        """Seconds from the base until the waiting ``ticket`` is called (None: not within the horizon)."""
        queue = ticket.queue
        if ticket.target_counter is not None:
            served = self.queues.get(ticket.target_counter)
            if not served:
                return None
            queue = served[0]
        if queue not in self.group:
            return self._unserved(queue, self.hall.ahead(ticket))
        projector = self._projector(queue)
        if projector.until(lambda: ticket.id in projector.calls):
            return projector.calls[ticket.id]
        return None if ticket.target_counter is not None else projector.extrapolate(queue, ticket)

    def newcomer_s(self, queue: str) -> float | None:
        """Seconds from the base until a walk-in taking a number of ``queue`` now would be called."""
        if queue not in self.group:
            return self._unserved(queue, self.hall.waiting_count(queue))
        projector = self._projector(queue)
        if projector.until(lambda: queue in projector.newcomer):
            return projector.newcomer[queue]
        return projector.extrapolate(queue, None)

    def _unserved(self, queue: str, ahead: int) -> float:
        """A queue no counter lists at all: as if one counter served it."""
        obs = self.hall.observed
        return ahead * obs.call_time_s(queue)

    def _projector(self, queue: str) -> _Projector:
        g = self.group[queue]
        projector = self.projectors.get(g)
        if projector is None:
            members = {n: qs for n, qs in self.queues.items() if self.group[qs[0]] == g}
            projector = self.projectors[g] = _Projector(self.hall, self.now, members, self)
        return projector


class _Line:
    """One calling class of one queue: the tickets waiting in it (``waiting``: the hall's own
    sorted line, read, never changed), then the visitors expected to arrive in it."""

    __slots__ = ("cls", "head", "inflow", "next", "queue", "ready", "rest", "share", "size", "taken", "virtual",
                 "waiting")

    def __init__(self, queue: str, cls: int, waiting: SortedList, inflow: _Inflow | _Booked, share: float) -> None:
        self.queue, self.cls, self.waiting = queue, cls, waiting
        self.size, self.next = len(waiting), 0  # waiting[next] is the first not called yet …
        self.rest: Iterator[tuple[float, str]] = iter(waiting)
        self.head: str | None = next(self.rest, (0.0, None))[1]  # … and this its id
        self.inflow = inflow
        self.share = share  # of the queue's arrivals
        self.taken = 0  # expected arrivals already called
        self.ready = self._ready()  # seconds from now: the next expected arrival is likelier than not to have come
        self.virtual: Ticket | None = None

    def _ready(self) -> float:
        return self.inflow.when((self.taken + FLUID_STEP) / self.share) if self.share > 0 else math.inf

    def expected(self, t_now: float) -> Ticket:
        """The next expected arrival, as a ticket of this class that came when it is ready."""
        if self.virtual is None:
            self.virtual = _stand_in(self.queue, self.cls, t_now)
        self.virtual.order_at = t_now + self.ready
        return self.virtual

    def take_expected(self) -> None:
        self.taken += 1
        self.ready = self._ready()

    def take_waiting(self) -> None:
        self.next += 1
        self.head = next(self.rest, (0.0, None))[1]

    def left(self) -> int:
        return self.size - self.next


class _Projector:
    """One group's projection: its counters in a heap by when each is next free, each taking what
    its queues and the policy give it (targeted tickets first), as far as asked."""

    def __init__(self, hall: Hall, now: datetime, queues: dict[int, tuple[str, ...]], projection: Projection) -> None:
        obs = self.observed = hall.observed
        self.projection = projection  # its tails: arrivals after now, not yet known then
        self.hall, self.choose, self.t_now, self.queues = hall, hall.choose, now.timestamp(), queues
        codes = {code for qs in queues.values() for code in qs}
        gap = obs.gap_s()
        self.service = {code: obs.call_time_s(code) for code in codes}
        self.default_service = obs.default_service_s + gap
        self.second = _second_of_day(self.t_now, obs.tz)  # of the day, now
        self.rows: dict[str, list[_Line]] = {}  # made when the projection first reaches the queue
        self.targeted = {n: [tid for _, tid in hall._targeted.get(n, ())] for n in queues}
        self.heap = [(_free_in(hall, hall.counters[n], self.t_now, gap), n) for n in queues]
        self._stagger_closed()
        heapq.heapify(self.heap)
        self.streaks = {n: hall.counters[n].priority_streak if hall.counters[n].mode != CounterMode.CLOSED else 0
                        for n in queues}
        self.calls: dict[str, float] = {}
        self.newcomer: dict[str, float] = {}
        self.away: dict[int, list[tuple[int, int]]] = {}  # each counter's usual breaks from now on (breaks())
        self.called = dict.fromkeys(codes, 0)  # waiting tickets called so far, per queue
        self.clock = 0.0  # how far the projection has gone
        self.steps = 0

    def _stagger_closed(self) -> None:
        """Closed counters standing in for a queue no open one serves start a service's time apart
        (the i-th of n after i/n of one): a line of a waiting before a closed hall shows a × S / n,
        and the first in it, called when the counters open, shows no wait."""
        closed: dict[str, list[int]] = {}
        for _, n in self.heap:
            if self.hall.counters[n].mode == CounterMode.CLOSED:
                closed.setdefault(self.queues[n][0], []).append(n)
        start = {n: i * self.service[code] / len(numbers)
                 for code, numbers in closed.items() for i, n in enumerate(sorted(numbers))}
        self.heap = [(start.get(n, free), n) for free, n in self.heap]

    def row(self, code: str) -> list[_Line]:
        """The queue's lines, one per calling class."""
        found = self.rows.get(code)
        if found is None:
            obs, waiting = self.observed, self.hall._waiting
            tails = self.projection.tails
            less = tails if any(queue == code for queue, _ in tails) else None
            inflow, shares = obs.inflow(code, self.t_now, self.second), obs.shares(code, less)
            booked = obs.booked_inflow(code, self.t_now)  # the day's bookings, when known: not the learnt share
            found = self.rows[code] = [
                _Line(code, cls, waiting[(code, cls)], booked, 1.0) if booked is not None and cls == APPOINTMENT_CLASS
                else _Line(code, cls, waiting[(code, cls)], inflow, shares[cls]) for cls in CLASSES]
        return found

    def breaks(self, number: int) -> list[tuple[int, int]]:
        """The counter's usual breaks from now on, in seconds from now."""
        found = self.away.get(number)
        if found is None:
            second = self.second
            found = self.away[number] = [(start - second, end - second) for start, end in
                                         self.observed.breaks(number) if end > second]
        return found

    def until(self, done: Callable[[], bool]) -> bool:
        """Project on until ``done()``; False if the horizon or the step limit comes first."""
        heap = self.heap
        while not done():
            if not heap or heap[0][0] > HORIZON_S or self.steps >= MAX_STEPS:
                return False
            t, number = heapq.heappop(heap)
            self.clock, self.steps = t, self.steps + 1
            away = self.breaks(number)
            if away and t > 0:  # its usual break (but one free now calls now): it calls again after it
                back = next((end for start, end in away if start <= t < end), None)
                if back is not None:
                    heapq.heappush(heap, (back, number))
                    continue
            busy = self._targeted(number, t) or self._next(number, t)
            if busy > 0.0:
                heapq.heappush(heap, (t + busy, number))
                continue
            wake = min((line.ready for code in self.queues[number] for line in self.row(code)
                        if not line.left()), default=math.inf)
            if wake < math.inf:
                heapq.heappush(heap, (max(wake, t + 1.0), number))
        return True

    def extrapolate(self, queue: str, ticket: Ticket | None) -> float | None:
        """Past the step limit: the ticket (None: a newcomer) is called once those ahead of it in
        its queue are, at the rate the projection has called its queue so far."""
        called = self.called.get(queue, 0)
        if not called or self.steps < MAX_STEPS:
            return None
        lines = self.row(queue)
        ahead = sum(line.left() for line in lines if ticket is None or line.cls < ticket.calling_class)
        if ticket is not None:
            line = lines[ticket.calling_class]
            ahead += line.waiting.bisect_left((ticket.order_at, ticket.id)) - line.next
        t = self.clock + (ahead + 1) * (self.clock + self.service[queue]) / called
        return t if t <= HORIZON_S else None

    def _targeted(self, number: int, t: float) -> float:
        """A ticket sent to this counter by name goes first."""
        mine = self.targeted.get(number)
        if not mine:
            return 0.0
        ticket = self.hall.tickets[mine.pop(0)]
        self.calls[ticket.id] = t
        self.streaks[number] = 0 if ticket.calling_class == WALK_IN_CLASS else self.streaks[number] + 1
        return self.service.get(ticket.queue, self.default_service)

    def _next(self, number: int, t: float) -> float:
        """The counter calls from its first queue with someone (or someone expected) in it; returns
        how long that keeps it busy (0: nobody)."""
        tickets, t_now, streak = self.hall.tickets, self.t_now, self.streaks[number]
        for code in self.queues[number]:
            row = self.row(code)
            heads: dict[int, Ticket] = {}
            for line in row:
                if line.head is not None:
                    heads[line.cls] = tickets[line.head]
                elif line.ready <= t:
                    heads[line.cls] = line.expected(t_now)
            if row[WALK_IN_CLASS].head is None and code not in self.newcomer:
                self._place_newcomer(code, heads, streak, t)
            if len(heads) == 1:  # every policy calls the only one there is
                (cls, picked), = heads.items()
            else:
                found = self.choose(heads, streak, t_now + t) if heads else None
                if found is None:
                    continue
                cls, picked = found.calling_class, found
            line = row[cls]
            self.streaks[number] = 0 if cls == WALK_IN_CLASS else streak + 1
            if picked is line.virtual:
                line.take_expected()
            else:
                self.calls[picked.id] = t
                self.called[code] += 1
                line.take_waiting()
            return self.service[code]
        return 0.0

    def _place_newcomer(self, code: str, heads: dict[int, Ticket], streak: int, t: float) -> None:
        """A walk-in taking a number now is called here if the policy would pick them."""
        newcomer = _stand_in(code, WALK_IN_CLASS, self.t_now)
        if self.choose({**heads, WALK_IN_CLASS: newcomer}, streak, self.t_now + t) is newcomer:
            self.newcomer[code] = t


def _serving(hall: Hall) -> dict[int, tuple[str, ...]]:
    """The counters the projection works with and their queues: the open and paused ones; for the
    queues none of them serves, their own counters (those listing one first, else any listing
    one) as if they opened now for those queues alone, as before the hall opens."""
    queues = {c.number: c.queues for c in hall.counters.values() if c.mode != CounterMode.CLOSED and c.queues}
    served = {code for qs in queues.values() for code in qs}
    chosen: dict[int, list[str]] = {}
    for q in hall.config.queues:
        if q.code in served:
            continue
        own = [c for c in hall.counters.values() if c.queues and c.queues[0] == q.code] or [
            c for c in hall.counters.values() if q.code in c.queues]
        for c in own:
            if c.number not in queues:
                chosen.setdefault(c.number, []).append(q.code)
    for number, codes in chosen.items():
        queues[number] = tuple(code for code in hall.counters[number].queues if code in codes)
    return queues


def _free_in(hall: Hall, counter: Counter, t_now: float, gap: float) -> float:
    """Seconds until the counter is free: its visitor's expected rest (and the gap before the next
    call), a pause's expected rest; now if idle or closed."""
    obs = hall.observed
    if counter.mode == CounterMode.PAUSED:
        began = counter.changed_at.timestamp() if counter.changed_at else t_now
        return obs.pause_left_s(max(0.0, t_now - began))
    if counter.mode == CounterMode.OPEN and counter.ticket_id is not None:
        current = hall.tickets.get(counter.ticket_id)
        if current is not None and current.called_at is not None:
            return obs.service_left_s(current.queue, max(0.0, t_now - current.called_at.timestamp())) + gap
    return 0.0


def _groups(queues: dict[int, tuple[str, ...]]) -> dict[str, int]:
    """Each queue's group: queues linked by counters serving both share one."""
    group: dict[str, int] = {}
    for qs in queues.values():
        found = {group[q] for q in qs if q in group}
        g = min(found) if found else len(group)
        for q, other in list(group.items()):
            if other in found:
                group[q] = g
        for q in qs:
            group[q] = g
    return group


# Stand-ins for tickets not yet issued, of each calling class (the policy reads only the class and order_at).
_PRIORITY = {APPOINTMENT_CLASS: Priority.NONE, PRIORITY_CLASS: Priority.ELDERLY, WALK_IN_CLASS: Priority.NONE}
_CHANNEL = {APPOINTMENT_CLASS: Channel.APPOINTMENT, PRIORITY_CLASS: Channel.KIOSK, WALK_IN_CLASS: Channel.KIOSK}


def _stand_in(queue: str, cls: int, at: float) -> Ticket:
    issued = datetime.fromtimestamp(at, UTC)
    return Ticket(id="", number="", queue=queue, serial=0, day=issued.date(), priority=_PRIORITY[cls],
                  channel=_CHANNEL[cls], status=TicketStatus.WAITING, issued_at=issued, status_token="",
                  order_at=at)


# ---------------------------------------------------------------------------------------- range
@functools.lru_cache(maxsize=4096)  # the same estimate is ranged for the answer and for the screens
def eta_range(eta_s: float) -> tuple[int, int]:
    """``(low, high)`` seconds around an estimate: where the middle half of such waits fell."""
    minutes = eta_s / 60
    below = [r for r in RANGE_RATIOS if r[0] <= minutes][-1]
    above = next((r for r in RANGE_RATIOS if r[0] > minutes), below)
    share = (minutes - below[0]) / (above[0] - below[0]) if above is not below else 0.0
    low = below[1] + (above[1] - below[1]) * share
    high = below[2] + (above[2] - below[2]) * share
    return round(eta_s * low), round(eta_s * high)


def wait_minutes(eta_s: float, eta_range_s: list[int] | tuple[int, int] | None) -> str:
    """The minutes a visitor is shown: "5" when the range is narrow, "10–15" when it is wide (the
    same rule as the screens' static/js/wait.js)."""
    point = max(1, _whole_minutes(eta_s))
    if eta_range_s is None:
        return str(point)
    low = max(1, _whole_minutes(eta_range_s[0]))
    high = max(low, _whole_minutes(eta_range_s[1]))
    return str(point) if high - low <= NARROW_MIN else f"{low}–{high}"


def _whole_minutes(seconds: float) -> int:
    return math.floor(seconds / 60 + 0.5)  # halves up, as JavaScript's Math.round
