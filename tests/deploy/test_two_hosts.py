"""The several-hosts layout of docs/deploy.md, for real: two application hosts (network namespaces
on a private bridge), each `onewindow serve --workers 2`, one PostgreSQL, one Redis, Debian's nginx
in front with deploy/nginx/onewindow.conf. 200 wall displays, a kiosk issuing and 12 counters
calling, all through nginx; one host is killed mid-load.

What the hall would notice: the displays that were on the dead host come back through nginx on the
other one and resume with ?since=, so at the end every display holds the same gapless sequence as
the event log; no ticket was called at two counters; every ticket a kiosk was told about exists."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import create_engine, text
from websockets.exceptions import WebSocketException

from tests.api.conftest import KIOSK
from tests.deploy.hosts import Host, Network, Nginx
from tests.servers import RedisProcess, seeded

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

DISPLAYS = 200
COUNTERS = range(1, 13)
QUEUES = ("A", "B", "C", "D")
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate


@pytest.fixture
def layout(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Nginx, list[Host], str]]:
    url = seeded(postgres_url)
    redis = RedisProcess(tmp_path).start()
    network = Network.create(hosts=2)
    hosts: list[Host] = []
    proxy: Nginx | None = None
    try:
        network.relay(5432)
        network.relay(redis.port)
        database = network.service_url(url)
        hosts = [Host(address, namespace, database, network.service_url(redis.url), network.proxy_source, tmp_path)
                 for address, namespace in zip(network.addresses, network.namespaces, strict=True)]
        for host in hosts:  # started together: their migrations take turns (server/store/migrate.py)
            host.start()
        for host in hosts:
            host.wait_healthy()
        proxy = Nginx(hosts, tmp_path).start()
        yield proxy, hosts, url
    finally:
        if proxy is not None:
            proxy.stop()
        for host in hosts:
            host.stop()
        network.remove()
        redis.stop()


class Display:
    """A wall display as displays/static/js/display.js behaves: on a lost socket it reconnects (through
    nginx, to whichever host answers) with ?since= the last seq it holds."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.messages: list[dict[str, Any]] = []
        self.reconnects = 0
        self.resumed_with_events = 0
        self.stopping = False

    @property
    def seq(self) -> int:
        return int(self.messages[-1]["seq"]) if self.messages else 0

    async def run(self) -> None:
        while not self.stopping:
            since = f"?since={self.seq}" if self.messages else ""
            first = True
            with contextlib.suppress(OSError, WebSocketException, TimeoutError):
                async with websockets.connect(self.url + since, ssl=TLS, compression=None, open_timeout=15) as ws:
                    async for raw in ws:
                        message = json.loads(raw)
                        if first and since and message["type"] != "snapshot":
                            self.resumed_with_events += 1
                        first = False
                        self.messages.append(message)
            if self.stopping:
                return
            self.reconnects += 1
            await asyncio.sleep(0.3 + random.random())  # screens do not all come back in the same instant

    def check_against(self, log: dict[int, tuple[str, str | None]]) -> None:
        """Gapless, and each event the very one the log holds under its seq."""
        assert self.messages and self.messages[0]["type"] == "snapshot"
        seq = self.messages[0]["seq"]
        for message in self.messages[1:]:
            if message["type"] == "snapshot":
                assert message["seq"] >= seq, f"a snapshot went back from {seq} to {message['seq']}"
            else:
                assert message["seq"] == seq + 1, f"after seq {seq} came {message['seq']} ({message['type']})"
                number = (message.get("ticket") or {}).get("number")
                assert log[message["seq"]] == (message["type"], number), f"seq {message['seq']} is not the log's"
            seq = message["seq"]


async def _issue(http: httpx.AsyncClient, base: str, acknowledged: list[str], stop: asyncio.Event) -> None:
    """A kiosk: one key per press, the same key again after a lost answer (docs/idempotency.md)."""
    while not stop.is_set():
        key = uuid.uuid4().hex
        queue = random.choice(QUEUES)
        for _ in range(30):
            try:
                answer = await http.post(f"{base}/api/v1/halls/jinan/tickets", json={"queue": queue},
                                         headers={**KIOSK, "Idempotency-Key": key})
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            if answer.status_code in (200, 201):
                acknowledged.append(answer.json()["id"])
                break
            assert answer.status_code >= 500, answer.text  # only the dead host's 502 may be retried
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.08)


async def _counter(http: httpx.AsyncClient, base: str, number: int, calls: list[float], stop: asyncio.Event) -> None:
    """A clerk at counter N: open, then call the next visitor and finish, again and again."""
    headers: dict[str, str] = {}
    action = f"{base}/api/v1/halls/jinan/counters/{number}"
    while not headers:
        with contextlib.suppress(httpx.HTTPError):
            login = await http.post(f"{base}/api/v1/auth/login",
                                    json={"username": f"clerk{number:02d}", "password": "demo1234"})
            if login.status_code == 200:
                headers = {"Authorization": f"Bearer {login.json()['token']}"}
    opened = False
    while not stop.is_set():
        try:
            if not opened:
                answer = await http.post(f"{action}/open", headers=headers)
                opened = answer.status_code in (200, 409)
                continue
            called = await http.post(f"{action}/call-next", headers=headers)
            if called.status_code == 200:
                calls.append(time.monotonic())
                await asyncio.sleep(0.05)
                await http.post(f"{action}/finish", headers=headers)
            else:
                await asyncio.sleep(0.2)
        except httpx.HTTPError:
            await asyncio.sleep(0.2)


