"""The calling policies, proved over random hall days (hypothesis).

Invariants checked after every step of a random day of arrivals and counter actions:
- no ticket is ever held by two counters, and only a waiting ticket is ever called;
- within a queue and calling class, call-next takes the ticket that arrived first;
- once arrivals stop and counters keep calling, every waiting ticket is called;
- the default policy serves the special groups first: over a random busy day, a priority visitor
  is overtaken by at most one walk-in per K priority calls at that counter;
- the default policy never starves walk-ins: with a flood of priority visitors, a walk-in waits
  at most T plus K+1 service times;
- docs/calling-policy.md states the rule the code follows (the test reads the rule from it).

The checkers live in tests/domain/invariants.py: tests/simulation holds simulated days to them too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from server.demo import JINAN
from server.domain.clock import FakeClock
from server.domain.errors import DomainError
from server.domain.hall import Hall
from server.domain.model import (
    CounterConfig,
    Event,
    HallConfig,
    PolicyConfig,
    Priority,
    QueueConfig,
    TicketStatus,
)
from server.domain.policy import guarded
from tests.conftest import HALL_MORNING
from tests.domain.invariants import check_invariants, overtaking_walk_ins

POLICIES = [PolicyConfig(kind=k) for k in ("guarded", "strict", "ratio", "weighted")]

step = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from("ABV"), st.sampled_from(list(Priority))),
    st.tuples(st.just("call"), st.sampled_from([1, 2, 4, 12])),
    st.tuples(st.just("finish"), st.sampled_from([1, 2, 4, 12])),
    st.tuples(st.just("no_show"), st.sampled_from([1, 2, 4, 12])),
    st.tuples(st.just("transfer"), st.sampled_from([1, 2, 4, 12]), st.sampled_from("ABV")),
    st.tuples(st.just("wait"), st.integers(1, 600)),
)


def run_step(hall: Hall, clock: FakeClock, action: tuple[object, ...]) -> None:
    kind = action[0]
    now = clock.now()
    try:
        if kind == "issue":
            hall.issue(str(action[1]), now, f"t{hall.seq}", Priority(str(action[2])))
        elif kind == "call":
            counter = hall.counter(int(action[1]))  # type: ignore[call-overload]
            expected = hall.next_for(counter, now)
            waiting_before = {t.id for t in hall.tickets.values() if t.status == TicketStatus.WAITING}
            events = hall.call_next(counter.number, now)
            called = [e.ticket for e in events if e.type == "ticket.called"]
            if called:
                ticket = called[0]
                assert ticket is not None and ticket.id in waiting_before, "called a ticket that was not waiting"
                assert expected is not None and ticket.id == expected.id
                peers = [t for t in hall.tickets.values() if t.status == TicketStatus.WAITING
                         and t.queue == ticket.queue and t.calling_class == ticket.calling_class
                         and t.target_counter is None]
                if ticket.target_counter is None and not ticket.reinstated:
                    assert all(ticket.order_at <= p.order_at for p in peers), "arrival order broken"
        elif kind == "finish":
            hall.finish(int(action[1]), now)  # type: ignore[call-overload]
        elif kind == "no_show":
            hall.no_show(int(action[1]), now)  # type: ignore[call-overload]
        elif kind == "transfer":
            hall.transfer(int(action[1]), now, queue=str(action[2]))  # type: ignore[call-overload]
        elif kind == "wait":
            clock.advance(float(action[1]))  # type: ignore[arg-type]
    except DomainError:
        pass  # refusals are fine; the invariants must still hold
    clock.advance(1)
    check_invariants(hall)


def drain(hall: Hall, clock: FakeClock, counters: list[int]) -> None:
    """Counters keep calling and finishing; every waiting ticket must be called in bounded steps."""
    waiting = sum(1 for t in hall.tickets.values() if t.status == TicketStatus.WAITING)
    for _ in range(waiting + 2):
        for n in counters:
            if hall.current_ticket(hall.counter(n)):
                hall.finish(n, clock.now())
            hall.call_next(n, clock.now())
            clock.advance(60)
    assert not any(t.status == TicketStatus.WAITING and t.queue in "ABV" for t in hall.tickets.values())


@settings(max_examples=150, deadline=None)
@given(policy=st.sampled_from(POLICIES), steps=st.lists(step, max_size=120))
def test_random_days_keep_the_invariants_and_everyone_is_called(policy: PolicyConfig,
                                                                  steps: list[tuple[object, ...]]) -> None:
    hall = Hall(replace(JINAN, policy=policy))
    clock = FakeClock(HALL_MORNING)
    counters = [1, 2, 4, 12]  # A, A, B, V-then-A
    for n in counters:
        hall.open_counter(n, f"c{n}", clock.now())
    for action in steps:
        run_step(hall, clock, action)
    counters_for_all = [*counters]
    drain(hall, clock, counters_for_all)


ONE_COUNTER = HallConfig(code="t", name="t", queues=(QueueConfig("A", "A"),),
                         counters=(CounterConfig(1, "1", ("A",)),))


@settings(max_examples=100, deadline=None)
@given(service_s=st.integers(30, 600), t_s=st.integers(60, 1800), k=st.integers(1, 6),
       flood=st.integers(2, 10), walk_ins=st.integers(1, 6))
def test_default_policy_bounds_a_walk_in_wait_by_t_plus_k_plus_one_services(
        service_s: int, t_s: int, k: int, flood: int, walk_ins: int) -> None:
    """One counter, a flood of priority visitors (always more waiting), and walk-ins who arrive
    one at a time: each walk-in is called within T + (K+1) service times. Once it has waited T,
    the service under way ends (one service) and at most K priority calls complete the streak."""
    policy = PolicyConfig(kind="guarded", max_priority_streak=k, walk_in_max_wait_s=t_s)
    bound = t_s + (k + 1) * service_s
    hall = Hall(replace(ONE_COUNTER, policy=policy))
    clock = FakeClock(HALL_MORNING)
    hall.open_counter(1, "c", clock.now())
    priority_gap_s = max(1, service_s // flood)  # priority visitors arrive faster than they are served
    start = clock.now().timestamp()
    walk_in_every = bound + service_s + 1  # never two walk-ins waiting at once
    next_priority, next_walk_in, issued_walk_ins = start, start + 5, 0
    horizon = start + walk_in_every * (walk_ins + 1)
    now = start
    while now < horizon:
        while next_priority <= now:
            hall.issue("A", clock.now(), f"p{hall.seq}", Priority.ELDERLY)
            next_priority += priority_gap_s
        if next_walk_in <= now and issued_walk_ins < walk_ins:
            hall.issue("A", clock.now(), f"w{hall.seq}")
            next_walk_in += walk_in_every
            issued_walk_ins += 1
        for event in hall.call_next(1, clock.now()):
            ticket = event.ticket
            if event.type == "ticket.called" and ticket and ticket.priority == Priority.NONE:
                waited = (ticket.called_at - ticket.issued_at).total_seconds()  # type: ignore[operator]
                assert waited <= bound, f"walk-in waited {waited}s > T {t_s} + (K {k} + 1) × {service_s}s"
        clock.advance(service_s)
        if hall.current_ticket(hall.counter(1)):
            hall.finish(1, clock.now())
        now = clock.now().timestamp()
    assert not [t for t in hall.waiting_in("A") if t.priority == Priority.NONE
                and clock.now().timestamp() - t.order_at > bound]


BUSY_COUNTERS = [1, 2, 4, 12]  # A, A, B, V-then-A: a shared queue and a counter with two

arrival = st.tuples(st.integers(0, 240), st.sampled_from("ABV"), st.booleans())  # (gap s, queue, priority)


@settings(max_examples=100, deadline=None)
@given(k=st.integers(1, 5), t_s=st.integers(0, 1800), service_s=st.integers(60, 900),
       arrivals=st.lists(arrival, min_size=20, max_size=160))
def test_default_policy_lets_at_most_one_walk_in_past_a_priority_visitor_per_k_calls(
        k: int, t_s: int, service_s: int, arrivals: list[tuple[int, str, bool]]) -> None:
    """A random busy day (arrivals faster than the counters serve, so queues run past T): a
    priority visitor is overtaken by at most one walk-in per K priority calls at that counter."""
    hall = Hall(replace(JINAN, policy=PolicyConfig(kind="guarded", max_priority_streak=k, walk_in_max_wait_s=t_s)))
    clock = FakeClock(HALL_MORNING)
    log: list[Event] = []
    for n in BUSY_COUNTERS:
        log += hall.open_counter(n, f"c{n}", clock.now())
    busy_until = dict.fromkeys(BUSY_COUNTERS, clock.now())
    pending = list(arrivals)
    while pending or any(t.status == TicketStatus.WAITING for t in hall.tickets.values()):
        if pending:
            gap, queue, priority = pending.pop(0)
            clock.advance(gap)
            log += hall.issue(queue, clock.now(), f"t{hall.seq}", Priority.ELDERLY if priority else Priority.NONE)
        else:
            clock.advance(service_s)
        for n in BUSY_COUNTERS:
            if busy_until[n] > clock.now():
                continue
            if hall.current_ticket(hall.counter(n)):
                log += hall.finish(n, clock.now())
            called = hall.call_next(n, clock.now())
            log += called
            if called:
                busy_until[n] = clock.now() + timedelta(seconds=service_s)
    overtaking_walk_ins(log, k, BUSY_COUNTERS)


DOC = Path(__file__).resolve().parents[2] / "docs" / "calling-policy.md"


def test_the_documented_rule_is_the_rule_the_code_follows() -> None:
    """Reads the guarded row of docs/calling-policy.md: the walk-in goes next when the counter has
    made K calls in a row (and|or) it has waited T. The chooser must do what the page says, for
    each of the four cases."""
    row = next(line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `guarded`"))
    match = re.search(r"K non-walk-in calls in a row,? \*\*(and|or)\*\* (?:when )?that walk-in has waited T", row)
    assert match, "docs/calling-policy.md no longer states the guarded rule in the form this test reads"
    documented: Callable[[bool, bool], bool] = (
        (lambda a, b: a and b) if match.group(1) == "and" else (lambda a, b: a or b))
    config = PolicyConfig(kind="guarded", max_priority_streak=3, walk_in_max_wait_s=900)
    choose = guarded(config)
    hall = Hall(replace(ONE_COUNTER, policy=config))
    clock = FakeClock(HALL_MORNING)
    walk_in = hall.issue("A", clock.now(), "w")[-1].ticket
    clock.advance(1)
    elder = hall.issue("A", clock.now(), "p", Priority.ELDERLY)[-1].ticket
    assert walk_in is not None and elder is not None
    heads = {walk_in.calling_class: walk_in, elder.calling_class: elder}
    for streak in (0, 3):
        for waited in (10, 900):
            expected = walk_in if documented(streak >= 3, waited >= 900) else elder
            assert choose(heads, streak, walk_in.order_at + waited) == expected, (streak, waited)
