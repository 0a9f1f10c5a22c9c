"""The manager's what-if and calling-policy comparison on the dashboard (issue 22; docs/simulation.md,
"What-if on the dashboard"). Managers and admins of the hall only.

- :func:`what_if`: the rest of today simulated from the hall's state right now, as it is and with
  the manager's changes (a counter opened for some queues, a counter also serving a queue, a
  counter closed), on a profile fitted from the same weekday of the last ``WEEKS`` weeks; the same
  ``SEEDS`` for both, so the two runs meet the same visitors; per queue the average and p90 wait
  and the share called within 30 minutes, before and after; and the next two hours' expected
  arrivals per queue from that history.
- :func:`policy_comparison`: a month of the hall's history, each weekday fitted from its own days,
  simulated under each calling policy (server/domain/policy.py): walk-in and priority waits side
  by side.

Too little history is a 409 ``not_enough_history``, never a guess from another hall's profile. The
rows are read with ``context.engine.read``; the simulations run in the default thread pool, never
on the event loop. The simulator itself is server/simulation (pure).
"""

from __future__ import annotations

import asyncio
import copy
import re
import time as clock
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Conflict, Forbidden, InvalidInput
from server.domain.hall import Hall
from server.domain.model import HallConfig, PolicyConfig
from server.domain.policy import POLICIES
from server.simulation import Change, CloseCounter, OpenCounter, Profile, ProfileError, ServeAlso, Visit, simulate
from server.simulation.fit import CounterRow, TicketRow, fit_profile
from server.simulation.profile import hhmm
from server.simulation.result import POLICY_NAMES, percentile
from server.store import history

from .simulation import WEEKDAY_NAMES, fitted_profile, hall_config

WEEKS = 4  # the what-if's history: the same weekday of the last four weeks
SEEDS = (1, 2, 3, 4, 5, 6)  # a what-if's runs, pooled: one day's draws move too much
POLICY_SEEDS = (1, 2)  # per weekday and policy in the month's comparison
OVERTIME_MIN = 60  # clerks serve who still waits at most this long after the day's last closing
LATEST_CUTOFF_MIN = 23 * 60  # and never past 23:00: the hall's day change is at midnight
AHEAD_MIN = 120  # the expected arrivals shown: the next two hours
MAX_CHANGES = 8
KINDS = ("open_counter", "serve_also", "close_counter")
HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])", re.ASCII)
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """One what-if change as the manager asks it: ``kind`` open_counter, serve_also or
    close_counter; ``queues`` what an opened counter serves (default: its own) or what a counter
    also serves; ``at`` a hall-local "HH:MM" today (None: now; a time already past: now)."""

    kind: str
    counter: int
    queues: tuple[str, ...] = ()
    at: str | None = None


# ---------------------------------------------------------------------------------------- shared
def _manager(principal: Principal, hall: str) -> None:
    if not principal.manages(hall):
        raise Forbidden("仅本大厅的管理人员可使用排队预测", "managers of this hall only")


async def _off_loop(fn: Callable[[], T]) -> T:
    """CPU work (the simulations) in the default thread pool, so the event loop keeps serving."""
    return await asyncio.get_running_loop().run_in_executor(None, fn)


def _not_enough(zh: str, en: str) -> Conflict:
    return Conflict.coded("not_enough_history", f"历史数据不足：{zh} (not enough history: {en})")


def _last_closing_min(profile: Profile) -> int:
    return max((s.closes for s in profile.counters), default=18 * 60)


def _cutoff_min(profile: Profile) -> int:
    """The minute of the day the simulated clerks stop: the last scheduled closing plus overtime."""
    return min(_last_closing_min(profile) + OVERTIME_MIN, LATEST_CUTOFF_MIN)


def _figures(visits: Sequence[Visit], runs: int, end_of: Callable[[Visit], datetime],
             weight: Callable[[Visit], int] = lambda _: 1) -> dict[str, Any]:
    """Average and p90 wait and the share called within 30 minutes, over ``runs`` pooled runs. A
    visitor never called counts with the wait until the simulated clerks stopped (``end_of``): a
    wait at least that long, which a mean that left them out would hide."""
    waits: list[float] = []
    unserved = 0
    for v in visits:
        wait = v.wait_s
        if wait is None:
            unserved += weight(v)
            wait = max(0.0, (end_of(v) - v.issued_at).total_seconds())
        waits.extend([wait] * weight(v))
    if not waits:
        return {"visitors": 0, "avg_wait_s": None, "p90_wait_s": None, "within_30": None, "unserved": 0}
    waits.sort()
    n = len(waits)
    p90 = percentile(waits, 0.9)
    return {"visitors": round(n / runs, 1), "avg_wait_s": round(sum(waits) / n),
            "p90_wait_s": round(p90) if p90 is not None else None,
            "within_30": round(sum(1 for w in waits if w <= 1800) / n, 4), "unserved": round(unserved / runs, 1)}


