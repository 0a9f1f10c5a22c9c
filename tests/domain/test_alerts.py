"""The manager's alerts (server/domain/alerts.py): each kind, at its boundaries; and the hall's
manager commands (moving waiting tickets, a counter's queue list)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.demo import JINAN
from server.domain import alerts as rules
from server.domain import errors
from server.domain.clock import FakeClock
from server.domain.hall import Hall
from server.domain.model import Priority
from server.hub.feeds import PauseLedger, dashboard_stats

DEFAULTS = rules.AlertSettings()


@pytest.fixture
def hall() -> Hall:
    return Hall(JINAN)


def issue(hall: Hall, clock: FakeClock, queue: str = "A", priority: Priority = Priority.NONE) -> str:
    ticket = hall.issue(queue, clock.now(), f"tok-{hall.seq}", priority)[-1].ticket
    assert ticket is not None
    return ticket.number


def kinds(alerts: list[rules.Alert]) -> list[str]:
    return [a.kind for a in alerts]


def test_a_wait_alerts_only_once_past_the_target(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    start = clock.now()
    assert rules.compute(hall, start + timedelta(minutes=20), DEFAULTS) == []
    alerts = rules.compute(hall, start + timedelta(minutes=20, seconds=1), DEFAULTS)
    assert [(a.id, a.kind, a.severity) for a in alerts] == [("long_wait:jinan-20261125-A001", "long_wait", "warning")]
    assert "A001" in alerts[0].action and "A 类窗口" in alerts[0].action
    assert alerts[0].since == start + timedelta(minutes=20)
    assert rules.compute(hall, start + timedelta(minutes=41), DEFAULTS)[0].severity == "critical"


def test_a_queue_can_have_its_own_wait_target(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock, "A")
    issue(hall, clock, "B")
    settings = rules.AlertSettings.from_json({"wait_target_min": {"A": 15}})
    later = clock.now() + timedelta(minutes=16)
    assert [a.id for a in rules.compute(hall, later, settings)] == ["long_wait:jinan-20261125-A001"]
    assert settings.wait_target_s("B") == 20 * 60


def test_crowded_when_more_than_n_wait_per_working_counter(hall: Hall, clock: FakeClock) -> None:
    hall.open_counter(1, "clerk01", clock.now())
    for _ in range(10):
        issue(hall, clock)
    assert "crowded" not in kinds(rules.compute(hall, clock.now(), DEFAULTS))  # 10 for 1 counter: at the limit
    issue(hall, clock)
    crowded = [a for a in rules.compute(hall, clock.now(), DEFAULTS) if a.kind == "crowded"]
    assert [(a.id, a.severity) for a in crowded] == [("crowded:A", "warning")]
    assert "增开" in crowded[0].action
    hall.open_counter(2, "clerk02", clock.now())
    assert "crowded" not in kinds(rules.compute(hall, clock.now(), DEFAULTS))
    hall.pause(2, "休息", clock.now())  # a paused counter serves nobody
    assert "crowded" in kinds(rules.compute(hall, clock.now(), DEFAULTS))


def test_crowded_is_critical_with_no_counter_open(hall: Hall, clock: FakeClock) -> None:
    for _ in range(11):
        issue(hall, clock, "B")
    [alert] = [a for a in rules.compute(hall, clock.now(), DEFAULTS) if a.kind == "crowded"]
    assert alert.id == "crowded:B" and alert.severity == "critical"


def test_a_pause_alerts_after_fifteen_minutes(hall: Hall, clock: FakeClock) -> None:
    hall.open_counter(3, "clerk03", clock.now())
    hall.pause(3, "业务咨询", clock.now())
    start = clock.now()
    assert rules.compute(hall, start + timedelta(minutes=15), DEFAULTS) == []
    [alert] = rules.compute(hall, start + timedelta(minutes=15, seconds=1), DEFAULTS)
    assert (alert.id, alert.kind, alert.severity) == ("long_pause:3", "long_pause", "warning")
    assert "业务咨询" in alert.title
    assert rules.compute(hall, start + timedelta(minutes=16), rules.AlertSettings(pause_max_min=30)) == []


def test_devices_offline_out_of_paper_or_open(hall: Hall, clock: FakeClock) -> None:
    at = clock.now()
    rows = [{"agent": "kiosk-1", "device": "printer", "state": "paper_out", "detail": "", "updated_at": at},
            {"agent": "kiosk-1", "device": "idcard", "state": "ok", "detail": "", "updated_at": at},
            {"agent": "kiosk-2", "device": "printer", "state": "cover_open", "detail": "", "updated_at": at},
            {"agent": "kiosk-2", "device": "agent", "state": "ok", "detail": "", "updated_at": at},
            {"agent": "kiosk-3", "device": "agent", "state": "offline", "detail": "", "updated_at": at},
            {"agent": "kiosk-3", "device": "printer", "state": "offline", "detail": "", "updated_at": at},
            {"agent": "kiosk-4", "device": "printer", "state": "paper_low", "detail": "", "updated_at": at}]
    alerts = rules.compute(hall, at, DEFAULTS, devices=rows)
    assert sorted((a.id, a.severity) for a in alerts) == [
        ("device:kiosk-1:printer", "critical"), ("device:kiosk-2:printer", "warning"),
        ("device:kiosk-3:agent", "critical")]
    assert all(a.action for a in alerts)


def test_cases_near_or_past_due(hall: Hall, clock: FakeClock) -> None:
    case = {"receipt_no": "JA20261125B0001", "item": {"code": "B02", "name": "个体户登记", "department": "市场监管局"},
            "due_at": "2026-11-25"}
    alerts = rules.compute(hall, clock.now(), DEFAULTS, due={"soon": [case], "overdue": []})
    assert [(a.id, a.severity) for a in alerts] == [("case_due:JA20261125B0001", "warning")]
    alerts = rules.compute(hall, clock.now(), DEFAULTS, due={"soon": [], "overdue": [case]})
    assert [(a.id, a.severity) for a in alerts] == [("case_due:JA20261125B0001", "critical")]
    assert "超期" in alerts[0].title and "市场监管局" in alerts[0].action


def test_bad_ratings_of_today_only(hall: Hall, clock: FakeClock) -> None:
    now = clock.now()
    ratings = [{"id": 1, "level": 2, "counter": 4, "ticket_id": "jinan-20261125-B003", "reasons": ["等候时间长"],
                "at": now},
               {"id": 2, "level": 1, "counter": 5, "ticket_id": "jinan-20261125-B004", "reasons": [], "at": now},
               {"id": 3, "level": 3, "counter": 5, "ticket_id": "jinan-20261125-B005", "reasons": [], "at": now},
               {"id": 4, "level": 1, "counter": 5, "ticket_id": "jinan-20261124-B001", "reasons": [],
                "at": now - timedelta(days=1)}]
    alerts = rules.compute(hall, now, DEFAULTS, ratings=ratings)
    assert sorted((a.id, a.severity) for a in alerts) == [("bad_rating:1", "warning"), ("bad_rating:2", "critical")]
    assert any("不满意" in a.title and "等候时间长" in a.title for a in alerts)


def test_overdue_followups(hall: Hall, clock: FakeClock) -> None:
    alerts = rules.compute(hall, clock.now(), DEFAULTS,
                           followups=[{"id": 7, "due": "2026-11-20", "assignee": "王科长"}])
    assert [(a.id, a.kind) for a in alerts] == [("followup_overdue:7", "followup_overdue")]
    assert "王科长" in alerts[0].action


def test_acks_are_folded_in_and_json_is_shaped(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    later = clock.now() + timedelta(minutes=21)
    alerts = rules.with_acks(rules.compute(hall, later, DEFAULTS),
                             {"long_wait:jinan-20261125-A001": {"by": "manager", "at": later}})
    body = rules.alert_json(alerts[0], hall)
    assert set(body) >= {"id", "kind", "severity", "title", "action", "since", "acked"}
    assert body["acked"] == {"by": "manager", "at": "2026-11-25T09:21:00+08:00"}
    assert body["since"] == "2026-11-25T09:20:00+08:00"


def test_settings_round_trip() -> None:
    settings = rules.AlertSettings.from_json({"wait_target_min": {"A": 15}, "crowded_per_counter": 6})
    assert settings.to_json() == {"wait_target_min": {"default": 20, "A": 15}, "crowded_per_counter": 6,
                                  "pause_max_min": 15}
    assert rules.AlertSettings.from_json(None).to_json()["wait_target_min"] == {"default": 20}


# ------------------------------------------------------------------ manager commands
def test_moving_waiting_tickets_keeps_their_order(hall: Hall, clock: FakeClock) -> None:
    numbers = []
    for _ in range(4):
        numbers.append(issue(hall, clock, "A"))
        clock.advance(10)
    issue(hall, clock, "B")  # B001, later than every A ticket
    events = hall.move_waiting("A", "B", clock.now(), count=3)
    assert [(e.type, e.ticket.number if e.ticket else None) for e in events] == [
        ("ticket.transferred", n) for n in numbers[:3]]
    assert all(e.extra["from_queue"] == "A" for e in events)
    assert [t.number for t in hall.waiting_in("B")] == [*numbers[:3], "B001"]
    assert [t.number for t in hall.waiting_in("A")] == [numbers[3]]
    with pytest.raises(errors.InvalidTransfer):
        hall.move_waiting("A", "A", clock.now())
    with pytest.raises(errors.UnknownQueue):
        hall.move_waiting("A", "Q", clock.now())
    assert hall.move_waiting("C", "B", clock.now()) == []


def test_a_counter_opened_to_a_second_queue_calls_from_it(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock, "B")
    hall.open_counter(1, "clerk01", clock.now())
    assert hall.call_next(1, clock.now()) == []  # counter 1 serves A only
    [event] = hall.set_counter_queues(1, ["A", "B"], clock.now())
    assert event.type == "counter.changed" and event.counter is not None and event.counter.queues == ("A", "B")
    assert hall.counters[1].queues == ("A", "B") and hall.counters[1].clerk == "clerk01"
    called = hall.call_next(1, clock.now())[-1].ticket
    assert called is not None and called.number == "B001"
    assert hall.set_counter_queues(1, ["A", "B"], clock.now()) == []
    with pytest.raises(errors.UnknownQueue):
        hall.set_counter_queues(1, ["A", "Q"], clock.now())
    with pytest.raises(errors.InvalidTransfer):
        hall.set_counter_queues(1, [], clock.now())


def test_stats_count_waits_services_and_pauses(hall: Hall, clock: FakeClock) -> None:
    hall.open_counter(1, "clerk01", clock.now(), "张三", "JA001")
    issue(hall, clock)
    clock.advance(120)
    hall.call_next(1, clock.now())
    clock.advance(30)
    hall.start(1, clock.now())
    clock.advance(300)
    hall.finish(1, clock.now())
    hall.pause(1, "休息", clock.now())
    ledger = PauseLedger(day=hall.local_day(clock.now()), ended={1: 60.0})
    clock.advance(90)
    stats = dashboard_stats(hall, clock.now(), ledger)
    a = stats["queues"][0]
    assert (a["code"], a["waiting"], a["avg_wait_last_hour_s"], a["served_today"]) == ("A", 0, 120, 1)
    c1 = stats["counters"][0]
    assert c1["clerk"]["name"] == "张三" and c1["clerk"]["staff_no"] == "JA001"
    assert (c1["status"], c1["served_today"], c1["average_service_s"]) == ("paused", 1, 300)
    assert (c1["pause_reason"], c1["paused_s_today"]) == ("休息", 150)
    assert c1["paused_since"] == "2026-11-25T09:07:30+08:00"


def test_the_pause_ledger_folds_counter_events() -> None:
    at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    ledger = PauseLedger()
    ledger.fold([(1, "counter.opened", at, 2), (2, "counter.paused", at, 2),
                 (3, "counter.resumed", at + timedelta(minutes=5), 2), (4, "counter.paused", at, 3),
                 (5, "counter.closed", at + timedelta(minutes=1), 3), (6, "counter.paused", at, 2)])
    assert ledger.ended == {2: 300.0, 3: 60.0} and ledger.started == {2: at} and ledger.seq == 6
