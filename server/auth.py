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

    @classmethod
    def from_token_row(cls, row: dict[str, Any]) -> Principal:
        if row["user_id"] is not None:
            return cls("user", row["role"], row["username"], row["user_hall"], row["user_counter"], row["user_id"],
                       row["display_name"], row.get("staff_no"))
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