# ---------------------------------------------------------------------------------------- what-if
async def what_if(context: AppContext, principal: Principal, hall: str,
                  changes: Sequence[ChangeRequest]) -> dict[str, Any]:
    """The rest of today, as it is and with ``changes``: ``{at, horizon_until, basis, changes,
    queues: [{code, name, changed, before, after}], total, arrivals_next_2h: [{code, name,
    expected}], seeds, elapsed_ms}``; each of before and after ``{visitors, avg_wait_s, p90_wait_s,
    within_30, unserved}``. 422 naming ``changes.N.field``; 409 ``not_enough_history``."""
    _manager(principal, hall)
    if len(changes) > MAX_CHANGES:
        raise InvalidInput.coded("invalid_field", f"changes 最多 {MAX_CHANGES} 项 (changes: at most {MAX_CHANGES})",
                                 "changes")
    now = context.clock.now()
    state = await context.engine.committed_hall(hall)
    start = copy.deepcopy(state)  # here on the event loop, where the state is changed: the runs go on in threads
    tz = start.tz
    today = start.local_day(now)
    asked = [_checked(start, i, change) for i, change in enumerate(changes)]
    try:
        config, profile = await context.engine.read(lambda conn: fitted_profile(conn, hall, weeks=WEEKS, now=now))
    except ProfileError:
        raise _not_enough(f"近 {WEEKS} 周的{WEEKDAY_NAMES[today.weekday()]}没有取号记录，无法预测今天余下的排队",
                          f"no tickets on the same weekday of the last {WEEKS} weeks") from None
    midnight = datetime.combine(today, time(), tzinfo=tz)
    last = _last_closing_min(profile)
    cutoff = max(now, midnight + timedelta(minutes=_cutoff_min(profile)))
    made: list[Change] = []
    shown: list[dict[str, Any]] = []
    for i, (kind, counter, queues, at) in enumerate(asked):
        when = now if at is None else midnight + timedelta(minutes=at)
        if at is not None and at > last:
            raise InvalidInput.coded("invalid_field", f"changes.{i}.at 晚于今天最晚的下班时间 {hhmm(last)} "
                                                      f"(changes.{i}.at: after the day's last closing)",
                                     f"changes.{i}.at")
        when = max(when, now)
        made += _changes(kind, counter, queues, when)
        shown.append({"kind": kind, "counter": counter, "queues": list(queues),
                      "at": when.astimezone(tz).strftime("%H:%M")})
    stop = [CloseCounter(number, cutoff) for number in start.counters]
    began = clock.perf_counter()

    def run() -> tuple[list[Visit], list[Visit]]:
        before: list[Visit] = []
        after: list[Visit] = []
        for seed in SEEDS:
            before += _from_now(simulate(config, profile, start=start, start_at=now, changes=stop, seed=seed,
                                         estimates=False).visits, now)
            if made:
                after += _from_now(simulate(config, profile, start=start, start_at=now, changes=[*made, *stop],
                                            seed=seed, estimates=False).visits, now)
        return before, (after if made else before)

    before, after = await _off_loop(run)
    touched = {q for _, counter, queues, _ in asked for q in (queues or start.counters[counter].queues)}
    runs = len(SEEDS)

    def end_of(_: Visit) -> datetime:
        return cutoff

    def per_queue(code: str, name: str) -> dict[str, Any]:
        return {"code": code, "name": name, "changed": code in touched,
                "before": _figures([v for v in before if v.queue == code], runs, end_of),
                "after": _figures([v for v in after if v.queue == code], runs, end_of)}

    return {
        "at": now.astimezone(tz).isoformat(timespec="seconds"),
        "horizon_until": cutoff.isoformat(timespec="minutes"),
        "basis": {"kind": "history", "weeks": WEEKS, "weekday": WEEKDAY_NAMES[today.weekday()],
                  "profile": profile.name},
        "changes": shown,
        "queues": [per_queue(q.code, q.name) for q in start.config.queues],
        "total": {"before": _figures(before, runs, end_of), "after": _figures(after, runs, end_of)},
        "arrivals_next_2h": _arrivals_ahead(start.config, profile, now.astimezone(tz), midnight),
        "seeds": runs,
        "elapsed_ms": round((clock.perf_counter() - began) * 1000),
    }


