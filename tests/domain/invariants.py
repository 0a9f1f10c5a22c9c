"""The calling invariants, as checkers both hypothesis suites use: tests/domain/test_policy_properties.py
over random command sequences, tests/simulation over simulated hall days.

- :func:`check_invariants`: no ticket held by two counters; every called ticket is at a counter;
- :class:`CallChecker`: at every call, as it happens — only a waiting ticket is called; within a
  queue and calling class, arrival order; the policy's rule (the walk-in bound of ``guarded`` and
  ``ratio``: after K non-walk-in calls in a row, a counter calls the walk-in who has waited T;
  ``weighted``: a priority visitor only goes first while w × their wait is the longer);
- :func:`overtaking_walk_ins`: under ``guarded``, a priority visitor is overtaken by at most one
  walk-in per K priority calls at each counter.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.domain.hall import Hall
from server.domain.model import APPOINTMENT_CLASS, WALK_IN_CLASS, Event, PolicyConfig, Priority, Ticket, TicketStatus


def check_invariants(hall: Hall) -> None:
    held = [c.ticket_id for c in hall.counters.values() if c.ticket_id]
    assert len(held) == len(set(held)), "a ticket is held by two counters"
    for ticket_id in held:
        assert hall.tickets[ticket_id].status in (TicketStatus.CALLED, TicketStatus.SERVING)
    active = {t.id for t in hall.tickets.values() if t.status in (TicketStatus.CALLED, TicketStatus.SERVING)}
    assert active == set(held), "a called ticket is not at any counter"


class CallChecker:
    """Follows the event log and checks each ``ticket.called`` against the tickets waiting just
    before it. Use as an observer: ``checker(hall, events)`` after every command."""

    def __init__(self, policy: PolicyConfig, every_step: bool = True) -> None:
        self.policy = policy
        self.every_step = every_step  # also check_invariants(hall) after each command (O(tickets))
        self.waiting: dict[str, Ticket] = {}
        self.log: list[Event] = []
        self.calls = 0

    def __call__(self, hall: Hall, events: list[Event]) -> None:
        for event in events:
            self.see(event)
        if self.every_step:
            check_invariants(hall)

    def see(self, event: Event) -> None:
        self.log.append(event)
        ticket = event.ticket
        if ticket is None:
            return
        if event.type == "ticket.called":
            self._called(event, ticket)
        elif ticket.status == TicketStatus.WAITING:
            self.waiting[ticket.id] = ticket
        else:
            self.waiting.pop(ticket.id, None)

    def _called(self, event: Event, ticket: Ticket) -> None:
        before = self.waiting.pop(ticket.id, None)
        assert before is not None, f"{ticket.number} was called while not waiting"
        self.calls += 1
        if ticket.called_out_of_turn or before.target_counter is not None:
            return
        peers = [t for t in self.waiting.values() if t.queue == before.queue and t.target_counter is None]
        older = [t for t in peers if t.calling_class == before.calling_class and t.order_at < before.order_at]
        assert not older, f"{ticket.number} called before {older[0].number}, who came first in its class"
        walk_ins = [t for t in peers if t.calling_class == WALK_IN_CLASS]
        if before.calling_class == WALK_IN_CLASS or not walk_ins or event.counter is None:
            return
        head = min(walk_ins, key=lambda t: t.order_at)
        now = event.at.timestamp()
        kind, k = self.policy.kind, self.policy.max_priority_streak
        streak_before = event.counter.priority_streak - 1
        if kind in ("guarded", "ratio") and streak_before >= k:
            limit = self.policy.walk_in_max_wait_s if kind == "guarded" else 0.0
            assert now - head.order_at < limit, (
                f"counter {event.counter.number} made its call {streak_before + 1} in a row to a non-walk-in "
                f"({ticket.number}) while walk-in {head.number} had waited {now - head.order_at:.0f} s "
                f"(K {k}, T {limit:g} s)")
        if kind == "weighted" and before.calling_class != APPOINTMENT_CLASS:
            assert (now - before.order_at) * self.policy.priority_weight >= now - head.order_at, (
                f"{ticket.number} went before walk-in {head.number}, whose wait was the longer even weighted")


def overtaking_walk_ins(log: list[Event], k: int, counters: Iterable[int]) -> None:
    """For every priority visitor p and counter c: the walk-ins of p's queue that c called while p
    waited number at most 1 + (non-walk-in calls at c in that time) // K."""
    numbers = list(counters)
    calls = [e for e in log if e.type == "ticket.called" and e.ticket and e.counter]
    first_called: dict[str, int] = {}
    for e in calls:
        assert e.ticket is not None
        first_called.setdefault(e.ticket.id, e.seq)
    issued = {e.ticket.id: (e.seq, e.ticket) for e in log if e.type == "ticket.issued" and e.ticket}
    end = log[-1].seq + 1 if log else 0
    by_counter = {n: [e for e in calls if e.counter and e.counter.number == n] for n in numbers}
    for p_id, (start, p) in issued.items():
        if p.priority == Priority.NONE:
            continue
        stop = first_called.get(p_id, end)
        for number in numbers:
            window = [e for e in by_counter[number] if start < e.seq < stop]
            walk_ins = [e for e in window if e.ticket and e.ticket.calling_class == WALK_IN_CLASS
                        and e.ticket.queue == p.queue and e.ticket.target_counter is None
                        and not e.ticket.called_out_of_turn]
            others = [e for e in window if e.ticket and e.ticket.calling_class != WALK_IN_CLASS]
            assert len(walk_ins) <= 1 + len(others) // k, (
                f"{p.number} overtaken by {len(walk_ins)} walk-ins at counter {number} "
                f"in {len(others)} priority calls (K = {k})")
