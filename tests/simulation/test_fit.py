"""A profile fitted from a hall's history (server/store/history.py → server/services/simulation.py →
server/simulation/fit.py), on SQLite and PostgreSQL: eight days of the demo profile written to the
database, then the two Wednesdays among them fitted back. The fit must find the profile again."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from server.demo import JINAN
from server.domain.errors import InvalidInput, UnknownHall
from server.services.simulation import fitted_profile
from server.simulation import Profile, ProfileError, simulate
from server.simulation.fit import history_days
from server.store.db import open_database
from tests.simulation.history import TZ, seed_history

FIRST = date(2026, 11, 18)  # a Wednesday; eight days: two Wednesdays
SATURDAY = datetime(2026, 11, 28, 9, tzinfo=TZ)


def test_history_days_are_the_weekdays_before_today() -> None:
    saturday = date(2026, 11, 28)
    assert history_days(saturday, 2, 2) == [date(2026, 11, 18), date(2026, 11, 25)]
    assert history_days(date(2026, 11, 25), 2, 1) == [date(2026, 11, 18)]  # today is not history yet
    assert history_days(saturday, 5, 3) == [date(2026, 11, 7), date(2026, 11, 14), date(2026, 11, 21)]


def test_a_profile_fitted_from_the_database_finds_the_demo_day_again(database_url: str, profile: Profile) -> None:
    issued = seed_history(database_url, profile, FIRST, 8)
    db = open_database(database_url)
    try:
        with db.reader.connect() as conn:
            config, fitted = fitted_profile(conn, "jinan", weeks=2, now=SATURDAY, weekday=2)
            with pytest.raises(ProfileError, match="no tickets"):
                fitted_profile(conn, "jinan", weeks=2, now=SATURDAY + timedelta(weeks=5), weekday=2)
            with pytest.raises(UnknownHall):
                fitted_profile(conn, "atlantis", weeks=2, now=SATURDAY)
            with pytest.raises(InvalidInput) as bad:
                fitted_profile(conn, "jinan", weeks=0, now=SATURDAY)
            assert bad.value.field == "history_weeks"
    finally:
        db.dispose()
    assert config == JINAN and fitted.first_day == date(2026, 12, 2) and "周三" in fitted.name
    assert fitted.expected_visitors() == pytest.approx(issued / 8, rel=0.1)
    for code in ("A", "B", "C"):
        true, found = profile.queue(code), fitted.queue(code)
        assert true is not None and found is not None
        assert found.priority_share == pytest.approx(0.10, abs=0.05)
        assert found.arrivals[0][0] == 8 * 60 + 30 and found.arrivals[-1] == (17 * 60, 0.0)  # 08:30 to 17:00
    b = fitted.queue("B")
    assert b is not None and b.service.median_s == pytest.approx(9 * 60, rel=0.25)  # B's items centre near 9 min
    assert fitted.visitors.walk.median_s == pytest.approx(40, rel=0.25)
    schedules = {s.number: s for s in fitted.counters}
    assert sorted(schedules) == list(range(1, 13))
    one = schedules[1]
    assert one.opens == 8 * 60 + 30 and 17 * 60 + 30 <= one.closes <= 18 * 60 + 30
    assert len(one.breaks) == 1 and abs(one.breaks[0][0] - (11 * 60 + 30)) <= 15 and one.breaks[0][1] == 12 * 60 + 30
    assert one.queues == ("A",) and schedules[11].queues == ("L", "Z")
    again = simulate(config, fitted, days=2, seed=3)
    assert len(again.visits) / 2 == pytest.approx(issued / 8, rel=0.15)
