"""Who is calling, and what they may do. Passwords are hashed with Argon2 (argon2-cffi)."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.domain.errors import RateLimited

_hasher = PasswordHasher()
# Verifying against this when the user is unknown keeps the timing the same either way.
_DUMMY_HASH = _hasher.hash("not a password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Principal:
    """A signed-in user or a device. ``role`` is the user's role or the device's kind."""

    kind: str  # "user" or "device"
    role: str
    name: str  # username, or the device's name
    hall: str | None
    counter: int | None = None
    user_id: int | None = None
    display_name: str | None = None
    staff_no: str | None = None
    department: str | None = None  # a department account's department
    # Someone else chose the user's password: only changing it, signing out and /me are open
    # (server/context.py current_principal). A device never has it.
    must_change_password: bool = False

    @classmethod
    def from_token_row(cls, row: dict[str, Any]) -> Principal:
        if row["user_id"] is not None:
            return cls("user", row["role"], row["username"], row["user_hall"], row["user_counter"], row["user_id"],
                       row["display_name"], row.get("staff_no"), row.get("department"),
                       bool(row.get("must_change_password")))
        return cls("device", row["device_kind"], row["name"], row["hall"], row["counter"])

    def in_hall(self, hall: str) -> bool:
        return self.role == "admin" or self.hall == hall

    @property
    def is_manager(self) -> bool:
        return self.kind == "user" and self.role in ("manager", "admin")

    def manages(self, hall: str) -> bool:
        """A manager of this hall, or an admin: the dashboard, its alerts, reports and settings."""
        return self.is_manager and self.in_hall(hall)


TICKET_ISSUERS = {("device", "kiosk"), ("device", "agent"), ("user", "guide"), ("user", "clerk"),
                  ("user", "manager"), ("user", "admin")}


class RateLimiter:
    """At most ``limit`` failures per key in ``window`` seconds (per process)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def blocked(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if not hits:
            return 0.0
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            return 0.0
        return hits[0] + self.window - now

    def check(self, *keys: str, zh: str, en: str, code: str = "rate_limited") -> None:
        """Raises RateLimited (429 with Retry-After at the edge) while any of ``keys`` is blocked;
        ``{s}`` in the messages becomes the seconds to wait."""
        wait = max((self.blocked(key) for key in keys), default=0.0)
        if wait > 0:
            seconds = math.ceil(wait)
            raise RateLimited(zh.format(s=seconds), en.format(s=seconds), wait, code)

    def hit(self, key: str, now: float | None = None) -> None:
        self._hits.setdefault(key, deque()).append(time.monotonic() if now is None else now)

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)


class BackoffLimiter:
    """Growing delays per key (per process): ``free`` failures pass, then the key waits ``base``
    seconds, doubling with every further failure up to ``cap``. A key is forgotten ``forget``
    seconds after its last failure, and at once by ``reset`` (the right answer).

    Callers count an attempt with ``fail`` *before* they look the answer up and ``reset`` when it
    was right: requests sent all at once then cannot slip past the check together."""

    MAX_KEYS = 100_000  # beyond this the keys that failed longest ago are dropped (memory bound)

    def __init__(self, free: int = 5, base: float = 60.0, cap: float = 3600.0, forget: float = 86400.0) -> None:
        self.free, self.base, self.cap, self.forget = free, base, cap, forget
        self._keys: dict[str, tuple[int, float, float]] = {}  # key → (failures, last failure, blocked until)

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        entry = self._keys.get(key)
        if entry is None:
            return 0.0
        if now - entry[1] >= self.forget:
            del self._keys[key]
            return 0.0
        return max(0.0, entry[2] - now)

    def check(self, *keys: str, zh: str, en: str, code: str = "rate_limited", now: float | None = None) -> None:
        """Raises RateLimited (429 with Retry-After at the edge) while any of ``keys`` waits;
        ``{s}`` in the messages becomes the seconds to wait."""
        wait = max((self.wait(key, now) for key in keys), default=0.0)
        if wait > 0:
            seconds = math.ceil(wait)
            raise RateLimited(zh.format(s=seconds), en.format(s=seconds), wait, code)

    def fail(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.wait(key, now)  # forgets a stale key first
        failures = self._keys.pop(key, (0, now, now))[0] + 1
        doublings = min(failures - self.free, 40)  # past the cap anyway; keeps the float finite
        until = now + min(self.cap, self.base * 2**doublings) if failures >= self.free else now
        self._keys[key] = (failures, now, until)  # re-inserted: the dict stays in order of last failure
        if len(self._keys) > self.MAX_KEYS:
            for stale in list(self._keys)[: len(self._keys) - self.MAX_KEYS // 2]:
                del self._keys[stale]

    def reset(self, key: str) -> None:
        self._keys.pop(key, None)
