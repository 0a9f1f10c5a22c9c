"""The wait a visitor is shown (docs/eta.md), one cause a test, each on a small hall of its own:
what the visitor would notice is the minutes on their ticket.

The hall: queue A with counters 1 and 2, queue V; counter 3 serves V first, then A. Services
take 300 s until the hall has measured its own. Tickets are issued before the counters open
and the counters open half an hour later, so that no arrivals are expected meanwhile (the
estimate counts on the last half hour's arrivals) unless a test wants some.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from server.domain.clock import FakeClock
from server.domain.estimate import wait_minutes
from server.domain.hall import Hall
from server.domain.model import Channel, CounterConfig, HallConfig, PolicyConfig, Priority, QueueConfig
from server.domain.views import public_ticket, snapshot

HALL = HallConfig(code="t", name="测试大厅", queues=(QueueConfig("A", "综合"), QueueConfig("V", "代办")),
                  counters=(CounterConfig(1, "1号窗口", ("A",)), CounterConfig(2, "2号窗口", ("A",)),
                            CounterConfig(3, "3号窗口", ("V", "A"))))
QUIET = 31 * 60  # longer than the arrival window: nobody is expected to arrive


@pytest.fixture
def hall() -> Hall:
    return Hall(HALL)


def issue(hall: Hall, clock: FakeClock, queue: str = "A", priority: Priority = Priority.NONE,
          channel: Channel = Channel.KIOSK) -> str:
    ticket = hall.issue(queue, clock.now(), f"tok-{hall.seq}", priority, channel)[-1].ticket
    assert ticket is not None
    clock.advance(1)
    return ticket.number


def minutes(hall: Hall, number: str) -> int:
    """The whole minutes a waiting ticket shows."""
    assert hall.day is not None
    eta = hall.ticket_eta_s(hall.ticket_by_number(number, hall.day))
    assert eta is not None
    return round(eta / 60)


def serve(hall: Hall, clock: FakeClock, counter: int, seconds: float, queue: str = "A") -> None:
    """One visitor served at ``counter`` in ``seconds`` (the hall measures its service times)."""
    issue(hall, clock, queue)
    hall.call_next(counter, clock.now())
    clock.advance(seconds)
    hall.finish(counter, clock.now())


def test_idle_counters_call_at_once_and_each_round_takes_a_service(hall: Hall, clock: FakeClock) -> None:
    numbers = [issue(hall, clock) for _ in range(5)]
    clock.advance(QUIET)
    hall.open_counter(1, "c1", clock.now())
    hall.open_counter(2, "c2", clock.now())
    # Two now, two after one service, the fifth after two.
    assert [minutes(hall, n) for n in numbers] == [0, 0, 5, 5, 10]


def test_a_paused_counter_counts_only_once_its_pause_is_expected_to_end(hall: Hall, clock: FakeClock) -> None:
    numbers = [issue(hall, clock) for _ in range(2)]
    clock.advance(QUIET)
    hall.open_counter(1, "c1", clock.now())
    hall.open_counter(2, "c2", clock.now())
    assert minutes(hall, numbers[1]) == 0  # both counters call at once
    hall.pause(2, "休息", clock.now())
    # Counter 2 is away (no pause finished yet: 15 minutes expected): the second waits for counter 1.
    assert minutes(hall, numbers[1]) == 5
    hall.resume(2, clock.now())
    clock.advance(1)
    hall.pause(2, "休息", clock.now())
    clock.advance(120)
    hall.resume(2, clock.now())  # the hall's pauses last two minutes …
    hall.pause(2, "休息", clock.now())
    assert minutes(hall, numbers[1]) == 2  # … so counter 2 is back for the second before counter 1 is free


def test_busy_counters_with_nobody_ahead_still_show_a_wait(hall: Hall, clock: FakeClock) -> None:
    hall.open_counter(1, "c1", clock.now())
    hall.open_counter(2, "c2", clock.now())
    for counter in (1, 2):
        serve(hall, clock, counter, 300)
    for counter in (1, 2):
        issue(hall, clock)
        hall.call_next(counter, clock.now())
    clock.advance(60)
    number = issue(hall, clock)
    assert hall.day is not None and hall.ahead(hall.ticket_by_number(number, hall.day)) == 0
    assert minutes(hall, number) == 4  # the first of two 5-minute services begun a minute ago ends


def test_a_counter_serving_the_queue_second_counts_for_what_its_first_queue_leaves(hall: Hall,
                                                                                    clock: FakeClock) -> None:
    numbers = [issue(hall, clock) for _ in range(4)]
    clock.advance(QUIET)
    hall.open_counter(1, "c1", clock.now())
    assert minutes(hall, numbers[3]) == 15  # counter 1 alone: the fourth after three services
    hall.open_counter(3, "c3", clock.now())
    assert minutes(hall, numbers[3]) == 5  # counter 3 has no V waiting: it calls A as well
    with_v = Hall(HALL)
    clock.advance(86400)
    for _ in range(2):
        issue(with_v, clock, "V")
    numbers = [issue(with_v, clock) for _ in range(4)]
    clock.advance(QUIET)
    with_v.open_counter(1, "c1", clock.now())
    with_v.open_counter(3, "c3", clock.now())
    assert minutes(with_v, numbers[3]) == 10  # counter 3 first serves the two in V


def test_visitors_expected_in_a_counters_first_queue_go_before_its_second(hall: Hall, clock: FakeClock) -> None:
    for _ in range(6):  # V has had a visitor every five minutes for half an hour
        issue(hall, clock, "V")
        clock.advance(299)
    numbers = [issue(hall, clock) for _ in range(4)]
    hall.open_counter(1, "c1", clock.now())
    hall.open_counter(3, "c3", clock.now())
    # Counter 3 serves the six in V and those still coming before anyone in A: counter 1 does all.
    assert minutes(hall, numbers[3]) == 15


def test_the_service_average_starts_again_each_day(hall: Hall, clock: FakeClock) -> None:
    hall.open_counter(1, "c1", clock.now())
    for _ in range(3):
        serve(hall, clock, 1, 600)
    clock.advance(86400)
    hall.open_counter(1, "c1", clock.now())
    issue(hall, clock)
    hall.call_next(1, clock.now())
    number = issue(hall, clock)
    assert minutes(hall, number) == 10  # before any service today: yesterday's ten minutes
    clock.advance(119)
    hall.finish(1, clock.now())  # today's first service: two minutes
    hall.call_next(1, clock.now())
    waiting = issue(hall, clock)
    assert minutes(hall, waiting) == 2  # today's average, not yesterday's


def test_the_priority_estimate_follows_the_calling_policy(clock: FakeClock) -> None:
    def third_priority(policy: PolicyConfig) -> int:
        hall = Hall(replace(HALL, policy=policy))
        numbers = []
        for _ in range(3):
            numbers.append(issue(hall, clock, priority=Priority.ELDERLY))
            issue(hall, clock)
        clock.advance(QUIET)
        hall.open_counter(1, "c1", clock.now())
        return minutes(hall, numbers[2])

    assert third_priority(PolicyConfig("strict")) == 10  # two priority visitors ahead, one counter
    # One walk-in after each priority call: a walk-in goes before each of the next two.
    assert third_priority(PolicyConfig("ratio", max_priority_streak=1)) == 20


def test_a_walk_in_counts_the_priority_and_booked_visitors_expected_to_overtake_it(clock: FakeClock) -> None:
    def third_walk_in(overtaking: list[tuple[Priority, Channel]]) -> int:
        hall = Hall(HALL)
        hall.open_counter(1, "c1", clock.now())
        for priority, channel in overtaking:  # arrived over the last half hour, served at once
            issue(hall, clock, priority=priority, channel=channel)
            hall.call_next(1, clock.now())
            clock.advance(299)
            hall.finish(1, clock.now())
        numbers = [issue(hall, clock) for _ in range(4)]
        hall.call_next(1, clock.now())
        return minutes(hall, numbers[3])

    walk_ins = [(Priority.NONE, Channel.KIOSK)] * 6
    assert third_walk_in(walk_ins) == 15  # three ahead of it after the one being served
    mixed = [(Priority.ELDERLY, Channel.KIOSK), (Priority.NONE, Channel.APPOINTMENT)] * 3
    assert third_walk_in(mixed) > 20  # a priority or booked visitor every five minutes goes first


def test_a_walk_in_counts_the_booked_visitors_due_before_it_is_called(hall: Hall, clock: FakeClock) -> None:
    numbers = [issue(hall, clock) for _ in range(4)]
    clock.advance(QUIET)
    hall.open_counter(1, "c1", clock.now())
    assert minutes(hall, numbers[3]) == 15  # one counter, five minutes each, nobody expected
    now = clock.now()
    day = hall.local_day(now)

    def halfway_in(minutes: int) -> tuple[datetime, datetime]:  # a 30-minute slot, halfway through then
        middle = now + timedelta(minutes=minutes)
        return middle - timedelta(minutes=15), middle + timedelta(minutes=15)

    hall.expect_bookings(day, {"A": [(*halfway_in(4), "B1"), (*halfway_in(8), "B2"),
                                     (*halfway_in(-16), "GONE")],  # its slot ended a minute ago
                               "V": [(*halfway_in(0), "V1")]})
    # Counter 1 calls the first walk-in now, then the booked visitor expected at 4 minutes, the
    # second walk-in, the one expected at 8, and the rest: the fourth walk-in at 25 minutes, not 15.
    assert minutes(hall, numbers[3]) == 25
    clock.advance(240)
    ticket = hall.issue("A", clock.now(), "tok-b1", Priority.NONE, Channel.APPOINTMENT, appointment_code="B1")
    assert ticket[-1].ticket is not None and ticket[-1].ticket.channel == Channel.APPOINTMENT
    # B1 came (nobody was called meanwhile): it goes first, then B2 who is due, then the walk-ins —
    # B1 is waiting now, not expected as well.
    assert [minutes(hall, n) for n in numbers] == [10, 15, 20, 25]
    hall.expect_bookings(day - timedelta(days=1), {"A": []})  # another day's: the learnt rate again
    assert [minutes(hall, n) for n in numbers] == [5, 10, 15, 20]


def test_a_check_in_shows_the_same_whoever_read_the_estimates_before(clock: FakeClock) -> None:
    def waits(clock: FakeClock, read_before: bool) -> list[int]:
        hall = Hall(HALL)
        hall.open_counter(1, "c1", clock.now())
        numbers = [issue(hall, clock) for _ in range(3)]
        booked = [issue(hall, clock, channel=Channel.APPOINTMENT) for _ in range(2)]  # checked in already
        now = clock.now()
        hall.expect_bookings(hall.local_day(now), {"A": [(now - timedelta(minutes=13),
                                                          now + timedelta(minutes=17), "B1")]})
        if read_before:  # a projection made now: it calls the first booked visitor, and expects B1
            minutes(hall, booked[0])
        clock.advance(5)
        hall.issue("A", clock.now(), "tok-b1", Priority.NONE, Channel.APPOINTMENT, appointment_code="B1")
        return [minutes(hall, n) for n in numbers + booked]

    assert waits(FakeClock(clock.now()), False) == waits(FakeClock(clock.now()), True)


def test_a_counters_usual_break_is_foreseen(hall: Hall, clock: FakeClock) -> None:
    clock.advance(2.5 * 3600 - 1)  # 11:30
    hall.open_counter(1, "c1", clock.now())
    hall.open_counter(2, "c2", clock.now())
    serve(hall, clock, 1, 300)
    hall.pause(2, "午休", clock.now())  # counter 2 goes to lunch 11:30–12:30 …
    clock.advance(3600)
    hall.resume(2, clock.now())
    clock.advance(86400 - 3600 - 1800)  # … and the next day it is 11:00
    numbers = [issue(hall, clock) for _ in range(6)]
    clock.advance(QUIET)  # 11:30
    hall.open_counter(1, "c1", clock.now())
    hall.open_counter(2, "c2", clock.now())
    # Both call one now; then counter 2 is at lunch until 12:30 and counter 1 calls every five minutes.
    assert [minutes(hall, n) for n in numbers] == [0, 0, 5, 10, 15, 20]


def test_a_long_queue_is_estimated_at_the_rate_of_the_first_calls(hall: Hall, clock: FakeClock) -> None:
    numbers = [issue(hall, clock) for _ in range(150)]
    clock.advance(QUIET)
    hall.open_counter(1, "c1", clock.now())
    hall.open_counter(2, "c2", clock.now())
    assert minutes(hall, numbers[149]) == 74 * 5  # two at a time, five minutes each
    numbers += [issue(hall, clock) for _ in range(50)]
    assert minutes(hall, numbers[199]) == 8 * 60  # past eight hours: "eight hours" (docs/eta.md)


def _burst(clock: FakeClock, ask: str, queued: int) -> list[int | None]:
    """A morning: counters 1 and 3 serving, ``queued`` waiting in A, then a burst of numbers in A
    and V, walk-ins and priority, a second apart; ``ask`` which ticket's estimate is read after
    each number (none, the first of the burst or the newest). Returns the burst's estimates and
    a newcomer's in each queue."""
    hall = Hall(HALL)
    for counter in (1, 3):
        hall.open_counter(counter, f"c{counter}", clock.now())
    serve(hall, clock, 1, 240)
    issue(hall, clock)
    hall.call_next(1, clock.now())  # counter 1 busy, counter 3 idle
    clock.advance(30)
    for _ in range(queued):
        issue(hall, clock)
    clock.advance(30)
    numbers: list[str] = []
    for i in range(12):
        numbers.append(issue(hall, clock, "V" if i in (3, 7) else "A",
                             Priority.ELDERLY if i % 5 == 2 else Priority.NONE))
        clock.advance(1)
        if ask != "none" and i >= 4:
            number = numbers[0] if ask == "first" else numbers[-1]
            assert hall.day is not None
            hall.ticket_eta_s(hall.ticket_by_number(number, hall.day))
    assert hall.day is not None
    newcomers = [row["eta_s"] for row in snapshot(hall, clock.now())["queues"]]
    return [hall.ticket_eta_s(hall.ticket_by_number(n, hall.day)) for n in numbers] + newcomers