def _checked(hall: Hall, i: int, change: ChangeRequest) -> tuple[str, int, tuple[str, ...], int | None]:
    """(kind, counter, queues, minute of the day or None) of a change, or a 422 naming its field."""
    where = f"changes.{i}"
    if change.kind not in KINDS:
        raise InvalidInput.coded("invalid_field", f"{where}.kind 应为 {'|'.join(KINDS)} "
                                                  f"({where}.kind: one of {', '.join(KINDS)})", f"{where}.kind")
    counter = hall.counters.get(change.counter)
    if counter is None:
        raise InvalidInput.coded("invalid_field", f"{where}.counter 本大厅没有 {change.counter}号窗口 "
                                                  f"({where}.counter: no counter {change.counter} in this hall)",
                                 f"{where}.counter")
    codes = {q.code for q in hall.config.queues}
    for code in change.queues:
        if code not in codes:
            raise InvalidInput.coded("invalid_field", f"{where}.queues 本大厅没有 {code} 队列 "
                                                      f"({where}.queues: no queue {code!r} in this hall)",
                                     f"{where}.queues")
    if change.kind == "serve_also" and not change.queues:
        raise InvalidInput.coded("invalid_field", f"{where}.queue 请选择要同时办理的队列 "
                                                  f"({where}.queue: the queue the counter also serves)",
                                 f"{where}.queue")
    queues = tuple(dict.fromkeys(change.queues)) if change.kind != "close_counter" else ()
    if change.kind == "open_counter" and not queues:
        queues = counter.queues
        if not queues:
            raise InvalidInput.coded("invalid_field", f"{where}.queues 请选择该窗口办理的队列 "
                                                      f"({where}.queues: the queues the counter serves)",
                                     f"{where}.queues")
    minute = None
    if change.at is not None:
        found = HHMM.fullmatch(change.at)
        if found is None:
            raise InvalidInput.coded("invalid_field", f"{where}.at 应为当天的时刻 HH:MM，如 10:00 "
                                                      f"({where}.at: a time of day HH:MM)", f"{where}.at")
        minute = int(found.group(1)) * 60 + int(found.group(2))
    return change.kind, change.counter, queues, minute


def _changes(kind: str, counter: int, queues: tuple[str, ...], at: datetime) -> list[Change]:
    if kind == "open_counter":
        return [OpenCounter(counter, queues, at)]
    if kind == "serve_also":
        return [ServeAlso(counter, code, at) for code in queues]
    return [CloseCounter(counter, at)]


def _from_now(visits: Iterable[Visit], now: datetime) -> list[Visit]:
    """The visitors the rest of the day is about: those waiting now and those still to come (not
    those already called, whose wait no change can alter)."""
    return [v for v in visits if v.called_at is None or v.called_at >= now]


def _arrivals_ahead(config: HallConfig, profile: Profile, now: datetime, midnight: datetime) -> list[dict[str, Any]]:
    """Per queue the visitors expected in the next two hours: the fitted rates, minute by minute."""
    first = (now - midnight).total_seconds() / 60
    out = []
    for q in config.queues:
        fitted = profile.queue(q.code)
        expected = 0.0 if fitted is None else sum(
            fitted.rate_at(first + m + 0.5) / 60 for m in range(AHEAD_MIN) if first + m < 24 * 60)
        out.append({"code": q.code, "name": q.name, "expected": round(expected, 1)})
    return out


# ---------------------------------------------------------------------------------------- policies
def _month(raw: str | None, today: date) -> tuple[date, date]:
    """The first day of the month asked (default: the last one) and the day after its last day
    that is history (today at the latest)."""
    if raw is None or raw == "":
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    else:
        found = MONTH.fullmatch(raw)
        year, month = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise InvalidInput.coded("invalid_field", "month 应为年月 YYYY-MM，如 2026-10 (month: YYYY-MM)", "month")
        first = date(year, month, 1)
        if first > today:
            raise InvalidInput.coded("invalid_field", f"month {raw} 尚未开始，没有历史 (month: {raw} has not begun)",
                                     "month")
    following = (first + timedelta(days=32)).replace(day=1)
    return first, min(following, today)


@dataclass(frozen=True, slots=True)
class _MonthRows:
    config: HallConfig
    tickets: list[TicketRow]
    counters: list[CounterRow]


