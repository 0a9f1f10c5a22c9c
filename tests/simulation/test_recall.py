"""A restarted server's estimates still know the hall's usual day (server/store/rebuild.py): eight
days of the demo profile written to the database, then the hall rebuilt from it the next morning
has learnt what the hall that lived through those days learnt from their events — when visitors
come, which counters go to lunch when, how long yesterday's services took."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from server.demo import JINAN
from server.domain.hall import Hall
from server.simulation import Profile
from server.store import rebuild
from server.store.db import open_database
from tests.simulation.history import TZ, seed_history

FIRST = date(2026, 11, 16)  # a Monday; eight days


def test_a_hall_rebuilt_from_the_store_knows_its_usual_day_and_breaks(database_url: str, profile: Profile) -> None:
    lived: list[Hall] = []
    seed_history(database_url, profile, FIRST, 8, states=lived)
    live = lived[0].observed
    db = open_database(database_url)
    try:
        with db.reader.connect() as conn:
            loaded = rebuild.load_hall(conn, JINAN.code, datetime.combine(FIRST + timedelta(days=8), time(8), TZ))
    finally:
        db.dispose()
    assert loaded is not None
    learnt = loaded.observed
    assert learnt.day == live.day == FIRST + timedelta(days=7)
    assert learnt.days == live.days == 7  # the eighth joins the usual day when the ninth begins
    for queue, usual in live.usual.items():
        assert learnt.usual[queue] == pytest.approx(usual)
    breaks = {n: live.breaks(n) for n in loaded.counters}
    assert any(breaks.values())  # the demo's lunch turns
    assert {n: learnt.breaks(n) for n in loaded.counters} == breaks
    assert learnt.prior == pytest.approx(live.prior)  # the ninth's services start from the eighth's
    assert list(learnt.pauses) == pytest.approx(list(live.pauses))
    for queue, spans in live.services.items():  # the eighth's last services, and its arrivals
        assert list(learnt.services[queue]) == pytest.approx(list(spans))
    for queue, times in live.arrivals.items():
        assert learnt.arrivals[queue] == pytest.approx(times)
