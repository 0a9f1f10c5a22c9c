"""The event bus: publish and subscribe JSON messages by channel.

``open_bus(url)`` picks the backend by URL scheme, importing it only in its branch:
``memory://`` (embedded mode, one process) or ``redis://`` (several processes, one hall).
"""

from __future__ import annotations

from .base import Bus, BusUnavailable, Subscription
from .memory import MemoryBus


def open_bus(url: str | None) -> Bus:
    if not url or url.startswith("memory://"):
        return MemoryBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisBus

        bus: Bus = RedisBus(url)
        return bus
    raise ValueError(f"unsupported bus URL {url!r}: use redis://host:port/db or leave REDIS_URL unset")


__all__ = ["Bus", "BusUnavailable", "MemoryBus", "Subscription", "open_bus"]