def test_numbers_taken_in_a_burst_show_the_same_whoever_asked_before(clock: FakeClock) -> None:
    """A burst of numbers carries one projection on (docs/eta.md, "Issuing"): what a ticket
    shows does not depend on which estimates were read meanwhile."""
    for queued in (0, 50):  # 50: the burst is past the calls projected one by one (MAX_STEPS)
        shown = [_burst(FakeClock(clock.now()), ask, queued) for ask in ("none", "first", "newest")]
        assert shown[0] == shown[1] == shown[2]
        walk_ins = [eta or 0 for i, eta in enumerate(shown[0][:12]) if i not in (3, 7) and i % 5 != 2]
        assert walk_ins == sorted(walk_ins) and len(set(walk_ins)) == len(walk_ins)  # each later than the last


def test_a_number_taken_well_after_the_last_event_is_projected_from_its_own_moment(
        hall: Hall, clock: FakeClock) -> None:
    hall.open_counter(1, "c1", clock.now())
    clock.advance(10)
    soon = issue(hall, clock)  # within seconds of the opening: projected from it, 10 s ago
    assert minutes(hall, soon) == 0
    hall.call_next(1, clock.now())
    clock.advance(100)
    hall.finish(1, clock.now())
    clock.advance(100)
    later = issue(hall, clock)  # 100 s after the 办结: counter 1 is idle now and calls at once
    assert hall.day is not None
    assert hall.ticket_eta_s(hall.ticket_by_number(later, hall.day)) == 0


