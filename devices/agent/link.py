"""The agent itself: its devices, its outbox, and its WebSocket to the server.

While connected it sends every event in the outbox in order and drops each as the server
acknowledges it; a heartbeat carries every device's state (every ``heartbeat_s`` and at once on
a change). Disconnected, the devices go on and the outbox grows; reconnection uses backoff with
jitter (1 s doubling to 30 s) so a hall's agents do not all knock at once after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from .config import AgentConfig
from .outbox import Outbox
from .workers import WORKERS, CounterBusWorker, PrinterWorker, Worker

log = logging.getLogger("onewindow.agent")

RECONNECT_FIRST_S = 1.0
RECONNECT_MAX_S = 30.0
STALE_CARD_READ = timedelta(minutes=5)  # the visitor has long left the kiosk: don't greet them late


class Agent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.outbox = Outbox(config.outbox)
        self.workers: dict[str, Worker] = {}
        self.connected = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._states_changed = asyncio.Event()
        self._in_flight: set[str] = set()
        self.refusal: str | None = None  # why the server last refused us, for the log and the tests

    # ------------------------------------------------------------------ devices (their threads)
    def emit(self, event: dict[str, Any]) -> None:
        """Called from a device thread: the event is on disk before anything else happens."""
        self.outbox.put(event, datetime.now(UTC).isoformat())
        self._threadsafe(self._wake.set)

    def _state_changed(self) -> None:
        self._threadsafe(self._states_changed.set)

    def _threadsafe(self, callback: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback)

    def states(self) -> dict[str, dict[str, str]]:
        return {kind: worker.status.as_dict() for kind, worker in self.workers.items()}

    # ------------------------------------------------------------------ life
    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._drop_stale_card_reads()
        for device in self.config.devices:
            worker_class = WORKERS[device.kind]
            if worker_class is PrinterWorker:
                worker: Worker = PrinterWorker(device, self.emit, self._state_changed, self.config.status_poll_s)
            else:
                worker = worker_class(device, self.emit, self._state_changed)
            self.workers[device.kind] = worker
            worker.start()
        try:
            await self._keep_connected()
        finally:
            for worker in self.workers.values():
                await asyncio.to_thread(worker.stop)
            self.outbox.close()

    async def _keep_connected(self) -> None:
        delay = RECONNECT_FIRST_S
        headers = {"Authorization": f"Bearer {self.config.token}"}
        while True:
            try:
                async with connect(self.config.socket_url, additional_headers=headers, open_timeout=10,
                                   ping_interval=20, ping_timeout=20, max_size=2**20) as socket:
                    delay = RECONNECT_FIRST_S
                    await self._session(socket)
            except (OSError, TimeoutError, WebSocketException) as error:
                if isinstance(error, InvalidStatus):
                    log.error("server refused the connection: HTTP %s", error.response.status_code)
                else:
                    log.info("server unreachable (%s); %d events kept; retrying in %.0f s",
                             error.__class__.__name__, len(self.outbox), delay)
            finally:
                self.connected.clear()
                self._in_flight.clear()
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, RECONNECT_MAX_S)

    async def _session(self, socket: ClientConnection) -> None:
        counters = sorted({n for w in self.workers.values() for n in w.config.counters.values()})
        await socket.send(json.dumps({"type": "hello", "counters": counters, "devices": self.states()}))
        tasks = [asyncio.create_task(self._send_events(socket)), asyncio.create_task(self._heartbeat(socket))]
        try:
            async for raw in socket:
                self._received(raw)
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if socket.close_code == 1008:
                self.refusal = socket.close_reason
                log.error("server refused this agent: %s", socket.close_reason)

    def _received(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            log.warning("server sent a message that is not JSON with a type; ignored")
            return
        if kind == "welcome":
            log.info("connected to %s as agent of hall %s; %d events to deliver", self.config.server,
                     message.get("hall"), len(self.outbox))
            self.connected.set()
        elif kind == "ack":
            self.outbox.remove(str(message.get("id")))
            self._in_flight.discard(str(message.get("id")))
            if not message.get("ok"):
                error = message.get("error") or {}
                log.info("server refused an event: %s", error.get("message", error.get("code")))
        elif kind == "print" and isinstance(self.workers.get("printer"), PrinterWorker):
            self.workers["printer"].submit(message)  # type: ignore[attr-defined]
        elif kind == "print":
            log.warning("server sent a print job, but this agent has no printer")
        elif kind in ("strip", "beep") and isinstance(self.workers.get("counterbus"), CounterBusWorker):
            bus = self.workers["counterbus"]
            assert isinstance(bus, CounterBusWorker)
            counter = message.get("counter")
            if isinstance(counter, int):
                bus.strip(counter, str(message.get("number") or "")) if kind == "strip" else bus.beep(counter)
        elif kind == "error":
            log.warning("server rejected a message: %s", message.get("message"))

    async def _send_events(self, socket: ClientConnection) -> None:
        await self.connected.wait()
        while True:
            self._wake.clear()
            for event_id, at, event in self.outbox.pending():
                if event_id in self._in_flight:
                    continue
                self._in_flight.add(event_id)
                await socket.send(json.dumps({"type": "event", "id": event_id, "at": at, "event": event},
                                             ensure_ascii=False))
            await self._wake.wait()

    async def _heartbeat(self, socket: ClientConnection) -> None:
        while True:
            self._states_changed.clear()
            await socket.send(json.dumps({"type": "heartbeat", "devices": self.states()}))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._states_changed.wait(), self.config.heartbeat_s)

    def _drop_stale_card_reads(self) -> None:
        """Card reads left from before a restart: too old to greet anyone, and personal data on disk."""
        now = datetime.now(UTC)
        for event_id, at, event in self.outbox.pending():
            if event.get("type") == "card.read" and now - datetime.fromisoformat(at) > STALE_CARD_READ:
                self.outbox.remove(event_id)


async def run_agent(config: AgentConfig) -> None:
    await Agent(config).run()
