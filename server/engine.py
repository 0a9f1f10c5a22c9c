"""Runs hall commands durably: the bridge between the pure domain, the database and the bus.

One writer task per hall takes the commands waiting for it as one batch (group commit):

1. in the hall's database thread: begin, take the hall lock (SQLite ``BEGIN IMMEDIATE``,
   PostgreSQL ``SELECT … FOR UPDATE`` on the hall row) and read the events other processes
   wrote since our cached state;
2. on the event loop: replay those events, roll the hall over to today (its own events, stored
   with the batch, so that no command sees yesterday's state), then run each command against
   the state; a command's DomainError refuses that command alone;
3. in the thread: append the events and projections, and any small writes riding along
   (audit entries, ``write_along``), commit: one transaction and one fsync for all of them;
4. on the event loop: answer every caller, then publish the events, only now that they are
   durable.

The lock makes issuing a number and calling the next ticket atomic across processes; the
batch makes the saturated rate several times one transaction per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from server import metrics
from server.bus import Bus, BusUnavailable
from server.channels import hall_channel
from server.domain.clock import Clock
from server.domain.errors import DomainError, UnknownHall
from server.domain.hall import Hall
from server.domain.model import Event
from server.domain.views import public_event
from server.outage import STORAGE_ERRORS, Outage, describe
from server.store import rebuild, repo
from server.store.db import Database

log = logging.getLogger("onewindow.engine")

Command = Callable[[Hall, datetime], list[Event]]
T = TypeVar("T")
MAX_BATCH = 256
MAX_OUTBOX = 10_000
CATCH_UP_LIMIT = 5000  # further behind than this, reloading the projections is cheaper


READS, WRITES = "reads", "writes"


class StorageError(Exception):
    """The database is unreachable or refused a write; the caller sees a 503 with Retry-After,
    and a command that got it did not happen."""

@dataclass
class _Pending:
    command: Command
    future: asyncio.Future[list[Event]]
    rider: Callable[[Connection], None] | None = None  # a write outside the hall log, in the same commit


def _no_events(state: Hall, now: datetime) -> list[Event]:
    return []


@dataclass
class HallRuntime:
    code: str
    state: Hall | None = None
    pending: asyncio.Queue[_Pending] = field(default_factory=asyncio.Queue)
    thread: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="hall"))
    writer: asyncio.Task[None] | None = None
    refreshing: asyncio.Future[None] | None = None
    # True while a batch's events are applied but not yet committed: the state is then ahead of
    # the log, and nothing may be shown from it (a rolled-back event must never reach a screen).
    mutating: bool = False
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    outbox: deque[dict[str, Any]] = field(default_factory=deque)  # committed, not yet on the bus
    publisher: asyncio.Task[None] | None = None


class HallEngine:
    def __init__(self, db: Database, bus: Bus, clock: Clock, shared: bool = False) -> None:
        """``shared``: other processes may write the same halls, so reads check for their events."""
        self.db = db
        self.bus = bus
        self.clock = clock
        self.shared = shared
        self._halls: dict[str, HallRuntime] = {}
        self._reads = ThreadPoolExecutor(4, thread_name_prefix="db-read")
        # Called with (hall, public events) right after each commit, before the bus publish:
        # this process's own screens need not wait for a Redis round trip, nor for Redis at all.
        self.on_commit: list[Callable[[str, list[dict[str, Any]]], None]] = []
        # Called in the loading thread with each hall loaded from the store, before anyone sees it:
        # what its estimates take from outside its log (today's bookings: server/services/appointments.py).
        self.on_load: list[Callable[[Connection, Hall, datetime], None]] = []
        # One outage, reads and writes told apart: a full disk still answers every read.
        self.storage = Outage("database", log)

    async def close(self) -> None:
        for rt in self._halls.values():
            if rt.writer:
                rt.writer.cancel()
        publishers = [rt.publisher for rt in self._halls.values() if rt.publisher and not rt.publisher.done()]
        if publishers:  # let committed events reach the other processes; the log has them anyway
            _, late = await asyncio.wait(publishers, timeout=1.0)
            for task in late:
                task.cancel()
        for rt in self._halls.values():
            if rt.writer:
                await asyncio.gather(rt.writer, return_exceptions=True)
            rt.thread.shutdown(wait=True)
        self._reads.shutdown(wait=True)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run a read-only query off the event loop. StorageError while the database is away."""

        def run() -> T:
            with self.db.reader.connect() as conn:
                return fn(conn)

        return await self._guarded(READS, run)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run a small write outside the hall log (accounts, tokens) off the event loop."""

        def run() -> T:
            with self.db.writer.begin() as conn:
                return fn(conn)

        return await self._guarded(WRITES, run)

    async def write_along(self, fn: Callable[[Connection], None], hall: str | None) -> None:
        """Run a small write outside the hall log (a batch of audit entries) inside the next commit
        of ``hall``'s writer, whose lock it then shares: on SQLite a write transaction of its own
        beside the hall's costs a second fsync and a wait for the write lock. StorageError as for
        ``write``; a hall this process has not loaded gets a transaction of its own."""
        rt = self._halls.get(hall) if hall is not None else None
        if rt is None or rt.state is None:
            await self.write(fn)
        else:
            await self._queue(rt, _no_events, fn)

    async def _guarded(self, kind: str, run: Callable[[], T]) -> T:
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._reads, run)
        except STORAGE_ERRORS as exc:
            self.storage.failed(exc, kind)
            raise StorageError(describe(exc)) from None
        self.storage.ok(kind)
        return result

    # ------------------------------------------------------------------ reading a hall
    async def hall(self, code: str) -> Hall:
        """The hall's state, loaded on first use and, when shared, caught up with the log."""
        rt = self._runtime(code)
        if rt.state is None:
            await self._refresh(rt, full=True)
        elif self.shared:
            await self._refresh(rt, full=False)
        if rt.state is None:  # a failed write dropped the state while we waited: load it once more
            await self._refresh(rt, full=True)
        if rt.state is None:
            raise UnknownHall(f"没有大厅 {code}", f"no hall {code!r}")
        return rt.state

    async def committed_hall(self, code: str) -> Hall:
        """The hall's state as committed: never showing a batch that is still being written."""
        while True:
            await self.hall(code)
            rt = self._halls[code]
            while rt.mutating:
                rt.settled.clear()
                await rt.settled.wait()
            if rt.state is not None:
                return rt.state

    async def loaded_halls(self) -> list[Hall]:
        """Every hall this process holds in memory, caught up when shared."""
        return [await self.hall(code) for code, rt in list(self._halls.items()) if rt.state is not None]

    def _runtime(self, code: str) -> HallRuntime:
        rt = self._halls.get(code)
        if rt is None:
            rt = self._halls[code] = HallRuntime(code)
        return rt

    async def _refresh(self, rt: HallRuntime, full: bool) -> None:
        if rt.refreshing is not None:  # one query serves every reader that asked meanwhile
            return await asyncio.shield(rt.refreshing)
        rt.refreshing = asyncio.get_running_loop().create_future()
        try:
            known = None if full or rt.state is None else rt.state.seq
            now = self.clock.now()
            loaded, rows = await self.read(lambda conn: self._catch_up(conn, rt.code, known, now))
            if loaded is not None:
                rt.state = loaded
            elif rt.state is not None:
                for row in rows:
                    rt.state.apply(repo.row_to_event(row))
            rt.refreshing.set_result(None)
        except BaseException as exc:
            rt.refreshing.set_exception(exc)
            rt.refreshing.exception()  # retrieved: readers get it through await
            raise
        finally:
            rt.refreshing = None

    def _load(self, conn: Connection, code: str, now: datetime) -> Hall | None:
        hall = rebuild.load_hall(conn, code, now)
        if hall is not None:
            for hook in self.on_load:
                hook(conn, hall, now)
        return hall

    def _catch_up(self, conn: Connection, code: str, known: int | None, now: datetime) -> tuple[Hall | None, list[Any]]:
        """Either a freshly loaded hall, or the events after ``known``."""
        if known is None:
            return self._load(conn, code, now), []
        seq = repo.current_seq(conn, code)
        if seq is None or seq <= known:
            return None, []
        if seq - known > CATCH_UP_LIMIT:
            return self._load(conn, code, now), []
        return None, list(repo.events_since(conn, code, known))

    # ------------------------------------------------------------------ writing
    async def run(self, code: str, command: Command) -> list[Event]:
        """Run one command durably; returns its events once committed."""
        rt = self._runtime(code)
        if rt.state is None:
            await self.hall(code)
        return await self._queue(rt, command)

    def _queue(self, rt: HallRuntime, command: Command,
               rider: Callable[[Connection], None] | None = None) -> asyncio.Future[list[Event]]:
        """Hand a command (and a write riding along) to the hall's writer, started if need be."""
        if rt.writer is None or rt.writer.done():
            rt.writer = asyncio.create_task(self._write_loop(rt), name=f"writer:{rt.code}")
        future: asyncio.Future[list[Event]] = asyncio.get_running_loop().create_future()
        rt.pending.put_nowait(_Pending(command, future, rider))
        return future

    async def _write_loop(self, rt: HallRuntime) -> None:
        while True:
            batch = [await rt.pending.get()]
            while not rt.pending.empty() and len(batch) < MAX_BATCH:
                batch.append(rt.pending.get_nowait())
            try:
                await self._write_batch(rt, batch)
            except Exception as exc:  # the database failed: nothing in this batch happened
                if isinstance(exc, (*STORAGE_ERRORS, StorageError)):
                    self.storage.failed(exc, WRITES)  # logged once per outage, not once per batch
                else:
                    log.exception("hall %s: write failed, reloading state", rt.code)
                rt.state = None
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(StorageError(describe(exc)))
            else:
                self.storage.ok(WRITES)

    async def _write_batch(self, rt: HallRuntime, batch: list[_Pending]) -> None:
        if not batch:
            return
        loop = asyncio.get_running_loop()
        known = rt.state.seq if rt.state is not None else None
        conn, loaded, rows = await loop.run_in_executor(rt.thread, self._begin, rt.code, known, self.clock.now())
        rt.mutating = True
        try:
            if loaded is not None:
                rt.state = loaded
            state = rt.state
            if state is None:
                raise UnknownHall(f"没有大厅 {rt.code}", f"no hall {rt.code!r}")
            for row in rows:
                state.apply(repo.row_to_event(row))
            now = self.clock.now()
            # The day change first: a command refused after it would otherwise have applied its
            # events to the state without handing them over to be stored.
            written: list[Event] = state.roll_day(now)
            outcomes: list[list[Event] | BaseException] = []
            for index, item in enumerate(batch):
                try:
                    events = item.command(state, now)
                except DomainError as exc:
                    outcomes.append(exc)
                    continue
                except Exception as exc:
                    # A bug: it may have emitted events before failing, so nothing of this batch
                    # may be committed (seq would get a gap). Roll back, reload, redo the others.
                    log.exception("hall %s: command failed; batch rolled back and retried", rt.code)
                    rt.state = None
                    self._settle(rt)
                    await loop.run_in_executor(rt.thread, conn.close)
                    item.future.set_exception(exc)
                    await self._write_batch(rt, batch[:index] + batch[index + 1:])
                    return
                written.extend(events)
                outcomes.append(events)
            public = [public_event(state, e) for e in written]
            riders = [item.rider for item in batch if item.rider is not None]
            await loop.run_in_executor(rt.thread, self._commit, conn, rt.code, written, public, riders)
            metrics.WRITE_BATCH_SIZE.observe(len(batch))
            metrics.count_ticket_events(rt.code, written)
        except BaseException:
            rt.state = None  # it may hold events that were never committed: reload on next use
            self._settle(rt)
            await loop.run_in_executor(rt.thread, conn.close)
            raise
        self._settle(rt)
        for item, outcome in zip(batch, outcomes, strict=True):
            if item.future.done():
                continue
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)
        if not public:
            return
        if len(rt.outbox) + len(public) > MAX_OUTBOX:
            log.warning("hall %s: the bus is not taking events; other processes will read them from the log",
                        rt.code)
            rt.outbox.clear()
        rt.outbox.extend(public)
        if rt.publisher is None or rt.publisher.done():
            rt.publisher = asyncio.create_task(self._publish(rt), name=f"publisher:{rt.code}")
        # This process's screens last, on the next turn of the loop: the callers' answers and the
        # bus write (other processes' screens) go out first instead of waiting for the fan-out.
        loop.call_soon(self._notify, rt.code, public)

    def _notify(self, code: str, public: list[dict[str, Any]]) -> None:
        for listener in self.on_commit:
            listener(code, public)

    async def _publish(self, rt: HallRuntime) -> None:
        """Hand committed events to the bus in order, off the writer's path: a slow or absent Redis
        must never hold up the hall. What fails to go out, the other processes read from the log."""
        channel = hall_channel(rt.code)
        while rt.outbox:
            message = rt.outbox.popleft()
            try:
                await self.bus.publish(channel, message)
            except BusUnavailable:  # the bus logs its outage once; the other processes read the log
                rt.outbox.clear()
            except Exception as exc:
                log.warning("hall %s: publishing event %s failed (%s); dropping %d queued", rt.code,
                            message.get("seq"), exc, len(rt.outbox))
                rt.outbox.clear()

    @staticmethod
    def _settle(rt: HallRuntime) -> None:
        rt.mutating = False
        rt.settled.set()

    def _begin(self, code: str, known: int | None, now: datetime) -> tuple[Connection, Hall | None, list[Any]]:
        conn = self.db.writer.connect()
        try:
            conn.begin()
            seq = repo.lock_hall(conn, code)
            if seq is None:
                return conn, None, []
            if known is None or seq < known or seq - known > CATCH_UP_LIMIT:
                return conn, self._load(conn, code, now), []
            if seq == known:
                return conn, None, []
            return conn, None, list(repo.events_since(conn, code, known))
        except BaseException:
            conn.close()
            raise

    @staticmethod
    def _commit(conn: Connection, code: str, events: list[Event], public: list[dict[str, Any]],
                riders: list[Callable[[Connection], None]]) -> None:
        try:
            repo.write_events(conn, code, events, public)
            for rider in riders:
                try:
                    with conn.begin_nested():  # its own savepoint: a rider's bug never costs the hall its batch
                        rider(conn)
                except STORAGE_ERRORS:
                    raise
                except Exception:
                    log.exception("hall %s: a write riding along its batch failed; the batch goes on", code)
            conn.commit()
        finally:
            conn.close()
