"""Profiles: the demo hall's sample is what docs/simulation.md says it is, and every mistake in a
profile is refused with a message naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.demo import JINAN
from server.simulation import Profile, ProfileError, load_profile, parse_profile
from tests.simulation.conftest import DEMO_PROFILE

MINIMAL = """
[queues.A]
arrivals = { "09:00" = 12, "12:00" = 0 }
service = { median_min = 5, sigma = 0.5 }

[[counters]]
number = 1
queues = ["A"]
opens = "09:00"
closes = "12:00"
"""


def test_the_demo_profile_is_the_demo_hall_on_a_working_day(profile: Profile) -> None:
    assert profile.expected_visitors() == pytest.approx(450, abs=5)
    assert [q.code for q in profile.queues] == ["A", "B", "C", "D", "L", "Z", "V"]
    assert all(q.priority_share == 0.10 and q.no_show_share == 0.05 for q in profile.queues)
    a = profile.queue("A")
    assert a is not None and a.rate_at(9 * 60 + 30) > 2 * a.rate_at(12 * 60 + 30)  # the morning peak
    assert a.rate_at(14 * 60 + 45) > 2 * a.rate_at(12 * 60 + 30)  # the afternoon peak
    assert a.rate_at(17 * 60) == 0 and a.rate_at(8 * 60) == 0
    assert a.service.median_s == 300 and [i.code for i in a.items] == ["A01", "A05"]
    config = profile.hall_config()
    assert [(c.number, c.queues) for c in config.counters] == [(c.number, c.queues) for c in JINAN.counters]
    lunch = {s.number: s.breaks[0][0] for s in profile.counters}
    assert sorted(lunch.values()).count(11 * 60 + 30) == 6  # two turns of six
    assert profile.policy is not None and profile.policy.kind == "guarded"


def test_a_minimal_profile_takes_the_defaults() -> None:
    profile = parse_profile(MINIMAL)
    assert profile.queue("A") is not None and profile.counters[0].breaks == ()
    assert profile.clerks.recalls == 2 and profile.visitors.walk.median_s == 40 and profile.policy is None
    assert profile.expected_visitors() == pytest.approx(36)


@pytest.mark.parametrize("change, says", [
    (("[queues.A]", "[queues.A]\nprioity_share = 0.1"), "queues.A.prioity_share: unknown key"),
    (('"09:00" = 12', '"09:00" = -1'), 'queues.A.arrivals."09:00": from 0'),
    (('"09:00" = 12', '"9:75" = 12'), "queues.A.arrivals.9:75: a time of day"),
    (("sigma = 0.5 }", "sigma = -0.5 }"), "queues.A.service.sigma: from 0 to 3"),
    (("median_min = 5,", "median_min = 5, median_s = 300,"), "queues.A.service: give median_min or median_s"),
    (("[queues.A]", "[queues.A]\npriority_share = 0.8\nappointment_share = 0.4"), "priority_share + appointment_share"),
    (("[queues.A]", "[queues.A]\nno_show_share = 1.5"), "queues.A.no_show_share: from 0 to 1"),
    (('queues = ["A"]', 'queues = ["A", "Q"]'), "counters[0].queues: Q is not a queue"),
    (('closes = "12:00"', 'closes = "08:00"'), "counters[0].closes: after opens"),
    (('closes = "12:00"', 'closes = "12:00"\nbreaks = [["11:00", "13:00"]]'), "counters[0].breaks[0]"),
    (("number = 1", "number = 1.5"), "counters[0].number: a whole number"),
    (("number = 1", 'numbers = [1]\nnumber = 2'), "counters[0]: give number = N or numbers"),
    (("[[counters]]", "[policy]\nkind = \"fastest\"\n\n[[counters]]"), "policy.kind: one of guarded"),
    (("[[counters]]", "[clerks]\nrecalls = \"twice\"\n\n[[counters]]"), "clerks.recalls: a whole number"),
    (("[queues.A]", "[queues.a]"), "queues.a: a queue code"),
    (("arrivals =", "items = [{ code = \"A01\", share = 0.7, median_min = 3, sigma = 0.4 }, "
                    "{ code = \"A02\", share = 0.7, median_min = 3, sigma = 0.4 }]\narrivals ="),
     "queues.A.items: the shares add up to more than 1"),
    (("[[counters]]", "[[counters]]\nnumber = 1\nopens = \"10:00\"\ncloses = \"11:00\"\n\n[[counters]]"),
     "counter 1 has two schedules at the same time"),
    (("[queues.A]", "colour = \"blue\"\n[queues.A]"), "colour: unknown key"),
])
def test_each_mistake_is_refused_naming_the_key(change: tuple[str, str], says: str) -> None:
    old, new = change
    assert old in MINIMAL
    with pytest.raises(ProfileError) as refused:
        parse_profile(MINIMAL.replace(old, new, 1))
    assert says in str(refused.value)


def test_a_file_that_is_not_toml_or_not_there_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "day.toml"
    bad.write_text("[queues.A\narrivals = 3", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"^day\.toml: not valid TOML"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="cannot read it"):
        load_profile(tmp_path / "missing.toml")
    without_queues = tmp_path / "empty.toml"
    without_queues.write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="^empty.toml: queues: at least one queue"):
        load_profile(without_queues)


def test_the_sample_file_is_where_the_docs_say() -> None:
    assert DEMO_PROFILE.is_file()
    text = (DEMO_PROFILE.parents[1] / "simulation.md").read_text(encoding="utf-8")
    assert "docs/simulation/jinan.toml" in text
