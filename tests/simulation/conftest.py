"""The demo profile, and a lighter day of it for the property tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from server.simulation import Profile, load_profile

ROOT = Path(__file__).resolve().parents[2]
DEMO_PROFILE = ROOT / "docs" / "simulation" / "jinan.toml"


def demo_profile() -> Profile:
    return load_profile(DEMO_PROFILE)


def scaled(profile: Profile, arrivals: float) -> Profile:
    """The same day with arrivals × ``arrivals`` (service times unchanged)."""
    return replace(profile, queues=tuple(replace(q, arrivals=tuple((m, r * arrivals) for m, r in q.arrivals))
                                         for q in profile.queues))


@pytest.fixture(scope="session")
def profile() -> Profile:
    return demo_profile()
