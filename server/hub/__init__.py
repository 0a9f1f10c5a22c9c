"""The WebSocket hub: every live feed of every hall this process serves."""

from __future__ import annotations

import asyncio
from typing import Any

from server.bus import Bus
from server.engine import HallEngine

from .client import BACKLOG_LIMIT, Client, Sends
from .fanout import HallFanout


class Hub:
    def __init__(self, engine: HallEngine, bus: Bus, backlog_limit: int = BACKLOG_LIMIT) -> None:
        self.engine = engine
        self.bus = bus
        self.backlog_limit = backlog_limit
        self.fanouts: dict[str, HallFanout] = {}
        self.sends = Sends()  # every joined client's, by road: direct to uvicorn's transport or by ASGI send
        engine.on_commit.append(self._committed)

    def fanout(self, code: str) -> HallFanout:
        fanout = self.fanouts.get(code)
        if fanout is None:
            fanout = self.fanouts[code] = HallFanout(self, code)
        return fanout

    def _committed(self, code: str, messages: list[dict[str, Any]]) -> None:
        fanout = self.fanouts.get(code)
        if fanout is not None:
            fanout.ingest_all(messages)

    async def join(self, code: str, client: Client, since: int | None) -> None:
        client.limit = self.backlog_limit
        client.sends = self.sends
        await self.fanout(code).join(client, since)

    def leave(self, code: str, client: Client) -> None:
        fanout = self.fanouts.get(code)
        if fanout is not None:
            fanout.remove(client)
        if client.busy is not None:
            client.busy.cancel()

    def connections(self) -> int:
        return sum(f.count() for f in self.fanouts.values())

    async def close(self) -> None:
        """Server going down: tell every client to come back (1012 service restart)."""
        clients = [c for f in self.fanouts.values()
                   for c in (*f.clients, *(x for s in f.by_ticket.values() for x in s))]
        await asyncio.gather(*(c.close(1012, "server restarting") for c in clients), return_exceptions=True)
        await asyncio.gather(*(f.stop() for f in self.fanouts.values()))


__all__ = ["Client", "Hub"]
