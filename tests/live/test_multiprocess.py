"""Several server processes act as one hall: real `onewindow serve` processes sharing one
PostgreSQL database and one Redis, screens connected to each, actions taken through each.

What a hall would notice: a call made at a counter served by one process appears on every
screen, whichever process the screen is connected to, in the same order with the same seq; a
Redis restart or a server restart loses nothing on any screen."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.api.conftest import KIOSK
from tests.servers import RedisProcess, ServerProcess, seeded

WAIT_S = 20.0


class Screen:
    """One display socket and what it showed: a snapshot's seq, then events."""

    def __init__(self, url: str, since: int | None = None) -> None:
        self.url = url if since is None else f"{url}?since={since}"
        self.since = since
        self.messages: list[dict[str, Any]] = []
        self.ws: Any = None
        self.task: asyncio.Task[None] | None = None

    async def open(self) -> Screen:
        self.ws = await websockets.connect(self.url, compression=None)
        if self.since is None:
            first = json.loads(await self.ws.recv())
            assert first["type"] == "snapshot"
            self.messages.append(first)
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for raw in self.ws:
            self.messages.append(json.loads(raw))

    @property
    def seq(self) -> int:
        return int(self.messages[-1]["seq"]) if self.messages else self.since or 0

    async def until(self, seq: int, timeout: float = WAIT_S) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self.seq < seq:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.url} reached seq {self.seq}, not {seq}; last: {self.messages[-3:]}")
            await asyncio.sleep(0.02)

    def events(self) -> list[tuple[int, str, str | None]]:
        return [(m["seq"], m["type"], (m.get("ticket") or {}).get("number")) for m in self.messages
                if m["type"] != "snapshot"]

    def assert_gapless(self) -> None:
        """Every event after the first snapshot follows the one before it, or a snapshot covers."""
        seq = self.messages[0]["seq"]
        for m in self.messages[1:]:
            if m["type"] == "snapshot":
                assert m["seq"] >= seq, f"snapshot went back from {seq} to {m['seq']}"
            else:
                assert m["seq"] == seq + 1, f"after seq {seq} came {m['seq']} ({m['type']})"
            seq = m["seq"]

    async def close(self) -> None:
        await self.ws.close()
        if self.task:
            await asyncio.gather(self.task, return_exceptions=True)


