"""The fence around the hub's fast path (server/hub/client.py ``DirectWriter``).

Under uvicorn a display's frames are written straight to its socket's transport, through uvicorn's
private ``WebSocketsSansIOProtocol`` (its ``conn``, ``close_sent``, ``writable``, ``transport``).
Should an upgrade rename any of these, or pick another WebSocket implementation, the hub quietly
falls back to the ASGI ``send``: every feed still works, only slower with many screens
(docs/benchmarks.md, "Before and after the hub's direct writes"). This test is what notices: a real
`onewindow serve` process, started as production starts it, must send a display's snapshot and
events by the direct road. pyproject.toml pins uvicorn to the versions it passed on (uvicorn 0.49
and older fail it: their "auto" WebSocket protocol is not the sans-I/O one)."""

from __future__ import annotations

import asyncio

import httpx
from websockets.asyncio.client import connect

from tests.servers import ServerProcess

from .hallkit import WAIT_S, display_path, feed_url, hall_api, receive


def sends(server: ServerProcess) -> dict[str, int]:
    """How the server's hub has sent so far, from /healthz: ``{"direct": n, "asgi": m}``."""
    response = httpx.get(f"{server.base}/healthz", timeout=WAIT_S)
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()["sends"]
    return counts


def test_a_display_is_sent_its_frames_straight_to_uvicorns_transport(server: ServerProcess) -> None:
    async def scenario() -> None:
        # As a browser connects: offering permessage-deflate, which the server must decline (a
        # compressed connection is not one the fast path may write to).
        async with hall_api(server) as api, \
                connect(feed_url(server, display_path()), compression="deflate", open_timeout=WAIT_S) as ws:
            assert (await receive(ws))["type"] == "snapshot"
            ticket = await api.issue("A")
            event = await receive(ws)
            assert (event["type"], event["ticket"]["id"]) == ("ticket.issued", ticket["id"])
            counts = await asyncio.to_thread(sends, server)
        assert counts["asgi"] == 0 and counts["direct"] >= 2, (
            f"the hub's fast path is off under this uvicorn: {counts} (snapshot and event should both be "
            "direct writes; see server/hub/client.py DirectWriter.for_send and write)")

    asyncio.run(scenario())
