"""Outages of what the server depends on (the database, the bus), told once each.

A database that stops for 15 s under load fails thousands of requests; each is answered 503 with
``Retry-After``, but the log gets one warning when the outage starts and one line when it ends,
never a traceback per request (it would bury the start of the outage and fill the disk).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import exc as sa_exc

from server import metrics

# What a database that is away, full or refusing connections raises. Not IntegrityError or
# ProgrammingError: those are a client's conflict or a bug, never an outage.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
)


def describe(exc: BaseException) -> str:
    """The driver's own first line (``database or disk is full``, ``connection refused``): never
    the SQL statement or its parameters, which may hold personal data."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return text[:200]


class Outage:
    """Whether one dependency is failing now, with the cause, logged at its edges only.

    ``kind`` tells apart the ways it is used (reads, writes): a full disk fails writes while reads
    go on, so a read that succeeds must not end an outage of writes (nor log it ending and
    starting again at each request). The outage starts with the first kind failing and ends when
    the last one succeeds again."""

    def __init__(self, what: str, log: logging.Logger) -> None:
        self.what = what
        self.log = log
        self.since: float | None = None  # time.monotonic() of the first failure
        self.cause: str | None = None
        self.kinds: set[str] = set()
        self.failures = 0

    @property
    def failing(self) -> bool:
        return bool(self.kinds)

    def failing_for(self, kind: str) -> bool:
        return kind in self.kinds

    def failed(self, exc: BaseException, kind: str = "") -> None:
        self.failures += 1
        metrics.STORAGE_FAILURES.labels(self.what, kind or "any").inc()
        if not self.kinds:
            self.since = time.monotonic()
            self.cause = describe(exc)
            self.log.warning("%s unavailable: %s (answering 503 until it is back)", self.what, self.cause)
        self.kinds.add(kind)

    def ok(self, kind: str = "") -> None:
        if kind in self.kinds:
            self.kinds.discard(kind)
            if not self.kinds:
                lasted = time.monotonic() - (self.since or time.monotonic())
                self.log.warning("%s back after %.1f s (%d failed operations)", self.what, lasted, self.failures)
                self.since, self.cause, self.failures = None, None, 0
