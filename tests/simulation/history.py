"""A database with a hall's history: the demo hall loaded as `onewindow demo` loads it, then days of
the demo profile run on the engine's own domain core and written through the store as the engine
writes a batch (``repo.write_events``: the events and their ticket and counter projections)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from server.demo import JINAN, load_demo
from server.domain.hall import Hall
from server.domain.model import Event
from server.domain.views import public_event
from server.simulation import Profile, simulate
from server.store import rebuild, repo
from server.store.db import open_database
from server.store.migrate import migrate

TZ = ZoneInfo("Asia/Shanghai")


def seed_history(url: str, profile: Profile, first: date, days: int, seed: int = 11,
                 states: list[Hall] | None = None) -> int:
    """``days`` days of ``profile`` from ``first`` in hall jinan; returns the tickets issued (and
    puts the simulated hall, as it was at the end, in ``states``)."""
    db = open_database(url)
    try:
        migrate(db)
        start = datetime.combine(first, time(), tzinfo=TZ)
        with db.writer.begin() as conn:
            load_demo(conn)
            hall = rebuild.load_hall(conn, JINAN.code, start)
        assert hall is not None
        events: list[Event] = []
        public: list[dict[str, Any]] = []

        def keep(state: Hall, batch: list[Event]) -> None:
            if states is not None and not states:
                states.append(state)
            events.extend(batch)
            public.extend(public_event(state, e) for e in batch)

        result = simulate(JINAN, profile, start=hall, start_at=start, days=days, seed=seed, observe=keep)
        with db.writer.begin() as conn:
            repo.write_events(conn, JINAN.code, events, public)
        return len(result.visits)
    finally:
        db.dispose()
