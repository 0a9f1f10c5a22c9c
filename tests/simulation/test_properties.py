"""A simulated day keeps every invariant of the hypothesis suite (tests/domain/test_policy_properties.py):
the simulator drives the real Hall, so random days of the demo hall — any policy, any K and T, any
load — must never call a ticket twice or one that is not waiting, must keep arrival order within a
class, must keep the walk-in bound (after K non-walk-in calls in a row a counter calls the walk-in
who has waited T), and under the default policy let at most one walk-in per K priority calls past a
priority visitor. Checked at every command, as it happens."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from server.demo import JINAN
from server.domain.model import PolicyConfig
from server.simulation import simulate
from tests.domain.invariants import CallChecker, overtaking_walk_ins
from tests.simulation.conftest import demo_profile, scaled

PROFILE = demo_profile()

policies = st.builds(PolicyConfig, kind=st.sampled_from(["guarded", "strict", "ratio", "weighted"]),
                     max_priority_streak=st.integers(1, 5), walk_in_max_wait_s=st.sampled_from([60.0, 300.0, 900.0]),
                     priority_weight=st.sampled_from([1.0, 3.0, 10.0]))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), policy=policies, load=st.sampled_from([0.25, 0.5]),
       priority=st.sampled_from([0.1, 0.4]))
def test_a_simulated_day_keeps_every_invariant(seed: int, policy: PolicyConfig, load: float, priority: float) -> None:
    profile = scaled(PROFILE, load)
    profile = replace(profile, queues=tuple(replace(q, priority_share=priority) for q in profile.queues))
    checker = CallChecker(policy)
    result = simulate(JINAN, profile, seed=seed, policy=policy, observe=checker)
    assert checker.calls >= len(result.visits) > 0
    if policy.kind == "guarded":
        overtaking_walk_ins(checker.log, policy.max_priority_streak, [c.number for c in JINAN.counters])
    # clerks stay until everyone waiting is served: only a no-show who came back after closing is left
    assert all(v.called_at is not None for v in result.visits)
    assert all(v.status in ("done", "no_show") or v.reinstated for v in result.visits)


def test_a_week_keeps_the_invariants_across_the_day_changes() -> None:
    checker = CallChecker(PolicyConfig(), every_step=False)
    result = simulate(JINAN, scaled(PROFILE, 0.5), days=3, seed=5, observe=checker)
    days = sorted({v.day for v in result.visits})
    assert days == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    assert [v.number for v in result.visits if v.day == days[1] and v.queue == "A"][0] == "A001"  # numbers restart