def _month_rows(conn: Connection, hall: str, days: list[date], tz: ZoneInfo) -> _MonthRows:
    config = hall_config(conn, hall)
    tickets = [TicketRow(**row) for row in history.ticket_rows(conn, hall, days)]
    since = datetime.combine(days[0], time(), tzinfo=tz)
    until = datetime.combine(days[-1] + timedelta(days=1), time(), tzinfo=tz)
    counters = [CounterRow(**row) for row in history.counter_events(conn, hall, since, until)]
    return _MonthRows(config, tickets, counters)


async def policy_comparison(context: AppContext, principal: Principal, hall: str,
                            month: str | None = None) -> dict[str, Any]:
    """A month of the hall's history (default: last month) simulated under each calling policy:
    ``{month, from, to, days, weekdays, current, policies: [{kind, name, current, walk_in,
    priority, all}], elapsed_ms}``, each group ``{visitors, avg_wait_s, p90_wait_s, within_30,
    unserved}`` per simulated day. 409 ``not_enough_history`` for a month without tickets."""
    _manager(principal, hall)
    state = await context.engine.committed_hall(hall)
    tz = state.tz
    today = state.local_day(context.clock.now())
    first, end = _month(month, today)
    days = [first + timedelta(days=k) for k in range((end - first).days)]
    label = first.strftime("%Y-%m")
    if not days:
        raise _not_enough(f"{label} 还没有过去的日子", f"{label} has no past day yet")
    rows = await context.engine.read(lambda conn: _month_rows(conn, hall, days, tz))
    began = clock.perf_counter()
    result = await _off_loop(lambda: _compare(rows, days))
    if result is None:
        raise _not_enough(f"{label} 没有取号记录，无法比较叫号策略", f"no tickets in {label}")
    fitted, policies = result
    return {
        "month": label, "from": days[0].isoformat(), "to": days[-1].isoformat(),
        "days": sum(n for _, n in fitted), "weekdays": [f"{WEEKDAY_NAMES[w]}×{n}" for w, n in fitted],
        "current": rows.config.policy.kind, "policies": policies,
        "elapsed_ms": round((clock.perf_counter() - began) * 1000),
    }


def _compare(rows: _MonthRows, days: list[date]) -> tuple[list[tuple[int, int]], list[dict[str, Any]]] | None:
    """Each weekday of the month fitted from its own days and simulated one day per seed under
    each policy; its visits count as many times as the month had such days."""
    config = rows.config
    worked = {t.day for t in rows.tickets}
    profiles: list[tuple[int, int, Profile]] = []
    for weekday in range(7):
        chosen = [d for d in days if d.weekday() == weekday and d in worked]
        if not chosen:
            continue
        try:
            profile = fit_profile(config, rows.tickets, rows.counters, chosen, first_day=chosen[0])
        except ProfileError:  # no counter opened on those days: nothing to simulate
            continue
        profiles.append((weekday, len(chosen), profile))
    if not profiles:
        return None
    weights = {p.first_day: n for _, n, p in profiles}
    cutoffs = {p.first_day: _cutoff_min(p) for _, _, p in profiles}
    tz = ZoneInfo(config.timezone)
    runs = len(POLICY_SEEDS) * sum(weights.values())

    def weight(v: Visit) -> int:
        return weights.get(v.day, 1)

    def end_of(v: Visit) -> datetime:
        return datetime.combine(v.day, time(), tzinfo=tz) + timedelta(minutes=cutoffs.get(v.day, LATEST_CUTOFF_MIN))

    out = []
    for kind in POLICIES:
        empty = Hall(replace(config, policy=policy_config(kind, config.policy)))
        visits: list[Visit] = []
        for _, _, profile in profiles:
            midnight = datetime.combine(profile.first_day or days[0], time(), tzinfo=tz)
            stop = [CloseCounter(c.number, midnight + timedelta(minutes=_cutoff_min(profile))) for c in config.counters]
            for seed in POLICY_SEEDS:  # a whole day from an empty hall at midnight
                visits += simulate(config, profile, seed=seed, start=empty, start_at=midnight, changes=stop,
                                   estimates=False).visits

        def group(name: str | None, chosen: list[Visit] = visits) -> dict[str, Any]:
            return _figures([v for v in chosen if name is None or v.group == name], runs, end_of, weight)

        out.append({"kind": kind, "name": POLICY_NAMES.get(kind, kind), "current": kind == config.policy.kind,
                    "walk_in": group("walk_in"), "priority": group("priority"), "all": group(None)})
    return [(w, n) for w, n, _ in profiles], out


def policy_config(kind: str, base: PolicyConfig) -> PolicyConfig:
    """The hall's policy with another kind, its other parameters kept (K, T, the weight)."""
    return replace(base, kind=kind)
