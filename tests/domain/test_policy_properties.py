"""The calling policies, proved over random hall days (hypothesis).

Invariants checked after every step of a random day of arrivals and counter actions:
- no ticket is ever held by two counters, and only a waiting ticket is ever called;
- within a queue and calling class, call-next takes the ticket that arrived first;
- once arrivals stop and counters keep calling, every waiting ticket is called;
- the default policy never starves walk-ins: with a flood of priority visitors, a walk-in waits
  at most T plus one service time.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from server.demo import JINAN
from server.domain.clock import FakeClock
from server.domain.errors import DomainError
from server.domain.hall import Hall
from server.domain.model import (
    CounterConfig,
    HallConfig,
    PolicyConfig,
    Priority,
    QueueConfig,
    TicketStatus,
)
from tests.conftest import HALL_MORNING

POLICIES = [PolicyConfig(kind=k) for k in ("guarded", "strict", "ratio", "weighted")]

step = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from("ABV"), st.sampled_from(list(Priority))),
    st.tuples(st.just("call"), st.sampled_from([1, 2, 4, 12])),
    st.tuples(st.just("finish"), st.sampled_from([1, 2, 4, 12])),
    st.tuples(st.just("no_show"), st.sampled_from([1, 2, 4, 12])),
    st.tuples(st.just("transfer"), st.sampled_from([1, 2, 4, 12]), st.sampled_from("ABV")),
    st.tuples(st.just("wait"), st.integers(1, 600)),
)


def check_invariants(hall: Hall) -> None:
    held = [c.ticket_id for c in hall.counters.values() if c.ticket_id]
    assert len(held) == len(set(held)), "a ticket is held by two counters"
    for ticket_id in held:
        assert hall.tickets[ticket_id].status in (TicketStatus.CALLED, TicketStatus.SERVING)
    active = {t.id for t in hall.tickets.values() if t.status in (TicketStatus.CALLED, TicketStatus.SERVING)}
    assert active == set(held), "a called ticket is not at any counter"


def run_step(hall: Hall, clock: FakeClock, action: tuple[object, ...]) -> None:
    kind = action[0]
    now = clock.now()
    try:
        if kind == "issue":
            hall.issue(str(action[1]), now, f"t{hall.seq}", Priority(action[2]))
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
def test_default_policy_bounds_a_walk_in_wait_by_t_plus_one_service(
        service_s: int, t_s: int, k: int, flood: int, walk_ins: int) -> None:
    """One counter, a flood of priority visitors (always more waiting), and walk-ins who arrive
    one at a time: each walk-in is called within T + one service time."""
    policy = PolicyConfig(kind="guarded", max_priority_streak=k, walk_in_max_wait_s=t_s)
    hall = Hall(replace(ONE_COUNTER, policy=policy))
    clock = FakeClock(HALL_MORNING)
    hall.open_counter(1, "c", clock.now())
    priority_gap_s = max(1, service_s // flood)  # priority visitors arrive faster than they are served
    start = clock.now().timestamp()
    walk_in_every = t_s + 2 * service_s + 1  # never two walk-ins waiting at once
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
                assert waited <= t_s + service_s, f"walk-in waited {waited}s > T {t_s} + service {service_s}"
        clock.advance(service_s)
        if hall.current_ticket(hall.counter(1)):
            hall.finish(1, clock.now())
        now = clock.now().timestamp()
    assert not [t for t in hall.waiting_in("A") if t.priority == Priority.NONE
                and clock.now().timestamp() - t.order_at > t_s + service_s]
