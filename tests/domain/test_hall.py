"""The hall engine's rules, one behaviour a test, on a fake clock (no I/O)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.demo import JINAN
from server.domain import errors
from server.domain.clock import FakeClock
from server.domain.hall import Hall
from server.domain.model import Channel, Priority, TicketStatus
from server.domain.views import snapshot


@pytest.fixture
def hall() -> Hall:
    return Hall(JINAN)


def issue(hall: Hall, clock: FakeClock, queue: str = "A", priority: Priority = Priority.NONE) -> str:
    events = hall.issue(queue, clock.now(), f"tok-{hall.seq}", priority)
    ticket = events[-1].ticket
    assert ticket is not None
    clock.advance(1)
    return ticket.number


def opened(hall: Hall, clock: FakeClock, *numbers: int) -> Hall:
    for n in numbers:
        hall.open_counter(n, f"clerk{n:02d}", clock.now())
    return hall


def call_next(hall: Hall, clock: FakeClock, counter: int) -> str | None:
    events = hall.call_next(counter, clock.now())
    called = [e.ticket for e in events if e.type == "ticket.called"]
    return called[0].number if called and called[0] else None


def test_numbers_count_per_queue_from_001(hall: Hall, clock: FakeClock) -> None:
    assert [issue(hall, clock, q) for q in "AABAV"] == ["A001", "A002", "B001", "A003", "V001"]


def test_a_fourth_digit_after_999_never_a_wrap(hall: Hall, clock: FakeClock) -> None:
    for _ in range(999):
        hall.issue("A", clock.now(), f"t{hall.seq}")
    assert issue(hall, clock) == "A1000"


def test_a_new_hall_day_restarts_numbers_closes_counters_and_cancels_leftovers(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    clock.advance(24 * 3600)
    events = hall.issue("A", clock.now(), "next-day")
    assert [e.type for e in events] == ["ticket.cancelled", "counter.closed", "ticket.issued"]
    assert events[-1].ticket is not None and events[-1].ticket.number == "A001"
    assert hall.public_status(hall.counter(1)) == "closed"


def test_seq_counts_up_by_one_per_event(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    call_next(hall, clock, 1)
    hall.finish(1, clock.now())
    assert hall.seq == 4


def test_a_closed_counter_refuses_calls(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    with pytest.raises(errors.CounterClosed) as exc:
        hall.call_next(1, clock.now())
    assert "未开放" in exc.value.zh


def test_a_second_clerk_cannot_open_a_held_counter(hall: Hall, clock: FakeClock) -> None:
    hall.open_counter(1, "clerk01", clock.now())
    assert hall.open_counter(1, "clerk01", clock.now()) == []  # the holder again: nothing happens
    with pytest.raises(errors.CounterOccupied, match="held by clerk01"):
        hall.open_counter(1, "clerk02", clock.now())


def test_a_ticket_goes_called_serving_done(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    number = issue(hall, clock)
    assert call_next(hall, clock, 1) == number
    assert hall.public_status(hall.counter(1)) == "calling"
    hall.start(1, clock.now())
    assert hall.public_status(hall.counter(1)) == "serving"
    with pytest.raises(errors.TicketNotCalled):
        hall.start(1, clock.now())
    done = hall.finish(1, clock.now())[-1].ticket
    assert done is not None and done.status == TicketStatus.DONE
    assert hall.public_status(hall.counter(1)) == "idle"
    with pytest.raises(errors.NoCurrentTicket):
        hall.finish(1, clock.now())


def test_finish_and_no_show_apply_to_a_called_ticket_too(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    issue(hall, clock)
    call_next(hall, clock, 1)
    assert hall.no_show(1, clock.now())[-1].type == "ticket.no_show"
    call_next(hall, clock, 1)
    assert hall.finish(1, clock.now())[-1].type == "ticket.done"


def test_call_next_refuses_while_a_ticket_is_still_current(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    issue(hall, clock)
    call_next(hall, clock, 1)
    with pytest.raises(errors.CounterBusy, match="A001"):
        hall.call_next(1, clock.now())


def test_recall_counts(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    call_next(hall, clock, 1)
    hall.recall(1, clock.now())
    ticket = hall.recall(1, clock.now())[-1].ticket
    assert ticket is not None and ticket.recalls == 2


def test_priority_groups_before_walk_ins(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    elder = issue(hall, clock, priority=Priority.ELDERLY)
    assert call_next(hall, clock, 1) == elder


def test_after_k_priority_calls_a_walk_in_who_waited_t_is_called(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    walk_in = issue(hall, clock)
    priority = [issue(hall, clock, priority=Priority.PREGNANT) for _ in range(5)]
    clock.advance(JINAN.policy.walk_in_max_wait_s)
    calls = []
    for _ in range(4):
        calls.append(call_next(hall, clock, 1))
        hall.finish(1, clock.now())
    assert calls == [*priority[:3], walk_in]  # K = 3 by default


def test_k_priority_calls_alone_do_not_send_a_fresh_walk_in_ahead(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    walk_in = issue(hall, clock)
    priority = [issue(hall, clock, priority=Priority.PREGNANT) for _ in range(5)]
    calls = []
    for _ in range(6):
        calls.append(call_next(hall, clock, 1))
        hall.finish(1, clock.now())
    assert calls == [*priority, walk_in]  # it has not waited T: the special groups first


def test_an_overdue_walk_in_does_not_overtake_priority_before_k_calls(hall: Hall, clock: FakeClock) -> None:
    """The busy hall of issue 14: every walk-in at the head has waited T, yet an elderly visitor
    who arrives after them is called first (seed art. 13), until K priority calls in a row."""
    opened(hall, clock, 1)
    walk_ins = [issue(hall, clock) for _ in range(3)]
    clock.advance(JINAN.policy.walk_in_max_wait_s)
    elder = issue(hall, clock, priority=Priority.ELDERLY)
    assert call_next(hall, clock, 1) == elder
    hall.finish(1, clock.now())
    assert call_next(hall, clock, 1) == walk_ins[0]


def test_a_counter_helps_its_second_queue_when_its_own_is_empty(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 12)  # 12 serves V, then A
    a = issue(hall, clock, "A")
    v = issue(hall, clock, "V")
    assert call_next(hall, clock, 12) == v
    hall.finish(12, clock.now())
    assert call_next(hall, clock, 12) == a


def test_transfer_to_a_queue_keeps_the_place_by_arrival(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1, 4)
    early = issue(hall, clock, "A")
    issue(hall, clock, "B")
    call_next(hall, clock, 1)
    moved = hall.transfer(1, clock.now(), queue="B", reason="业务不符")[-1]
    assert moved.type == "ticket.transferred" and moved.extra["reason"] == "业务不符"
    assert call_next(hall, clock, 4) == early  # it arrived before B001


def test_transfer_to_a_named_counter_is_called_there_first(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1, 2)
    first = issue(hall, clock, "A")
    second = issue(hall, clock, "A")
    call_next(hall, clock, 1)
    hall.transfer(1, clock.now(), to_counter=2)
    assert hall.ticket_by_number(first, hall.day).target_counter == 2  # type: ignore[arg-type]
    assert call_next(hall, clock, 1) == second
    assert call_next(hall, clock, 2) == first


def test_special_call_names_the_counter_that_already_called(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1, 3)
    issue(hall, clock)
    target = issue(hall, clock)
    ticket = hall.call_number(3, target, clock.now())[-1].ticket
    assert ticket is not None and ticket.called_out_of_turn
    with pytest.raises(errors.TicketNotWaiting) as exc:
        hall.call_number(1, target, clock.now())
    assert exc.value.zh == "A002 已被 3号窗口呼叫"
    with pytest.raises(errors.UnknownTicket):
        hall.call_number(1, "A999", clock.now())


def test_a_returning_no_show_rejoins_n_places_from_the_front(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    gone = issue(hall, clock)
    others = [issue(hall, clock) for _ in range(4)]
    call_next(hall, clock, 1)
    hall.no_show(1, clock.now())
    with pytest.raises(errors.NotNoShow):
        hall.reinstate(others[0], clock.now())
    hall.reinstate(gone, clock.now())
    order = [t.number for t in hall.waiting_in("A")]
    assert order == [others[0], others[1], gone, others[2], others[3]]  # 2 places by default


def test_pause_needs_a_free_counter_and_refuses_calls_until_resumed(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    hall.pause(1, "休息", clock.now())
    assert hall.public_status(hall.counter(1)) == "paused"
    with pytest.raises(errors.CounterPaused):
        hall.call_next(1, clock.now())
    hall.resume(1, clock.now())
    assert call_next(hall, clock, 1) == "A001"
    with pytest.raises(errors.CounterBusy):
        hall.pause(1, "休息", clock.now())


def test_eta_uses_people_ahead_open_counters_and_the_rolling_service_time(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1, 2)
    for _ in range(2):  # two services of 240 s at counter 1
        issue(hall, clock)
        call_next(hall, clock, 1)
        clock.advance(240)
        hall.finish(1, clock.now())
    numbers = [issue(hall, clock) for _ in range(5)]
    last = hall.ticket_by_number(numbers[-1], hall.day)  # type: ignore[arg-type]
    assert hall.ahead(last) == 4
    # Four ahead, two counters, 240 s each: 480 s from the last 办结, which the numbers taken
    # within seconds of it are projected from (docs/eta.md, "Issuing"); the fifth came 4 s later.
    assert hall.ticket_eta_s(last) == 4 * 240 / 2 - 4
    queue = snapshot(hall, clock.now())["queues"][0]
    # A newcomer: both idle counters call two and two at 240 s; at 480 s one takes the fifth, the other
    # them (from the 办结, as the fifth).
    assert queue["waiting"] == 5 and queue["eta_s"] == 480 - 4


def test_cancel_only_while_waiting(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock)
    ticket = hall.ticket_by_number("A001", hall.day)  # type: ignore[arg-type]
    call_next(hall, clock, 1)
    with pytest.raises(errors.TicketNotWaiting):
        hall.cancel(hall.tickets[ticket.id], clock.now())


def test_appointment_tickets_go_before_priority(hall: Hall, clock: FakeClock) -> None:
    opened(hall, clock, 1)
    issue(hall, clock, priority=Priority.ELDERLY)
    appointment = hall.issue("A", clock.now(), "appt", channel=Channel.APPOINTMENT)[-1].ticket
    assert appointment is not None
    assert call_next(hall, clock, 1) == appointment.number


def test_replaying_the_events_rebuilds_the_same_state(hall: Hall, clock: FakeClock) -> None:
    log = []
    log += hall.open_counter(1, "clerk01", clock.now())
    for _ in range(3):
        log += hall.issue("A", clock.now(), f"t{hall.seq}")
        clock.advance(timedelta(seconds=30).total_seconds())
    log += hall.call_next(1, clock.now())
    log += hall.transfer(1, clock.now(), queue="B")
    replica = Hall(JINAN)
    for event in log:
        replica.apply(event)
    assert snapshot(replica, clock.now()) == snapshot(hall, clock.now())


def test_waiting_appointments_are_the_booked_visitors_still_waiting(hall: Hall, clock: FakeClock) -> None:
    """What the "nearly your turn" message looks at, without a scan of the day's tickets."""
    opened(hall, clock, 1, 2)
    issue(hall, clock)
    booked = [hall.issue("A", clock.now(), f"b{n}", channel=Channel.APPOINTMENT, appointment_code=f"C{n}")[-1].ticket
              for n in range(3)]
    assert all(b is not None for b in booked)
    call_next(hall, clock, 1)  # the first booked visitor is called
    hall.transfer(1, clock.now(), to_counter=2)  # … and sent on to counter 2 by name: waiting again, targeted
    waiting = {t.appointment_code for t in hall.waiting_appointments()}
    assert waiting == {"C0", "C1", "C2"}
    call_next(hall, clock, 2)
    assert {t.appointment_code for t in hall.waiting_appointments()} == {"C1", "C2"}
