"""A profile fitted from a hall's own history: the same weekday over the last weeks.

The rows come from the store (server/store/history.py) through server/services/simulation.py, as
plain values, so this stays pure. What is fitted (docs/simulation.md, "Fitting from history"):

- arrivals per queue by time of day, in visitors per hour for each half hour: the tickets issued
  then, averaged over the days of the window that had any ticket at all (a closed holiday does
  not halve the rates);
- per queue the shares of priority visitors, booked visitors, no-shows (of those called) and of
  no-shows who came back (回呼);
- per queue a lognormal service time (median and spread of the log) from the services' spans,
  from 开始 (or, where the clerk never pressed it, the call) to 办结; the walk to the counter from
  the call to 开始, when clerks press 开始 for most visitors;
- per counter its usual opening, closing and break: the median times over the days it opened,
  a break only when it took one (15 minutes or more) on at least half of them.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from server.domain.model import HallConfig

from .profile import Clerks, CounterSchedule, Lognormal, Profile, ProfileError, QueueProfile, Visitors

MIN_SPANS = 3  # fewer services than this: the hall's default service time
MIN_BREAK_MIN = 15
SLOT_MIN = 30  # arrival rates are fitted per half hour (in visitors per hour)
NO_WALK = Lognormal(1.0, 0.0)  # the clerks finish without pressing 开始: the spans hold the walk already


@dataclass(frozen=True, slots=True)
class TicketRow:
    day: date
    queue: str
    priority: str
    channel: str
    status: str
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: int | None = None
    reinstated: bool = False
    recalls: int = 0


@dataclass(frozen=True, slots=True)
class CounterRow:
    type: str  # counter.opened, counter.paused, counter.resumed or counter.closed
    at: datetime
    counter: int
    reason: str | None = None  # "day_end": closed by the day change, not by the clerk


def history_days(today: date, weekday: int, weeks: int) -> list[date]:
    """The last ``weeks`` dates before ``today`` that fall on ``weekday`` (0 = Monday), oldest first."""
    last = today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    return [last - timedelta(weeks=k) for k in reversed(range(weeks))]


def fit_profile(config: HallConfig, tickets: Sequence[TicketRow], counters: Sequence[CounterRow],
                days: Sequence[date], *, name: str = "", first_day: date | None = None) -> Profile:
    """The profile of a day like ``days`` in this hall. ``ProfileError`` when they hold no ticket."""
    tz = ZoneInfo(config.timezone)
    window = set(days)
    chosen = [t for t in tickets if t.day in window]
    seen = sorted({t.day for t in chosen})
    if not seen:
        listed = ", ".join(d.isoformat() for d in sorted(window)) or "none"
        raise ProfileError(f"no tickets in hall {config.code} on the days fitted ({listed})")
    by_queue: dict[str, list[TicketRow]] = defaultdict(list)
    for t in chosen:
        by_queue[t.queue].append(t)
    started = [t for t in chosen if t.status == "done" and t.started_at and t.called_at]
    done = [t for t in chosen if t.status == "done"]
    walk = _lognormal([(t.started_at - t.called_at).total_seconds() for t in started  # type: ignore[operator]
                       ]) if done and len(started) * 2 >= len(done) else None
    queues = tuple(_queue(q.code, q.name, by_queue[q.code], len(seen), tz, config.default_service_s)
                   for q in config.queues if by_queue.get(q.code))
    no_shows = [t.recalls for t in chosen if t.status == "no_show"]
    clerks = Clerks(recalls=int(statistics.median(no_shows)) if no_shows else Clerks().recalls)
    return Profile(
        queues=queues, counters=_schedules(config, counters, chosen, window, tz), name=name,
        hall=config.code, hall_name=config.name, timezone=config.timezone, first_day=first_day,
        visitors=Visitors(walk=walk or NO_WALK), clerks=clerks,
    )


def _queue(code: str, name: str, rows: list[TicketRow], days: int, tz: ZoneInfo, default_s: float) -> QueueProfile:
    per_slot: dict[int, int] = defaultdict(int)  # issued per half hour of the day
    for t in rows:
        local = t.issued_at.astimezone(tz)
        per_slot[(local.hour * 60 + local.minute) // SLOT_MIN] += 1
    first, last = min(per_slot), max(per_slot)
    per_hour = 60 / SLOT_MIN
    arrivals = tuple((s * SLOT_MIN, round(per_slot.get(s, 0) * per_hour / days, 2)) for s in range(first, last + 1))
    arrivals += ((min((last + 1) * SLOT_MIN, 24 * 60 - 1), 0.0),)
    n = len(rows)
    called = [t for t in rows if t.called_at is not None]
    no_shows = sum(1 for t in rows if t.status == "no_show")
    returned = sum(1 for t in rows if t.reinstated)
    spans = [(t.finished_at - (t.started_at or t.called_at)).total_seconds() for t in rows
             if t.status == "done" and t.finished_at and t.called_at]
    return QueueProfile(
        code=code, name=name, arrivals=arrivals,
        service=_lognormal(spans) or Lognormal(default_s, 0.5),
        priority_share=round(sum(1 for t in rows if t.priority != "none" and t.channel != "appointment") / n, 4),
        appointment_share=round(sum(1 for t in rows if t.channel == "appointment") / n, 4),
        no_show_share=round(no_shows / len(called), 4) if called else 0.0,
        return_share=round(returned / (no_shows + returned), 4) if no_shows + returned else 0.0,
    )


def _lognormal(spans: Sequence[float]) -> Lognormal | None:
    logs = [math.log(s) for s in spans if s > 0]
    if len(logs) < MIN_SPANS:
        return None
    return Lognormal(round(math.exp(statistics.fmean(logs)), 1), round(min(2.0, max(0.05, statistics.pstdev(logs))), 3))


def _schedules(config: HallConfig, rows: Sequence[CounterRow], tickets: Sequence[TicketRow], window: set[date],
               tz: ZoneInfo) -> tuple[CounterSchedule, ...]:
    """Each counter's median day: opened, closed, and its usual break."""
    days: dict[tuple[int, date], list[tuple[float, str, str | None]]] = defaultdict(list)
    for row in rows:
        local = row.at.astimezone(tz)
        if local.date() in window:
            days[(row.counter, local.date())].append((_minute(local), row.type, row.reason))
    last_done: dict[tuple[int, date], float] = {}
    for t in tickets:
        if t.counter is not None and t.finished_at is not None:
            key = (t.counter, t.day)
            last_done[key] = max(last_done.get(key, 0.0), _minute(t.finished_at.astimezone(tz)))
    out = []
    worked = {d for (_, d) in days}
    for counter in config.counters:
        opens, closes, breaks = [], [], []
        for day in sorted(worked):
            events = sorted(days.get((counter.number, day), []))
            opened = [m for m, kind, _ in events if kind == "counter.opened"]
            if not opened:
                continue
            opens.append(opened[0])
            closed = [m for m, kind, reason in events if kind == "counter.closed" and reason != "day_end"]
            closes.append(closed[-1] if closed else max(last_done.get((counter.number, day), 0.0),
                                                        events[-1][0], opened[0] + 60))
            pauses, paused_at = [], None
            for m, kind, _ in events:
                if kind == "counter.paused":
                    paused_at = m
                elif kind in ("counter.resumed", "counter.closed") and paused_at is not None:
                    pauses.append((paused_at, m))
                    paused_at = None
            long = [p for p in pauses if p[1] - p[0] >= MIN_BREAK_MIN]
            if long:
                breaks.append(max(long, key=lambda p: p[1] - p[0]))
        if not opens or len(opens) * 2 < len(worked):
            continue
        start, end = round(statistics.median(opens)), round(statistics.median(closes))
        if end <= start:
            end = min(start + 60, 24 * 60 - 1)
        usual: tuple[tuple[int, int], ...] = ()
        if breaks and len(breaks) * 2 >= len(opens):
            b0, b1 = round(statistics.median(b for b, _ in breaks)), round(statistics.median(e for _, e in breaks))
            b0, b1 = max(b0, start), min(b1, end)
            usual = ((b0, b1),) if b0 < b1 else ()
        out.append(CounterSchedule(counter.number, start, end, usual, counter.queues))
    if not out:
        raise ProfileError(f"no counter of hall {config.code} opened on the days fitted")
    return tuple(out)


def _minute(local: datetime) -> float:
    return local.hour * 60 + local.minute + local.second / 60