def test_a_queue_no_counter_serves_counts_as_if_one_did(clock: FakeClock) -> None:
    hall = Hall(replace(HALL, queues=(*HALL.queues, QueueConfig("W", "新设"))))
    numbers = [issue(hall, clock, "W") for _ in range(3)]
    assert [minutes(hall, n) for n in numbers] == [0, 5, 10]


def test_snapshot_shows_a_newcomers_wait_and_its_range(hall: Hall, clock: FakeClock) -> None:
    for _ in range(3):
        issue(hall, clock)
    clock.advance(QUIET)
    hall.open_counter(1, "c1", clock.now())
    row = snapshot(hall, clock.now())["queues"][0]
    assert row["waiting"] == 3 and row["eta_s"] == 900
    low, high = row["eta_range_s"]
    assert low < 900 < high
    assert wait_minutes(row["eta_s"], row["eta_range_s"]) == f"{round(low / 60)}–{round(high / 60)}"


def test_the_ticket_object_carries_the_range_and_a_called_ticket_none(hall: Hall, clock: FakeClock) -> None:
    first, second = issue(hall, clock), issue(hall, clock)
    clock.advance(QUIET)
    hall.open_counter(1, "c1", clock.now())
    hall.call_next(1, clock.now())
    assert hall.day is not None
    called = public_ticket(hall, hall.ticket_by_number(first, hall.day))
    assert called["eta_s"] is None and called["eta_range_s"] is None
    waiting = public_ticket(hall, hall.ticket_by_number(second, hall.day))
    assert waiting["eta_s"] == 300
    assert waiting["eta_range_s"][0] <= 300 <= waiting["eta_range_s"][1]


@pytest.mark.parametrize(("eta_s", "eta_range_s", "shown"), [
    (300, [250, 380], "5"),  # narrow (4–6): one number
    (750, [600, 900], "10–15"),  # wide: the range
    (20, [0, 60], "1"),  # under a minute: at least one
    (3599, None, "60"),  # no range: the estimate
])
def test_visitors_see_one_number_when_the_range_is_narrow_and_the_range_when_wide(
        eta_s: int, eta_range_s: list[int] | None, shown: str) -> None:
    assert wait_minutes(eta_s, eta_range_s) == shown
