"""The KPI formulas on a hand-made day (pure)."""

from __future__ import annotations

from datetime import date

from server.reports.kpis import Agg, is_immediate, percentile, rate, row


def hand_made_day() -> Agg:
    agg = Agg()
    # five tickets: waits 2, 10, 20, 40 min; one cancelled unseen; services 5 and 15 min
    agg.add_ticket("done", 120, 300, comprehensive=True)
    agg.add_ticket("done", 600, 900, comprehensive=False)
    agg.add_ticket("no_show", 1200, None, comprehensive=True)
    agg.add_ticket("done", 2400, 600, comprehensive=True)
    agg.add_ticket("cancelled", None, None, comprehensive=False)
    for level in (5, 4, 3, 1):
        agg.add_rating(level)
    agg.add_application()
    agg.add_application()
    agg.add_case(immediate=True, joint=True, paperless=True, standard=True, online=True, comprehensive=True)
    agg.add_case(immediate=False, joint=False, paperless=None, standard=False, online=False, comprehensive=False)
    return agg


def test_a_hand_made_day_gives_the_documented_figures() -> None:
    r = row("jinan", "晋安", hand_made_day())
    assert (r["tickets"], r["served"], r["no_shows"], r["cancelled"]) == (5, 3, 1, 1)
    assert r["avg_wait_s"] == (120 + 600 + 1200 + 2400) / 4
    assert r["p90_wait_s"] == 2405.0  # nearest rank 4 of 4, bucket 2400-2410 s, its midpoint
    assert r["avg_service_s"] == 600.0
    assert r["p90_service_s"] == 905.0
    assert r["within_15"] == 0.4  # 2 of 5 (called 4 + the one never called)
    assert r["within_30"] == 0.6
    assert r["no_show_rate"] == 0.25  # 1 of 4 called and concluded
    assert r["satisfaction_rate"] == 0.5 and r["good_rate"] == 0.75
    assert r["online_rate"] == 0.5 and r["comprehensive_rate"] == 0.5  # cases, not tickets
    # paperless: one case said so, the other's paper question was not answered (left out)
    assert (r["immediate_rate"], r["joint_rate"], r["paperless_rate"], r["standard_rate"]) == (0.5, 0.5, 1.0, 0.5)


def test_zero_denominators_show_null() -> None:
    r = row("x", "x", Agg())
    assert r["avg_wait_s"] is None and r["p90_wait_s"] is None and r["satisfaction_rate"] is None
    assert r["immediate_rate"] is None and r["within_15"] is None and r["no_show_rate"] is None
    assert rate(0, 0) is None and rate(1, 3) == 0.3333


def test_a_roll_up_from_before_the_facts_were_recorded_gives_unknown_rates() -> None:
    old = {"tickets": 3, "served": 2, "applications": 2, "online": 1, "cases": 2, "immediate": 2, "joint": 1,
           "paperless": 1, "standard": 2}  # issue 9's roll-up: no "facts" in it
    r = row("k", "k", Agg.from_json(old))
    assert r["cases"] == 2 and r["served"] == 2
    assert all(r[k] is None for k in ("immediate_rate", "online_rate", "comprehensive_rate", "joint_rate",
                                      "paperless_rate", "standard_rate"))


def test_days_add_up_and_survive_json() -> None:
    one, two = hand_made_day(), hand_made_day()
    one += two
    again = Agg.from_json(one.to_json())
    assert again == one and again.tickets == 10 and sum(again.wait_hist.values()) == 8
    assert row("k", "k", again)["p90_wait_s"] == 2405.0


def test_percentiles_are_exact_to_the_bucket() -> None:
    agg = Agg()
    for s in range(1, 101):
        agg.add_ticket("done", s * 10.0 + 3, 60, comprehensive=False)
    p90 = percentile(agg.wait_hist, 0.9)
    assert p90 is not None and abs(p90 - 903) <= 5


def test_immediate() -> None:
    d = date(2026, 11, 25)
    assert is_immediate(d, [d])
    assert not is_immediate(d, [])  # an item promised 即办 but left undecided that day is not
    assert not is_immediate(d, [date(2026, 11, 26)])
