"""server/auth.py BackoffLimiter: growing delays per key, a cap, forgetting, and a bound on memory."""

from __future__ import annotations

import pytest

from server.auth import BackoffLimiter
from server.domain.errors import RateLimited


def test_the_wait_doubles_after_the_free_failures_up_to_the_cap() -> None:
    limiter = BackoffLimiter(free=3, base=10, cap=35, forget=1000)
    waits = []
    for _ in range(6):
        limiter.fail("k", now=0.0)
        waits.append(limiter.wait("k", now=0.0))
    assert waits == [0, 0, 10, 20, 35, 35]
    assert limiter.wait("other", now=0.0) == 0


def test_check_raises_with_the_seconds_and_reset_clears() -> None:
    limiter = BackoffLimiter(free=1, base=7.5, cap=60, forget=1000)
    limiter.fail("k", now=100.0)
    with pytest.raises(RateLimited) as refused:
        limiter.check("k", zh="请 {s} 秒后再试", en="retry in {s} s", code="too_many_attempts", now=101.0)
    assert refused.value.code == "too_many_attempts" and refused.value.zh == "请 7 秒后再试"
    assert refused.value.retry_after_s == pytest.approx(6.5)
    limiter.reset("k")
    limiter.check("k", zh="", en="", now=101.0)


def test_a_key_is_forgotten_long_after_its_last_failure() -> None:
    limiter = BackoffLimiter(free=2, base=10, cap=100, forget=500)
    for _ in range(4):
        limiter.fail("k", now=0.0)
    assert limiter.wait("k", now=50.0) == 0  # waited out, still remembered: the next miss waits longer
    limiter.fail("k", now=50.0)
    assert limiter.wait("k", now=50.0) == 80
    limiter.fail("k", now=700.0)  # forgotten: the count starts again
    assert limiter.wait("k", now=700.0) == 0


def test_memory_stays_bounded_and_drops_the_oldest_failures_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BackoffLimiter, "MAX_KEYS", 10)
    limiter = BackoffLimiter(free=1, base=10, cap=100, forget=1000)
    for i in range(11):
        limiter.fail(f"k{i}", now=float(i))
    assert limiter.wait("k0", now=11.0) == 0 and limiter.wait("k10", now=11.0) == 9
