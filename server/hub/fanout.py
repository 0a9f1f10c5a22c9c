"""One hall's live stream in this process: every hall event, in ``seq`` order, to every client.

Events arrive from this process's own commits (at once) and from the bus (this process's again,
and every other process's). They may arrive twice or out of order (two processes commit one
after the other but publish in the other order), so the fan-out keeps the last ``seq`` it
delivered, drops what it already had, holds an early event briefly, and fills a gap that does
not close from the event log. The bus reporting that it may have lost messages (Redis came back)
sends every client a fresh snapshot.

A client joins by parking: from the moment it is registered, events wait for it (no await in
between, so none can slip past); then it gets its snapshot or replay, then what was parked.

A display that connects with ``?issued=counts`` gets every event but ``ticket.issued``: those are
folded into one ``queue.counts`` message (each queue's waiting count and estimate, ``as_of`` the
hall's seq) at most twice a second. A kiosk issuing flat out commits hundreds of batches a second,
and a write per batch to each of 2,000 walls left no time for the call they exist to show.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from server.channels import hall_channel
from server.domain.hall import Hall
from server.domain.model import TicketStatus
from server.domain.views import iso, public_ticket, queue_rows
from server.store import repo
from server.tasks import cancel_and_wait

from .client import Client, Out, dumps, hall_event, outgoing

if TYPE_CHECKING:
    from . import Hub

log = logging.getLogger("onewindow.hub")

RING_SIZE = 1024  # recent events kept in memory for ?since= without a query
MAX_REPLAY = 2000  # further behind than this, a snapshot is shorter than the events
GAP_WAIT_S = 0.05  # how long an early event waits for the one before it before the log is asked
POSITION_DELAY_S = 0.1  # phones' "people ahead" is recomputed at most this often
IDLE_CHECK_S = 5.0  # with no events, how often the log is asked whether one was missed
COUNTS_S = 0.5  # displays with ?issued=counts get the queues' counts at most this often


class HallFanout:
    def __init__(self, hub: Hub, code: str) -> None:
        self.hub = hub
        self.code = code
        self.clients: set[Client] = set()  # feeds that carry every hall event
        self.folding: set[Client] = set()  # displays that take issued tickets as counts (?issued=counts)
        self.by_ticket: dict[str, set[Client]] = {}  # phones following one ticket
        self.delivered: int | None = None  # None while resynchronising: arrivals are held
        self.ring: deque[Out] = deque(maxlen=RING_SIZE)
        self._run: list[Out] = []  # emitted, to be sent together by flush()
        self.held: dict[int, dict[str, Any]] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._gap_timer: asyncio.TimerHandle | None = None
        self._positions: asyncio.TimerHandle | None = None
        self._counts: asyncio.TimerHandle | None = None
        self._counts_sent = 0.0  # loop time of the last queue.counts
        self._jobs: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self.task is None or self.task.done():
            self.ready.clear()
            self.task = asyncio.create_task(self._listen(), name=f"fanout:{self.code}")

    async def stop(self) -> None:
        for handle in (self._gap_timer, self._positions, self._counts):
            if handle is not None:
                handle.cancel()
        await cancel_and_wait(self.task, *self._jobs)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._jobs.add(task)
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[Any]) -> None:
        self._jobs.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("hall %s: live update job failed", self.code, exc_info=task.exception())

    async def _listen(self) -> None:
        async with self.hub.bus.subscribe(hall_channel(self.code)) as sub:
            await self._resync()
            self.ready.set()
            while True:
                try:
                    message = await asyncio.wait_for(sub.get(), IDLE_CHECK_S)
                except TimeoutError:
                    self._spawn(self._check_log())
                    continue
                self.ingest_all([message, *sub.drain()])  # what else arrived meanwhile goes out in one write

    # ------------------------------------------------------------------ events in
    def ingest_all(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if message.get("type") == "bus.reset":
                self._spawn(self._resync())
            else:
                self.ingest(message)
        self.flush()

    def ingest(self, message: dict[str, Any]) -> None:
        """Take one event; ``flush`` sends what it released."""
        seq = message.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return
        if self.delivered is None or seq > self.delivered + 1:
            self.held[seq] = message
            if self.delivered is not None:
                self._expect_gap_filled()
            return
        if seq <= self.delivered:
            return
        self._emit(message)
        self._release_held()

    def _release_held(self) -> None:
        assert self.delivered is not None
        for seq in [s for s in self.held if s <= self.delivered]:
            del self.held[seq]
        while (nxt := self.held.pop(self.delivered + 1, None)) is not None:
            self._emit(nxt)
        if self.held:
            self._expect_gap_filled()
        elif self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None

    def _expect_gap_filled(self) -> None:
        if self._gap_timer is None:
            self._gap_timer = asyncio.get_running_loop().call_later(
                GAP_WAIT_S, lambda: self._spawn(self._fill_gap()))

    async def _fill_gap(self) -> None:
        self._gap_timer = None
        if not self.held or self.delivered is None:
            return
        log.info("hall %s: events after %d came out of order or were lost; reading them from the log",
                 self.code, self.delivered)
        await self._read_log()

    async def _check_log(self) -> None:
        """Quiet hall: make sure no event was lost without the bus noticing."""
        if self.delivered is not None and not self.held:
            seq = await self.hub.engine.read(lambda conn: repo.current_seq(conn, self.code))
            if seq is not None and self.delivered is not None and seq > self.delivered:
                await self._read_log()

    async def _read_log(self) -> None:
        after = self.delivered
        if after is None:
            return
        rows = await self.hub.engine.read(lambda conn: list(repo.events_since(conn, self.code, after, MAX_REPLAY)))
        if len(rows) >= MAX_REPLAY or (rows and rows[0].seq != after + 1):
            await self._resync()
            return
        self.ingest_all([row.public for row in rows])

    def _emit(self, message: dict[str, Any]) -> None:
        out = hall_event(message)
        self.ring.append(out)
        self.delivered = out.seq
        self._run.append(out)

    def flush(self) -> None:
        """Send the events released since the last flush: frames joined once, one write per client."""
        if not self._run:
            return
        run, self._run = self._run, []
        wire = run[0].wire if len(run) == 1 else b"".join(out.wire for out in run)
        for client in self.clients:
            client.offer_run(run, wire)
        if self.folding:
            kept = [out for out in run if not out.foldable]
            if kept:
                kept_wire = wire if len(kept) == len(run) else b"".join(out.wire for out in kept)
                for client in self.folding:
                    client.offer_run(kept, kept_wire)
            if len(kept) < len(run):
                self._counts_soon()
        if self.by_ticket:
            for out in run:
                for client in self.by_ticket.get(out.ticket_id, ()) if out.ticket_id is not None else ():
                    client.offer(out)
            self._positions_soon()

    # ------------------------------------------------------------------ clients
    def add(self, client: Client) -> None:
        client.pending = []
        client.on_overflow = self._overflowed
        if client.feed.every_event:
            (self.folding if client.params.get("issued") == "counts" else self.clients).add(client)
        else:
            self.by_ticket.setdefault(client.params["ticket_id"], set()).add(client)

    def remove(self, client: Client) -> None:
        self.clients.discard(client)
        self.folding.discard(client)
        ticket_id = client.params.get("ticket_id")
        subs = self.by_ticket.get(ticket_id) if isinstance(ticket_id, str) else None
        if subs is not None and isinstance(ticket_id, str):
            subs.discard(client)
            if not subs:
                del self.by_ticket[ticket_id]

    def count(self) -> int:
        return len(self.clients) + len(self.folding) + sum(len(s) for s in self.by_ticket.values())

    async def join(self, client: Client, since: int | None) -> None:
        """Register ``client`` first, then bring it up to date: replay from ``since`` or a snapshot."""
        self.start()
        await self.ready.wait()
        self.add(client)
        if since is not None and (self._replay_from_ring(client, since) or await self._replay_from_log(client, since)):
            if not client.feed.every_event:  # a phone back from sleep: others may have moved ahead of it
                client.params.pop("position", None)
                self._positions_soon()
            elif client in self.folding:  # the tickets issued meanwhile, as counts
                self._counts_soon()
            return
        await self._send_snapshot(client)

    def _replay_from_ring(self, client: Client, since: int) -> bool:
        if self.delivered is None or since > self.delivered or not self.ring:
            return False
        if since < self.ring[0].seq - 1:
            return False
        client.seq = since
        for out in self.ring:
            if out.seq > since and self._wants(client, out):
                client.push(out)
        client.go_live(self.delivered)
        return True

    async def _replay_from_log(self, client: Client, since: int) -> bool:
        current, rows = await self.hub.engine.read(lambda conn: (
            repo.current_seq(conn, self.code), list(repo.events_since(conn, self.code, since, MAX_REPLAY))))
        if current is None or since > current or len(rows) >= MAX_REPLAY or (rows and rows[0].seq != since + 1):
            return False
        if rows and rows[-1].seq - rows[0].seq != len(rows) - 1:  # a restore's jump: another history before it
            return False
        client.seq = since
        last = since
        for row in rows:
            last = row.seq
            out = hall_event(row.public)
            if self._wants(client, out):
                client.push(out)
        client.go_live(last)
        return True

    def _wants(self, client: Client, out: Out) -> bool:
        """Whether a replayed event is for this client: what ``flush`` would have sent it live."""
        if not client.feed.every_event:
            return out.ticket_id == client.params.get("ticket_id")
        return not (out.foldable and client in self.folding)

    async def _send_snapshot(self, client: Client) -> None:
        hall = await self.hub.engine.committed_hall(self.code)
        if client.closed:
            return
        client.push(outgoing(dumps(self._snapshot_message(hall, client)), hall.seq))
        client.go_live(hall.seq)

    def _snapshot_message(self, hall: Hall, client: Client) -> dict[str, Any]:
        now = self.hub.engine.clock.now()
        body = client.feed.snapshot(hall, now, client.params)
        return {"type": "snapshot", "seq": hall.seq, "at": iso(now, hall), **body}

    def _overflowed(self, client: Client) -> None:
        client.pending = []
        self._spawn(self._send_snapshot(client))

    async def _resync(self) -> None:
        """Start over from the committed state: every client gets a fresh snapshot."""
        self.delivered = None
        self.ring.clear()
        everyone = [*self.clients, *(c for subs in self.by_ticket.values() for c in subs)]
        for client in everyone:
            if client.pending is None:
                client.pending = []
        hall = await self.hub.engine.committed_hall(self.code)
        shared: dict[str, Out] = {}
        for client in everyone:
            if client.closed:
                continue
            out = shared.get(client.feed.name)
            if out is None:
                out = outgoing(dumps(self._snapshot_message(hall, client)), hall.seq)
                if client.feed.shareable():
                    shared[client.feed.name] = out
            client.push(out)
            client.go_live(hall.seq)
        self.delivered = hall.seq
        self._release_held()
        self.flush()

    # ------------------------------------------------------------------ displays: issued tickets as counts
    def _counts_soon(self) -> None:
        """A queue.counts to the folding displays within COUNTS_S of the last one (so the last tickets
        of a burst are shown too, half a second later at most)."""
        if self._counts is None:
            loop = asyncio.get_running_loop()
            delay = max(0.0, self._counts_sent + COUNTS_S - loop.time())
            self._counts = loop.call_later(delay, lambda: self._spawn(self._send_counts()))

    async def _send_counts(self) -> None:
        # Cleared before the wait: a ticket issued meanwhile schedules the next counts.
        self._counts, self._counts_sent = None, asyncio.get_running_loop().time()
        hall = await self.hub.engine.committed_hall(self.code)
        now = self.hub.engine.clock.now()
        out = outgoing(dumps({"type": "queue.counts", "at": iso(now, hall), "as_of": hall.seq,
                              "queues": queue_rows(hall, now)}))
        for client in self.folding:
            if client.pending is None:  # one catching up gets a snapshot, or counts after its replay
                client.push(out)

    # ------------------------------------------------------------------ phones: people ahead
    def _positions_soon(self) -> None:
        if self._positions is None:
            self._positions = asyncio.get_running_loop().call_later(
                POSITION_DELAY_S, lambda: self._spawn(self._send_positions()))

    async def _send_positions(self) -> None:
        self._positions = None
        hall = await self.hub.engine.committed_hall(self.code)
        now = None
        for ticket_id, clients in list(self.by_ticket.items()):
            ticket = hall.tickets.get(ticket_id)
            if ticket is None or ticket.status is not TicketStatus.WAITING:
                continue
            body = public_ticket(hall, ticket)
            position = (body["ahead"], body["eta_s"])
            out: Out | None = None
            for client in clients:
                if client.pending is not None or client.params.get("position") == position:
                    continue
                client.params["position"] = position
                if out is None:
                    now = now or iso(self.hub.engine.clock.now(), hall)
                    out = outgoing(dumps({"type": "ticket.position", "seq": hall.seq, "at": now, "ticket": body}))
                client.push(out)