async def _clerk(client: httpx.AsyncClient, base: str, username: str) -> dict[str, str]:
    r = await client.post(f"{base}/api/v1/auth/login", json={"username": username, "password": "demo1234"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _issue(client: httpx.AsyncClient, base: str, queue: str, n: int) -> None:
    for _ in range(n):
        r = await client.post(f"{base}/api/v1/halls/jinan/tickets", json={"queue": queue}, headers=KIOSK)
        assert r.status_code == 201, r.text


async def _current_seq(client: httpx.AsyncClient, base: str) -> int:
    return int((await client.get(f"{base}/api/v1/halls/jinan/snapshot")).json()["seq"])


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def pair(postgres_url: str, redis: RedisProcess, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = seeded(postgres_url)
    a = ServerProcess(url, tmp_path, redis_url=redis.url).start()
    b = ServerProcess(url, tmp_path, redis_url=redis.url).start()
    yield a, b
    a.stop()
    b.stop()


def test_actions_through_either_process_reach_every_screen_in_order(pair: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = pair

    async def scenario() -> None:
        screens = [await Screen(f"{s.ws}/ws/halls/jinan/display").open() for s in (a, a, b, b)]
        async with httpx.AsyncClient(timeout=10) as http:
            clerk_a = await _clerk(http, a.base, "clerk01")
            clerk_b = await _clerk(http, b.base, "clerk04")
            await http.post(f"{a.base}/api/v1/halls/jinan/counters/1/open", headers=clerk_a)
            await http.post(f"{b.base}/api/v1/halls/jinan/counters/4/open", headers=clerk_b)
            # Both processes write the same hall at once: numbers and seq are shared.
            await asyncio.gather(*(_issue(http, s.base, q, 40) for s in (a, b) for q in ("A", "B")))
            for _ in range(10):
                ra = await http.post(f"{a.base}/api/v1/halls/jinan/counters/1/call-next", headers=clerk_a)
                rb = await http.post(f"{b.base}/api/v1/halls/jinan/counters/4/call-next", headers=clerk_b)
                assert ra.status_code == rb.status_code == 200, (ra.text, rb.text)
                await http.post(f"{a.base}/api/v1/halls/jinan/counters/1/finish", headers=clerk_a)
                await http.post(f"{b.base}/api/v1/halls/jinan/counters/4/finish", headers=clerk_b)
            final = await _current_seq(http, b.base)
            for screen in screens:
                await screen.until(final)
            # One more call through A alone: B's screens show it at once, carried by Redis (the
            # log is only read after a gap or seconds of silence).
            await http.post(f"{a.base}/api/v1/halls/jinan/counters/1/call-next", headers=clerk_a)
            final += 1
            for screen in screens:
                await screen.until(final, timeout=1.5)
        first = screens[0].events()
        assert len(first) == final - screens[0].messages[0]["seq"]
        assert sum(1 for _, kind, _ in first if kind == "ticket.called") == 21
        for screen in screens:
            screen.assert_gapless()
            assert screen.events() == first, "the screens of the two processes disagree"
        numbers = [n for _, kind, n in first if kind == "ticket.issued" and n is not None]  # 160: none lacks one
        assert sorted(numbers) == sorted({*numbers}) and len(numbers) == 160  # no number issued twice
        for screen in screens:
            await screen.close()

    asyncio.run(scenario())


def test_uvicorn_workers_share_the_hall_through_redis(postgres_url: str, redis: RedisProcess,
                                                     tmp_path: Path) -> None:
    server = ServerProcess(seeded(postgres_url), tmp_path, redis_url=redis.url, workers=2).start()
    try:
        async def scenario() -> None:
            screens = [await Screen(f"{server.ws}/ws/halls/jinan/display").open() for _ in range(8)]
            async with httpx.AsyncClient(timeout=10) as http:
                await asyncio.gather(*(_issue(http, server.base, "A", 25) for _ in range(4)))
                final = await _current_seq(http, server.base)
            for screen in screens:
                await screen.until(final)
                screen.assert_gapless()
                assert screen.events() == screens[0].events()
                await screen.close()

        asyncio.run(scenario())
    finally:
        server.stop()


def test_a_booking_taken_through_one_process_moves_the_wait_the_other_shows(
        postgres_url: str, redis: RedisProcess, tmp_path: Path) -> None:
    """The wait estimates expect today's booked visitors (docs/eta.md); a booking taken through A
    reaches B's hall over the bus, so a newcomer reads the same wait from either."""
    url, clock = seeded(postgres_url), {"ONEWINDOW_CLOCK_AT": "2026-11-25T09:00:00+08:00"}  # a Wednesday
    a = ServerProcess(url, tmp_path, redis_url=redis.url, extra_env=clock).start()
    b = ServerProcess(url, tmp_path, redis_url=redis.url, extra_env=clock).start()

    async def newcomer(http: httpx.AsyncClient, base: str) -> int:
        rows = (await http.get(f"{base}/api/v1/halls/jinan/snapshot")).json()["queues"]
        return int(next(r for r in rows if r["code"] == "A")["eta_s"])

    try:
        async def scenario() -> None:
            async with httpx.AsyncClient(timeout=10) as http:
                clerk = await _clerk(http, a.base, "clerk01")
                opened = await http.post(f"{a.base}/api/v1/halls/jinan/counters/1/open", headers=clerk)
                assert opened.status_code == 200, opened.text
                await _issue(http, a.base, "A", 10)  # one counter: a newcomer waits about 50 minutes
                alone = await newcomer(http, b.base)
                for i, number in enumerate(("11010519491231002X", "110105194912310038", "110105194912310046")):
                    booked = await http.post(f"{a.base}/api/v1/halls/jinan/appointments", json={
                        "queue": "A", "date": "2026-11-25", "slot": "09:30", "name": f"张{i}丰",
                        "id_number": number, "phone": "13800138000"})
                    assert booked.status_code == 201, booked.text
                for _ in range(50):  # B hears of them within moments
                    if await newcomer(http, b.base) >= alone + 3 * 300 - 60:
                        break
                    await asyncio.sleep(0.1)
                assert await newcomer(http, b.base) >= alone + 3 * 300 - 60  # three booked go first
                assert abs(await newcomer(http, a.base) - await newcomer(http, b.base)) <= 5

        asyncio.run(scenario())
    finally:
        a.stop()
        b.stop()


def test_redis_restart_loses_nothing_on_any_screen(pair: tuple[ServerProcess, ServerProcess],
                                                    redis: RedisProcess) -> None:
    a, b = pair

    async def scenario() -> None:
        watcher = await Screen(f"{b.ws}/ws/halls/jinan/display").open()
        async with httpx.AsyncClient(timeout=10) as http:
            await _issue(http, a.base, "A", 3)
            await watcher.until(await _current_seq(http, a.base))
            redis.stop()
            await _issue(http, a.base, "A", 5)  # committed in PostgreSQL; Redis cannot carry them
            during = await _current_seq(http, a.base)
            assert (await http.get(f"{a.base}/healthz")).status_code == 503
            redis.start()
            await _wait_healthy(http, a.base)
            await _wait_healthy(http, b.base)
            await watcher.until(during)
            # Back to normal: a new ticket through A reaches the screen on B live.
            await _issue(http, a.base, "B", 1)
            await watcher.until(during + 1)
        watcher.assert_gapless()
        last = watcher.messages[-1]
        assert last["type"] == "ticket.issued" and last["ticket"]["number"] == "B001"
        snapshots = [m for m in watcher.messages[1:] if m["type"] == "snapshot"]
        # Redis came back: B was told it may have missed messages and resent every screen a snapshot
        # covering the tickets issued through A meanwhile.
        assert snapshots, "no fresh snapshot after Redis restarted"
        assert snapshots[-1]["seq"] >= during
        assert [q["waiting"] for q in snapshots[-1]["queues"] if q["code"] == "A"] == [8]
        await watcher.close()

    asyncio.run(scenario())


async def _wait_healthy(http: httpx.AsyncClient, base: str) -> None:
    for _ in range(int(WAIT_S / 0.1)):
        if (await http.get(f"{base}/healthz")).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{base} not healthy again after Redis restarted")


def test_a_screen_resumes_after_its_server_restarts(pair: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = pair

    async def scenario() -> None:
        screen = await Screen(f"{a.ws}/ws/halls/jinan/display").open()
        async with httpx.AsyncClient(timeout=10) as http:
            await _issue(http, b.base, "C", 2)
            await screen.until(await _current_seq(http, b.base))
            seen = screen.seq
            a.stop()
            await screen.close()
            await _issue(http, b.base, "C", 3)  # while the screen's server is down
            a.start()
            resumed = await Screen(f"{a.ws}/ws/halls/jinan/display", since=seen).open()
            final = await _current_seq(http, b.base)
            await resumed.until(final)
        assert [n for _, _, n in resumed.events()] == ["C003", "C004", "C005"]
        assert all(m["type"] == "ticket.issued" for m in resumed.messages)
        await resumed.close()

    asyncio.run(scenario())
