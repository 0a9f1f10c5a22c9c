"""simulate(): a run repeats exactly, the what-ifs change what they say and nothing else, a run goes
on from a hall's state without touching it, and the result reads as a manager needs it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.demo import JINAN
from server.domain.hall import Hall
from server.domain.model import PolicyConfig, Priority
from server.simulation import CloseCounter, OpenCounter, Profile, ServeAlso, simulate
from server.simulation.result import width

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, tzinfo=TZ)


def test_the_same_seed_repeats_a_run_exactly_and_another_seed_does_not(profile: Profile) -> None:
    one, again = simulate(JINAN, profile, seed=7), simulate(JINAN, profile, seed=7)
    assert one.as_json() == again.as_json() and one.as_table() == again.as_table()
    assert [v.eta_s for v in one.visits] == [v.eta_s for v in again.visits]
    other = simulate(JINAN, profile, seed=8)
    assert [v.issued_at for v in other.visits] != [v.issued_at for v in one.visits]


def test_a_demo_day_looks_like_the_profile(profile: Profile) -> None:
    result = simulate(JINAN, profile, days=5, seed=1)
    per_day = len(result.visits) / 5
    assert 400 <= per_day <= 500  # about 450
    priority = sum(1 for v in result.visits if v.group == "priority") / len(result.visits)
    assert 0.07 <= priority <= 0.13
    hours = [v.issued_at.astimezone(TZ).hour for v in result.visits]
    assert min(hours) == 8 and max(hours) == 16  # kiosks issue 08:30–17:00
    morning, lunch = sum(1 for h in hours if h == 9), sum(1 for h in hours if h == 12)
    assert morning > 3 * lunch  # the morning peak, the quiet lunch
    assert result.figures()["no_show_rate"] == pytest.approx(0.05, abs=0.02)
    for use in result.counters.values():  # each counter open about 8 hours a day (9 hours less lunch)
        assert 7.5 * 3600 * 5 <= use.open_s <= 9.5 * 3600 * 5
        assert use.utilisation is not None and 0.2 < use.utilisation < 1


def test_what_ifs_meet_the_same_visitors_and_an_extra_counter_shortens_the_wait(profile: Profile) -> None:
    # counter 8 (C) closed all day: C waits long; opening it at 10:00 shortens them
    without = simulate(JINAN, profile, seed=3, changes=[CloseCounter(8, time(8, 0))])
    with_8 = simulate(JINAN, profile, seed=3, changes=[CloseCounter(8, time(8, 0)), OpenCounter(8, ("C",), time(10))])
    assert [(v.queue, v.issued_at) for v in without.visits] == [(v.queue, v.issued_at) for v in with_8.visits]
    assert without.counters[8].served == 0 and with_8.counters[8].served > 10
    before, after = without.mean_wait_s("C"), with_8.mean_wait_s("C")
    assert before is not None and after is not None and after < before / 2
    assert with_8.counters[8].open_s == pytest.approx(7.5 * 3600, abs=1800)  # 10:00 until closing, no lunch


def test_serve_also_puts_a_counter_on_a_second_queue(profile: Profile) -> None:
    base = simulate(JINAN, profile, seed=4)
    helped = simulate(JINAN, profile, seed=4, changes=[ServeAlso(12, "Z", time(9))])
    z_at_12 = [v for v in helped.visits if v.queue == "Z" and v.counter == 12]
    assert z_at_12 and not [v for v in base.visits if v.queue == "Z" and v.counter == 12]
    assert (helped.mean_wait_s("Z") or 0) < (base.mean_wait_s("Z") or 0)


def test_a_policy_override_is_what_runs(profile: Profile) -> None:
    strict = simulate(JINAN, profile, seed=2, policy=PolicyConfig(kind="strict"))
    assert strict.policy.kind == "strict" and strict.as_json()["policy"]["kind"] == "strict"
    assert simulate(JINAN, profile, seed=2).policy.kind == "guarded"


def a_busy_morning() -> Hall:
    """09:00–10:00 in the demo hall: counter 7 alone on C, twelve C visitors, one at the counter."""
    hall = Hall(JINAN)
    at = MONDAY.replace(hour=9).astimezone(UTC)
    hall.open_counter(7, "c7", at)
    for i in range(12):
        hall.issue("C", at + timedelta(minutes=4 * i), f"t{i}", Priority.ELDERLY if i == 5 else Priority.NONE)
    hall.call_next(7, at + timedelta(minutes=50))
    hall.start(7, at + timedelta(minutes=51))
    return hall


def test_a_run_goes_on_from_a_halls_state_without_changing_it(profile: Profile) -> None:
    hall = a_busy_morning()
    seq, tickets = hall.seq, copy.deepcopy(hall.tickets)
    ten = MONDAY.replace(hour=10)
    alone = simulate(JINAN, profile, start=hall, start_at=ten, seed=1)
    helped = simulate(JINAN, profile, start=hall, start_at=ten, seed=1, changes=[OpenCounter(8, ("C",), time(10))])
    assert hall.seq == seq and hall.tickets == tickets  # the state was copied, never changed
    carried = [v for v in alone.visits if v.carried]
    assert len(carried) == 12 and all(v.called_at is not None for v in carried)
    assert all(v.issued_at > ten for v in alone.visits if not v.carried)
    # the rest of the day's visitors are those of a whole-day run of the same seed
    whole = simulate(JINAN, profile, seed=1)
    assert [v.issued_at for v in alone.visits if not v.carried] == [v.issued_at for v in whole.visits
                                                                    if v.issued_at > ten]
    waited = [sum(v.wait_s or 0 for v in r.visits if v.carried) for r in (alone, helped)]
    assert waited[1] < waited[0]
    assert alone.as_json()["started_at"] == "2026-11-23T10:00:00+08:00"


def test_start_needs_start_at_and_unknown_counters_are_refused(profile: Profile) -> None:
    with pytest.raises(ValueError, match="start_at"):
        simulate(JINAN, profile, start=Hall(JINAN))
    with pytest.raises(ValueError, match="no counter 40"):
        simulate(JINAN, profile, changes=[ServeAlso(40, "A", time(9))])
    with pytest.raises(ValueError, match="X is not a queue"):
        simulate(JINAN, profile, changes=[OpenCounter(13, ("X",), time(9))])
    opened = simulate(JINAN, profile, seed=1, changes=[OpenCounter(13, ("A",), time(9), until=time(12))])
    assert 0 < opened.counters[13].open_s <= 3 * 3600 + 1800  # a new counter, 09:00 to about noon


def test_the_result_reads_as_a_table_json_and_charts(profile: Profile) -> None:
    result = simulate(JINAN, profile, seed=1)
    table = result.as_table()
    lines = table.splitlines()
    assert "叫号规则 保护等候" in lines[0]
    block = lines[2:lines.index("", 2)]
    assert block[0].split()[:3] == ["队列", "/", "分组"] and "平均等候" in block[0] and "30分钟内" in block[0]
    assert len({width(line) for line in block}) == 1  # every line of the block as wide: columns aligned
    assert any(line.startswith("A 社会民生类") for line in block) and any(line.startswith("合计") for line in block)
    data = result.as_json()
    assert data["total"]["visitors"] == len(result.visits)
    assert [q["queue"] for q in data["queues"]] == ["A", "B", "C", "D", "L", "Z", "V"]
    assert [g["group"] for g in data["groups"]] == ["walk_in", "priority", "appointment"]
    assert sum(g["visitors"] for g in data["groups"]) == data["total"]["visitors"]
    stamps = [s["at"] for s in data["timeline"]]
    assert stamps[0] == "2026-11-23T08:30+08:00" and stamps[1] == "2026-11-23T08:45+08:00"
    assert max(s["counters_open"] for s in data["timeline"]) == 12
    noon = next(s for s in data["timeline"] if s["at"].endswith("12:00+08:00"))
    assert noon["counters_open"] == 6  # half the clerks at lunch (two turns)
    charts = result.charts()
    assert set(charts) == {"waits.svg", "timeline.svg"}
    assert all(svg.startswith("<svg") and "模拟" in svg for svg in charts.values())


def test_a_backlog_that_outlasts_the_day_ends_at_midnight_unserved(profile: Profile) -> None:
    """Five times the demo's visitors: the counters' last visitors are still waiting at midnight. The hall's
    day ends there (its day change cancels them); the run goes on into the next day instead of failing."""
    from tests.simulation.conftest import scaled

    result = simulate(JINAN, scaled(profile, 5.0), days=2, seed=3)
    unserved = [v for v in result.visits if v.called_at is None]
    assert unserved, "the backlog should outlast the day"
    days = {v.issued_at.astimezone(TZ).date() for v in result.visits}
    assert len(days) == 2  # the second day ran
    for visit in result.visits:
        if visit.called_at is not None:  # nobody is called after the midnight that ends their day
            assert visit.called_at.astimezone(TZ).date() == visit.issued_at.astimezone(TZ).date()
