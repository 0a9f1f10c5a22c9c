"""The day change inside counter actions, over random days that cross midnight (hypothesis).

A hall that goes on past midnight, or whose server stopped overnight with counters open and
restarts in the morning (the state rebuilt from the event log), must never call, start, recall or
finish a ticket that the day change cancelled, and a counter that the day change closed refuses
everything but ``open``: the log never shows ``ticket.called`` at a counter that is closed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.demo import JINAN
from server.domain import errors
from server.domain.clock import FakeClock
from server.domain.hall import Hall
from server.domain.model import Event, HallConfig, PolicyConfig, Priority
from tests.conftest import HALL_MORNING

TICKET_ACTIONS = ("call", "recall", "start", "finish", "no_show", "transfer")

COUNTERS = [1, 12]  # A; V then A

day_step = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from("AV"), st.booleans()),
    st.tuples(st.sampled_from(TICKET_ACTIONS), st.sampled_from(COUNTERS)),
    st.tuples(st.just("open"), st.sampled_from(COUNTERS)),
    st.tuples(st.just("wait"), st.integers(1, 900)),
)
# How a day ends: the hall goes on through midnight (to some seconds either side of it), or the
# server stops and starts again the next morning with the state rebuilt from the log.
crossing = st.one_of(st.tuples(st.just("midnight"), st.integers(-120, 120)),
                     st.tuples(st.just("restart"), st.integers(0, 10 * 3600)))
days = st.lists(st.tuples(st.lists(day_step, max_size=25), crossing), min_size=1, max_size=3)

def act(hall: Hall, action: tuple[object, ...], now: object) -> list[Event]:
    kind, arg = action[0], action[1]
    n = int(arg)  # type: ignore[call-overload]
    commands = {"call": hall.call_next, "recall": hall.recall, "start": hall.start, "finish": hall.finish,
                "no_show": hall.no_show}
    if kind in commands:
        return commands[str(kind)](n, now)  # type: ignore[arg-type]
    if kind == "transfer":
        return hall.transfer(n, now, queue="B")  # type: ignore[arg-type]
    return hall.open_counter(n, f"c{n}", now)  # type: ignore[arg-type]


def check_log(log: list[Event]) -> None:
    """Nothing happens to a ticket after it is cancelled; no counter calls while it is closed."""
    ended: set[str] = set()
    open_counters: set[int] = set()
    for event in log:
        ticket, counter = event.ticket, event.counter
        if ticket is not None:
            assert ticket.id not in ended, f"{event.type} of {ticket.number} after the day change cancelled it"
            if event.type == "ticket.cancelled":
                ended.add(ticket.id)
        if event.type == "counter.opened" and counter:
            open_counters.add(counter.number)
        elif event.type == "counter.closed" and counter:
            open_counters.discard(counter.number)
        elif counter is not None and event.type.startswith("ticket."):
            assert counter.number in open_counters, f"{event.type} at counter {counter.number} while it is closed"


class RecordedHall(Hall):
    """A hall that writes every event it applies to ``log``, as the engine stores them: a
    command refused after the day change has still applied (and so must store) the roll."""

    def __init__(self, config: HallConfig, log: list[Event]) -> None:
        super().__init__(config)
        for event in log:  # a restart: the state is the fold of the log
            super().apply(event)
        self.log = log

    def apply(self, event: Event) -> None:
        if event.seq > self.seq:
            self.log.append(event)
        super().apply(event)


@settings(max_examples=200, deadline=None)
@given(days=days, last_day=st.lists(day_step, min_size=1, max_size=25))
def test_no_cancelled_ticket_is_called_or_finished_across_midnight_and_restarts(
        days: list[tuple[list[tuple[object, ...]], tuple[str, int]]], last_day: list[tuple[object, ...]]) -> None:
    clock = FakeClock(HALL_MORNING)
    log: list[Event] = []
    hall = RecordedHall(replace(JINAN, policy=PolicyConfig()), log)
    for steps, (crossing_kind, seconds) in days:
        run_day(hall, clock, steps)
        local = clock.now().astimezone(hall.tz)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        if crossing_kind == "midnight":
            clock.advance((midnight - local).total_seconds() + seconds)
        else:  # stopped tonight, started again the next morning between midnight and 10:00
            clock.advance((midnight - local).total_seconds() + seconds)
            hall = RecordedHall(hall.config, log)
    run_day(hall, clock, last_day)
    check_log(log)


def run_day(hall: Hall, clock: FakeClock, steps: list[tuple[object, ...]]) -> None:
    for action in steps:
        if action[0] == "wait":
            clock.advance(float(action[1]))  # type: ignore[arg-type]
            continue
        try:
            if action[0] == "issue":
                priority = Priority.ELDERLY if action[2] else Priority.NONE
                hall.issue(str(action[1]), clock.now(), f"t{hall.seq}", priority)
            else:
                act(hall, action, clock.now())
        except errors.DomainError:
            pass
        clock.advance(1)


def test_first_call_after_midnight_is_refused_and_yesterday_is_not_called() -> None:
    """The example of issue 14: A001 waits, the counter stays open over midnight; the first
    call-next of the new day must not call yesterday's A001 at a counter the day closed."""
    clock = FakeClock(HALL_MORNING)
    log: list[Event] = []
    hall = RecordedHall(JINAN, log)
    hall.open_counter(1, "c1", clock.now())
    hall.issue("A", clock.now(), "t1")
    clock.advance(16 * 3600)  # 01:00 the next day in the hall
    with pytest.raises(errors.CounterClosed):
        hall.call_next(1, clock.now())
    assert [(e.type, e.extra.get("reason")) for e in log[2:]] == [("ticket.cancelled", "day_end"),
                                                                   ("counter.closed", "day_end")]
    hall.open_counter(1, "c1", clock.now())
    hall.issue("A", clock.now(), "t2")
    hall.call_next(1, clock.now())
    assert [e.type for e in log[4:]] == ["counter.opened", "ticket.issued", "ticket.called"]
    called = log[-1].ticket
    assert called is not None and called.number == "A001" and called.day == hall.local_day(clock.now())
    check_log(log)


@pytest.mark.parametrize("action", ["finish", "no_show", "recall", "start", "transfer"])
def test_a_ticket_held_over_midnight_is_not_acted_on_the_next_day(action: str) -> None:
    clock = FakeClock(HALL_MORNING)
    log: list[Event] = []
    hall = RecordedHall(JINAN, log)
    hall.open_counter(1, "c1", clock.now())
    hall.issue("A", clock.now(), "t1")
    hall.call_next(1, clock.now())
    clock.advance(16 * 3600)
    with pytest.raises(errors.CounterClosed):
        act(hall, (action, 1), clock.now())
    assert [e.type for e in log[3:]] == ["ticket.cancelled", "counter.closed"]
    check_log(log)