def _log(url: str) -> dict[int, tuple[str, str | None]]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, type, public FROM events WHERE hall = 'jinan' ORDER BY seq")).all()
    engine.dispose()
    log = {}
    for seq, kind, public in rows:
        message = public if isinstance(public, dict) else json.loads(public)
        log[int(seq)] = (kind, (message.get("ticket") or {}).get("number"))
    return log


def _tickets(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        ids = {row[0] for row in conn.execute(text("SELECT id FROM tickets WHERE hall = 'jinan'"))}
    engine.dispose()
    return ids


def _calls(url: str) -> dict[str, set[int]]:
    """Each ticket's counters, from every ticket.called in the log."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT public FROM events WHERE hall = 'jinan' AND type = 'ticket.called'")).all()
    engine.dispose()
    counters: dict[str, set[int]] = {}
    for (public,) in rows:
        message = public if isinstance(public, dict) else json.loads(public)
        ticket = message["ticket"]
        counters.setdefault(ticket["id"], set()).add(int(ticket["counter"]))
    return counters


def test_a_host_dies_under_load_and_nothing_is_lost(layout: tuple[Nginx, list[Host], str]) -> None:
    proxy, (doomed, survivor), url = layout

    async def scenario() -> tuple[list[Display], list[str], list[float], float]:
        displays = [Display(f"{proxy.ws}/ws/halls/jinan/display") for _ in range(DISPLAYS)]
        readers = [asyncio.create_task(display.run()) for display in displays]
        deadline = time.monotonic() + 60
        while any(not display.messages for display in displays):
            assert time.monotonic() < deadline, "not every display got its snapshot through nginx"
            await asyncio.sleep(0.1)
        acknowledged: list[str] = []
        calls: list[float] = []
        stop = asyncio.Event()
        limits = httpx.Limits(max_connections=40)
        async with httpx.AsyncClient(base_url=proxy.base, verify=False, timeout=20, limits=limits) as http:
            # static files come from nginx itself, with the cache rule of the site file
            script = await http.get("/static/js/display.js")
            assert script.status_code == 200 and "must-revalidate" in script.headers["cache-control"]
            load = [asyncio.create_task(_issue(http, proxy.base, acknowledged, stop)) for _ in range(2)]
            load += [asyncio.create_task(_counter(http, proxy.base, n, calls, stop)) for n in COUNTERS]
            while len(acknowledged) < 40:
                await asyncio.sleep(0.1)
            await asyncio.get_running_loop().run_in_executor(None, doomed.kill)
            killed_at = time.monotonic()
            while len(acknowledged) < 100 or not [at for at in calls if at > killed_at + 2]:
                assert time.monotonic() < killed_at + 90, (
                    f"the hall did not carry on after a host died: {len(acknowledged)} tickets, "
                    f"{len(calls)} calls; nginx: {proxy.errors()}\nsurvivor: {survivor.log()}")
                await asyncio.sleep(0.2)
            stop.set()
            await asyncio.gather(*load)
        last = max((await asyncio.get_running_loop().run_in_executor(None, _log, url)).keys())
        deadline = time.monotonic() + 60
        while any(display.seq < last for display in displays):
            behind = [display.seq for display in displays if display.seq < last]
            assert time.monotonic() < deadline, f"{len(behind)} displays stopped short of seq {last}: {behind[:5]}"
            await asyncio.sleep(0.2)
        for display in displays:
            display.stopping = True
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        return displays, acknowledged, calls, killed_at

    displays, acknowledged, calls, killed_at = asyncio.run(scenario())
    log = _log(url)
    assert sorted(log) == list(range(min(log), max(log) + 1)), "the log itself has a gap"
    moved = [display for display in displays if display.reconnects]
    # nginx spread the displays over both hosts: the dead host's came back through the other
    assert len(moved) >= DISPLAYS // 4, f"only {len(moved)} displays reconnected"
    assert sum(display.resumed_with_events for display in moved) >= len(moved) // 2, (
        "the displays that came back got fresh snapshots instead of the events they missed")
    for display in displays:
        display.check_against(log)
        assert display.seq == max(log)
    twice = {ticket: counters for ticket, counters in _calls(url).items() if len(counters) > 1}
    assert not twice, f"tickets called at two counters: {twice}"
    stored = _tickets(url)
    assert not set(acknowledged) - stored, "tickets a kiosk was told about are gone"
    assert not stored - set(acknowledged), "a press retried after the host died issued a second ticket"
    assert [at for at in calls if at > killed_at], "no counter called after the host died"
