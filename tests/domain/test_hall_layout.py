"""Laying a hall out while it runs: queues (themes) and counters created, renamed, changed and
retired as `hall.changed` events, with the CONTRACT's refusals, replayed alike by another process."""

from __future__ import annotations

import pytest

from server.domain import errors
from server.domain.clock import FakeClock
from server.domain.hall import Hall
from server.domain.model import Event, HallConfig, TicketStatus
from server.domain.views import hall_info, public_event


@pytest.fixture
def empty() -> Hall:
    return Hall(HallConfig("xinhall", "新大厅"))


def laid_out(hall: Hall, clock: FakeClock) -> list[Event]:
    """Two themes and three counters, as an administrator sets a new hall up."""
    return [*hall.put_queue("A", "社会民生类", clock.now()), *hall.put_queue("B", "注册登记类", clock.now()),
            *hall.put_counter(1, None, ("A",), clock.now()), *hall.put_counter(2, "二号窗口", ("B", "A"), clock.now()),
            *hall.put_counter(3, None, ("B",), clock.now())]


def test_an_empty_hall_is_set_up_and_serves(empty: Hall, clock: FakeClock) -> None:
    events = laid_out(empty, clock)
    assert {e.type for e in events} == {"hall.changed"} and [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert hall_info(empty)["queues"] == [{"code": "A", "name": "社会民生类"}, {"code": "B", "name": "注册登记类"}]
    assert [(c["number"], c["name"], c["queues"]) for c in hall_info(empty)["counters"]] == [
        (1, "1号窗口", ["A"]), (2, "二号窗口", ["B", "A"]), (3, "3号窗口", ["B"])]
    assert all(c.mode.value == "closed" for c in empty.counters.values())
    ticket = empty.issue("B", clock.now(), "tok-1")[-1].ticket
    empty.open_counter(2, "clerk02", clock.now())
    called = [e.ticket for e in empty.call_next(2, clock.now()) if e.type == "ticket.called"]
    assert ticket is not None and called and called[0] is not None and called[0].number == ticket.number == "B001"


def test_the_public_event_names_the_hall_and_carries_its_layout(empty: Hall, clock: FakeClock) -> None:
    event = empty.put_queue("A", "社会民生类", clock.now())[-1]
    shown = public_event(empty, event)
    assert shown["type"] == "hall.changed" and shown["hall"] == "xinhall" and shown["seq"] == 1
    assert shown["queues"] == [{"code": "A", "name": "社会民生类"}]


def test_renaming_keeps_the_place_and_the_tickets(empty: Hall, clock: FakeClock) -> None:
    laid_out(empty, clock)
    empty.issue("A", clock.now(), "tok-1")
    empty.put_queue("A", "民生事务", clock.now())
    assert [q.code for q in empty.config.queues] == ["A", "B"] and empty.config.queues[0].name == "民生事务"
    assert empty.waiting_count("A") == 1
    assert empty.put_queue("A", "民生事务", clock.now()) == []  # the same name again: nothing happens


def test_a_queue_is_retired_only_when_nobody_waits_and_no_counter_serves_it(empty: Hall, clock: FakeClock) -> None:
    laid_out(empty, clock)
    ticket = empty.issue("B", clock.now(), "tok-1")[-1].ticket
    assert ticket is not None
    with pytest.raises(errors.Conflict) as refused:
        empty.retire_queue("B", clock.now())
    assert "还有 1 人等候" in refused.value.zh and refused.value.code == "queue_in_use"
    empty.cancel(ticket, clock.now())
    empty.put_counter(2, None, ("A",), clock.now())
    with pytest.raises(errors.Conflict) as refused:
        empty.retire_queue("B", clock.now())
    assert refused.value.zh.startswith("3号窗口仍办理 B 类业务")
    with pytest.raises(errors.UnknownQueue):
        empty.retire_queue("Q", clock.now())


def test_a_counter_names_only_queues_of_the_hall(empty: Hall, clock: FakeClock) -> None:
    laid_out(empty, clock)
    with pytest.raises(errors.InvalidInput) as refused:
        empty.put_counter(4, None, ("A", "Z"), clock.now())
    assert refused.value.field == "queues" and "Z" in refused.value.zh
    with pytest.raises(errors.InvalidInput):
        empty.put_counter(4, None, (), clock.now())
    assert 4 not in empty.counters


def test_an_open_counter_is_not_retired_and_a_closed_one_is(empty: Hall, clock: FakeClock) -> None:
    laid_out(empty, clock)
    empty.open_counter(3, "clerk03", clock.now())
    with pytest.raises(errors.Conflict) as refused:
        empty.retire_counter(3, clock.now())
    assert "正在使用" in refused.value.zh and refused.value.code == "counter_open"
    empty.close_counter(3, clock.now())
    empty.retire_counter(3, clock.now())
    assert 3 not in empty.counters and [c.number for c in empty.config.counters] == [1, 2]


def test_an_open_counter_calls_by_its_new_queues(empty: Hall, clock: FakeClock) -> None:
    laid_out(empty, clock)
    empty.issue("B", clock.now(), "tok-1")
    empty.open_counter(1, "clerk01", clock.now())
    assert not [e for e in empty.call_next(1, clock.now()) if e.type == "ticket.called"]
    empty.put_counter(1, None, ("A", "B"), clock.now())
    assert empty.counters[1].clerk == "clerk01"  # still held
    called = [e.ticket for e in empty.call_next(1, clock.now()) if e.type == "ticket.called"]
    assert called and called[0] is not None and called[0].status == TicketStatus.CALLED


def test_another_process_replaying_the_events_has_the_same_hall(empty: Hall, clock: FakeClock) -> None:
    events = laid_out(empty, clock)
    events += empty.issue("A", clock.now(), "tok-1")
    events += empty.retire_counter(3, clock.now())
    other = Hall(HallConfig("xinhall", "新大厅"))
    for event in events:
        other.apply(event)
    assert hall_info(other) == hall_info(empty) and other.waiting_count("A") == 1
    assert set(other.counters) == {1, 2}


def test_a_counter_that_tickets_were_sent_to_is_not_retired(empty: Hall, clock: FakeClock) -> None:
    laid_out(empty, clock)
    empty.issue("A", clock.now(), "tok-1")
    empty.open_counter(1, "clerk01", clock.now())
    empty.call_next(1, clock.now())
    empty.transfer(1, clock.now(), to_counter=3)
    with pytest.raises(errors.Conflict) as refused:
        empty.retire_counter(3, clock.now())
    assert refused.value.code == "counter_in_use" and "转给3号窗口" in refused.value.zh
