"""The WebSocket feeds of CONTRACT "WebSocket feeds", against a real `onewindow serve` process:
what a hall screen, a phone, a counter PC or a kiosk sees on its socket while the hall works
through the HTTP API, including when it connects mid-stream, comes back with ``?since=``,
misbehaves, stalls or dies."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from server.hub.fanout import MAX_REPLAY, RING_SIZE
from tests.servers import ServerProcess

from .hallkit import (
    COUNTER_EVENTS,
    KIOSK_TOKEN,
    TICKET_EVENTS,
    TICKET_FIELDS,
    WAIT_S,
    HallApi,
    Launch,
    Message,
    RawWebSocket,
    assert_gapless,
    assert_quiet,
    closed_with,
    display_path,
    feed,
    hall_api,
    numbers,
    receive,
    receive_through,
    waiting,
)

POLICY = 1008
COUNTER_1 = {"number": 1, "name": "1号窗口"}
PERSONAL = {"status_token", "id_number", "phone", "applicant", "card", "id_hash", "masked_name"}


def counter_of(message: Message) -> dict[str, Any]:
    """The CONTRACT part of an event's counter, ``{number, name}`` (it may carry more)."""
    return {key: message["counter"][key] for key in ("number", "name")}


def keys_within(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_within(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_within(v)}
    return set()


# ----------------------------------------------------------------------------- a. display feed
def test_display_starts_with_a_snapshot_then_gets_each_event_once_in_order(server: ServerProcess) -> None:
    async def scenario() -> None:
        async with hall_api(server) as api, feed(server, display_path()) as ws:
            snapshot = await receive(ws)
            assert snapshot["type"] == "snapshot" and isinstance(snapshot["seq"], int) and snapshot["at"]
            assert [q["code"] for q in snapshot["queues"]] == list("ABCDLZV")
            for queue in snapshot["queues"]:
                assert set(queue) >= {"code", "name", "waiting", "longest_wait_s", "eta_s"}
                assert queue["waiting"] == 0
            assert [c["number"] for c in snapshot["counters"]] == list(range(1, 13))
            for counter in snapshot["counters"]:
                assert set(counter) >= {"number", "name", "status", "ticket"}
                assert (counter["status"], counter["ticket"]) == ("closed", None)
            assert snapshot["recent_calls"] == []

            clerk = await api.login("clerk01")
            tokens: list[str] = []

            async def issue() -> None:
                tokens.append((await api.issue("A"))["status_token"])

            async def cancel_last() -> None:
                assert (await api.http.post(f"/tickets/{tokens[-1]}/cancel")).status_code == 200

            def act(action: str, body: Message | None = None) -> Any:
                return lambda: api.act(1, action, clerk, body)

            steps = [
                (act("open"), ["counter.opened"]),
                (issue, ["ticket.issued"]), (act("call-next"), ["ticket.called"]),
                (act("recall"), ["ticket.recalled"]), (act("start"), ["ticket.serving"]),
                (act("finish"), ["ticket.done"]),
                (issue, ["ticket.issued"]), (act("call-next"), ["ticket.called"]), (act("no-show"), ["ticket.no_show"]),
                (issue, ["ticket.issued"]), (act("call-next"), ["ticket.called"]),
                (act("transfer", {"queue": "B"}), ["ticket.transferred"]),
                (issue, ["ticket.issued"]), (cancel_last, ["ticket.cancelled"]),
                (act("pause", {"reason": "午休"}), ["counter.paused"]), (act("resume"), ["counter.resumed"]),
                (act("close"), ["counter.closed"]),
            ]
            events: list[Message] = []
            seq = snapshot["seq"]
            for step, expected in steps:
                await step()
                for kind in expected:
                    message = await receive(ws)
                    assert (message["type"], message["seq"]) == (kind, seq + 1), message
                    seq += 1
                    events.append(message)
            await assert_quiet(ws)

        assert {m["type"] for m in events} == TICKET_EVENTS | COUNTER_EVENTS
        for message in events:
            assert isinstance(message["at"], str) and message["at"].endswith("+08:00")
            kind = message["type"]
            if kind in TICKET_EVENTS:
                assert set(message["ticket"]) >= TICKET_FIELDS, message
            if kind in COUNTER_EVENTS or kind in ("ticket.called", "ticket.recalled"):
                assert counter_of(message) == COUNTER_1, message
            assert not keys_within(message) & PERSONAL, message
            assert not any(token in json.dumps(message) for token in tokens), message
        called = next(m for m in events if m["type"] == "ticket.called")
        assert (called["ticket"]["number"], called["ticket"]["status"], called["ticket"]["counter"]) == \
            ("A001", "called", 1)

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- b. ?since=
def test_since_replays_exactly_the_missed_events_and_no_snapshot(server: ServerProcess) -> None:
    async def scenario() -> None:
        async with hall_api(server) as api, feed(server, display_path()) as watcher:
            start = (await receive(watcher))["seq"]
            clerk = await api.login("clerk01")
            async with feed(server, display_path()) as screen:
                await receive(screen)
                await api.issue("A")
                last = (await receive(screen))["seq"]
            # The screen is away while the hall goes on.
            await api.act(1, "open", clerk)
            await api.issue("A")
            await api.act(1, "call-next", clerk)
            await api.issue("B")
            everything = await receive_through(watcher, last + 4)
            missed = [m for m in everything if m["seq"] > last]
            assert [m["seq"] for m in everything] == list(range(start + 1, last + 5))

            async with feed(server, display_path(), since=last) as back:
                assert [await receive(back) for _ in missed] == missed
                await assert_quiet(back)
                await api.issue("C")
                assert (await receive(back))["seq"] == last + 5  # and then live

    asyncio.run(scenario())


def test_since_the_current_seq_brings_nothing_and_a_later_one_a_snapshot(server: ServerProcess) -> None:
    async def scenario() -> None:
        async with hall_api(server) as api:
            await api.issue("A")
            current = await api.seq()
            async with feed(server, display_path(), since=current + 10) as ahead:
                snapshot = await receive(ahead)
                assert (snapshot["type"], snapshot["seq"]) == ("snapshot", current)
                await assert_quiet(ahead)
            async with feed(server, display_path(), since=current) as ws:
                await assert_quiet(ws)
                await api.issue("A")
                message = await receive(ws)
                assert (message["type"], message["seq"]) == ("ticket.issued", current + 1)

    asyncio.run(scenario())


def test_since_further_back_than_memory_keeps_replays_from_the_log(server: ServerProcess) -> None:
    count = RING_SIZE + 76

    async def scenario() -> None:
        async with hall_api(server) as api, feed(server, display_path()) as watcher:
            start = (await receive(watcher))["seq"]
            await api.issue_many(count)
            everything = await receive_through(watcher, start + count)
            async with feed(server, display_path(), since=start) as back:
                assert await receive_through(back, start + count) == everything
                await assert_quiet(back)
        assert len(everything) == count and len(set(numbers(everything))) == count

    asyncio.run(scenario())


def test_since_older_than_the_replay_limit_gets_a_fresh_snapshot(server: ServerProcess) -> None:
    count = MAX_REPLAY + 50

    async def scenario() -> None:
        async with hall_api(server) as api:
            start = await api.seq()
            await api.issue_many(count)
            async with feed(server, display_path(), since=start) as ws:
                snapshot = await receive(ws)
        assert (snapshot["type"], snapshot["seq"]) == ("snapshot", start + count)
        assert waiting(snapshot, "A") == count

    asyncio.run(scenario())


@pytest.mark.parametrize("since", ["abc", "-1", ""])
def test_since_that_is_not_a_seq_is_refused(shared_server: ServerProcess, since: str) -> None:
    async def scenario() -> None:
        async with feed(shared_server, display_path(), since=since) as ws:
            code, reason, before = await closed_with(ws)
        assert (code, before) == (POLICY, []) and reason

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- b2. ?issued=counts
def test_a_wall_that_takes_issued_tickets_as_counts_gets_one_count_per_burst_and_every_call(
        server: ServerProcess) -> None:
    """A display with ?issued=counts (what the wall pages use): forty tickets issued in a burst
    arrive as one queue.counts (at most half a second later) instead of forty frames; the call that
    follows arrives at once with its own seq; back with ?since= it gets the call, not the tickets,
    then the counts."""
    async def scenario() -> None:
        async with hall_api(server) as api, feed(server, display_path(), issued="counts") as wall:
            start = (await receive(wall))["seq"]
            clerk = await api.login("clerk01")
            await api.act(1, "open", clerk)
            assert (await receive(wall))["type"] == "counter.opened"
            await api.issue_many(40, "A")
            counts = await receive(wall, timeout=3.0)
            if counts["as_of"] < start + 41:  # the burst straddled a second: its end comes in the next
                counts = await receive(wall, timeout=3.0)
            assert counts["type"] == "queue.counts" and "seq" not in counts, counts
            assert counts["as_of"] == start + 41
            queue_a = next(q for q in counts["queues"] if q["code"] == "A")
            assert queue_a["waiting"] == 40 and queue_a["eta_s"] > 0
            await assert_quiet(wall)
            await api.act(1, "call-next", clerk)
            called = await receive(wall)
            assert (called["type"], called["seq"], called["ticket"]["number"]) == ("ticket.called", start + 42, "A001")

            async with feed(server, display_path(), issued="counts", since=start + 1) as back:
                replayed = await receive(back)
                assert (replayed["type"], replayed["seq"]) == ("ticket.called", start + 42)
                counts = await receive(back, timeout=3.0)
                assert counts["type"] == "queue.counts" and counts["as_of"] == start + 42
                assert next(q for q in counts["queues"] if q["code"] == "A")["waiting"] == 39

    asyncio.run(scenario())


def test_issued_other_than_events_or_counts_is_refused(shared_server: ServerProcess) -> None:
    async def scenario() -> None:
        async with feed(shared_server, display_path(), issued="some") as ws:
            code, reason, before = await closed_with(ws)
        assert (code, before) == (POLICY, []) and "issued" in reason

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- c. connect race
def test_screens_connecting_while_tickets_pour_in_miss_nothing_and_repeat_nothing(
        server: ServerProcess) -> None:
    """A screen is registered for live events and sent its snapshot with nothing awaited in
    between (or with every event that arrives meanwhile parked for it and those the snapshot
    already covers dropped). Here tickets are committed about every millisecond while 30
    screens come and go, so any await between taking the snapshot at seq S and registering the
    screen lets events S+1… go out to the other screens only: this screen would then see a gap.
    The opposite mistake, sending it the parked events the snapshot already counts, shows up
    as a repeated seq. And the snapshot must be the state at its own seq: only queue A tickets
    are issued, so its waiting count must equal the number of events up to its seq."""
    screens = 30

    async def visit(index: int) -> list[Message]:
        await asyncio.sleep(index * 0.02)
        async with feed(server, display_path()) as ws:
            messages = [await receive(ws)]
            leave = time.monotonic() + 0.05 + (index % 7) * 0.03
            while (left := leave - time.monotonic()) > 0:
                try:
                    messages.append(await receive(ws, left))
                except TimeoutError:
                    break
        return messages

    async def scenario() -> None:
        async with hall_api(server) as api, feed(server, display_path()) as throughout:
            first = await receive(throughout)
            base = first["seq"]
            visits = asyncio.gather(*(visit(i) for i in range(screens)))
            issued = 0
            while not visits.done() and issued < 6000:
                await api.issue_many(60, connections=4)
                issued += 60
            seen = await visits
            everything = [first, *await receive_through(throughout, base + issued)]

        assert_gapless(everything)
        assert len(everything) == issued + 1
        for messages in seen:
            assert_gapless(messages)
            snapshot = messages[0]
            assert waiting(snapshot, "A") == snapshot["seq"] - base, "the snapshot does not show the hall at its seq"
        during = [m for m in seen if base < m[0]["seq"] < base + issued]
        assert len(during) >= screens // 2, "too few screens connected while tickets were being issued"
        assert sum(len(m) - 1 for m in seen) > screens * 10, "the screens saw too few live events"

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- d. who may listen
REFUSED = "refused"


async def token_for(api: HallApi, who: str | None) -> str | None:
    """No token, the kiosk-1 device's, a made-up one, or a signed-in user's."""
    if who is None or who == "kiosk":
        return KIOSK_TOKEN if who else None
    if who == "wrong":
        return "demo-" + "0" * 32
    return await api.login(who)


@pytest.mark.parametrize(("path", "who", "expect"), [
    ("/ws/halls/jinan/counters/1", None, REFUSED),
    ("/ws/halls/jinan/counters/1", "wrong", REFUSED),
    ("/ws/halls/jinan/counters/1", "kiosk", REFUSED),
    ("/ws/halls/jinan/counters/1", "clerk01", "counter"),
    ("/ws/halls/jinan/dashboard", "clerk01", REFUSED),
    ("/ws/halls/jinan/dashboard", "manager", "queues"),
    ("/ws/halls/jinan/kiosks/kiosk-1", "kiosk", "queues"),
    ("/ws/halls/jinan/kiosks/kiosk-2", "kiosk", REFUSED),
    ("/ws/halls/nowhere/display", None, REFUSED),
    ("/ws/tickets/no-such-ticket", None, REFUSED),
])
def test_feeds_admit_only_whom_they_serve(shared_server: ServerProcess, path: str, who: str | None,
                                          expect: str) -> None:
    async def scenario() -> None:
        async with hall_api(shared_server) as api:
            token = await token_for(api, who)
        query = {"token": token} if token else {}
        async with feed(shared_server, path, **query) as ws:
            if expect == REFUSED:
                code, reason, before = await closed_with(ws)
                assert (code, before) == (POLICY, []) and reason.strip()
                return
            snapshot = await receive(ws)
            assert snapshot["type"] == "snapshot" and isinstance(snapshot["seq"], int)
            assert expect in snapshot
            if expect == "counter":
                assert snapshot["counter"]["number"] == 1 and snapshot["counter"]["status"] == "closed"

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- e. a phone's ticket
def test_a_phone_follows_its_ticket_from_waiting_to_called(server: ServerProcess) -> None:
    async def scenario() -> None:
        async with hall_api(server) as api:
            clerk = await api.open_counter(1, "clerk01")
            await api.issue("A")
            mine = await api.issue("A")
            async with feed(server, f"/ws/tickets/{mine['status_token']}") as phone:
                snapshot = await receive(phone)
                assert snapshot["type"] == "snapshot" and isinstance(snapshot["seq"], int)
                assert (snapshot["ticket"]["number"], snapshot["ticket"]["ahead"]) == (mine["number"], 1)
                assert "status_token" not in snapshot["ticket"]

                await api.act(1, "call-next", clerk)  # the one ahead
                moved = await receive(phone)
                assert moved["type"] == "ticket.position" and moved["ticket"]["number"] == mine["number"]
                assert moved["ticket"]["ahead"] == 0

                await api.act(1, "finish", clerk)
                await api.act(1, "call-next", clerk)  # mine
                message = await receive(phone)
                while message["type"] == "ticket.position":  # only its estimated wait may still move
                    assert message["ticket"]["ahead"] == 0
                    message = await receive(phone)
                assert message["type"] == "ticket.called"
                assert (message["ticket"]["number"], message["ticket"]["status"]) == (mine["number"], "called")
                assert counter_of(message) == COUNTER_1

    asyncio.run(scenario())


def test_a_phone_back_from_sleep_learns_how_many_are_now_ahead(server: ServerProcess) -> None:
    async def scenario() -> None:
        async with hall_api(server) as api:
            clerk = await api.open_counter(1, "clerk01")
            for _ in range(3):
                await api.issue("A")
            mine = await api.issue("A")
            path = f"/ws/tickets/{mine['status_token']}"
            async with feed(server, path) as phone:
                snapshot = await receive(phone)
                assert snapshot["ticket"]["ahead"] == 3
            for _ in range(2):  # while the phone sleeps, two ahead of it are called
                await api.act(1, "call-next", clerk)
                await api.act(1, "finish", clerk)
            async with feed(server, path, since=snapshot["seq"]) as phone:
                message = await receive(phone)
            now = await api.ticket(mine["status_token"])
        assert message["type"] == "ticket.position"
        assert message["ticket"]["ahead"] == now["ahead"] == 1

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- f. bad clients
@pytest.mark.parametrize(("payload", "code"), [
    (b"\x01\x02", 1003),  # binary
    ("not json", 1007),
    ('{"type": "hello"}', 1003),
    ('["resync"]', 1003),
])
def test_a_malformed_message_closes_that_client_alone(server: ServerProcess, payload: str | bytes,
                                                      code: int) -> None:
    async def scenario() -> None:
        async with hall_api(server) as api, feed(server, display_path()) as watcher:
            seq = (await receive(watcher))["seq"]
            async with feed(server, display_path()) as bad:
                await receive(bad)
                await bad.send(payload)
                closed = await closed_with(bad)
            assert closed[0] == code and closed[1] and closed[2] == []
            await api.issue("A")
            message = await receive(watcher)
            assert (message["type"], message["seq"]) == ("ticket.issued", seq + 1)

    asyncio.run(scenario())


def test_resync_sends_a_fresh_snapshot_and_the_feed_goes_on(server: ServerProcess) -> None:
    async def scenario() -> None:
        async with hall_api(server) as api, feed(server, display_path()) as ws:
            start = (await receive(ws))["seq"]
            await api.issue("A")
            await api.issue("A")
            await receive_through(ws, start + 2)
            await ws.send(json.dumps({"type": "resync"}))
            snapshot = await receive(ws)
            assert (snapshot["type"], snapshot["seq"]) == ("snapshot", start + 2)
            assert waiting(snapshot, "A") == 2
            await api.issue("A")
            message = await receive(ws)
            assert (message["type"], message["seq"]) == ("ticket.issued", start + 3)

    asyncio.run(scenario())


# ----------------------------------------------------------------------------- g. a stalled screen
def test_a_stalled_screen_neither_slows_the_others_nor_piles_up_a_backlog(launch: Launch) -> None:
    server = launch({"ONEWINDOW_WS_BACKLOG": "8"})
    count = 1500
    # With a small receive window the server's socket backs up after a few hundred events.
    stalled = RawWebSocket(server, display_path(), rcvbuf=4096)

    async def scenario() -> int:
        async with hall_api(server) as api, feed(server, display_path()) as ws:
            snapshot = await receive(ws)
            start: int = snapshot["seq"]
            reading = asyncio.create_task(receive_through(ws, start + count, timeout=30))
            await api.issue_many(count, connections=16)
            issued = time.monotonic()
            live = await reading
            lag = time.monotonic() - issued
        assert_gapless([snapshot, *live])
        assert len(live) == count
        assert lag < 3.0, f"the healthy screen got the last event {lag:.1f} s after it was issued"
        return start + count

    try:
        final = asyncio.run(scenario())
        got = stalled.read_until(final)
    finally:
        stalled.close()
    assert_gapless(got)
    fresh = [i for i, m in enumerate(got) if m["type"] == "snapshot" and i > 0]
    assert fresh, "the stalled screen was never dropped to a fresh snapshot"
    assert got[fresh[0] - 1]["type"] != "snapshot", "no events before it was dropped"
    assert sum(m["type"] != "snapshot" for m in got) < count, "it was sent every event after all"
    assert got[-1]["seq"] == final


# ----------------------------------------------------------------------------- h. a dead peer
def test_a_peer_that_stops_answering_pings_is_dropped_and_a_live_one_kept(launch: Launch) -> None:
    server = launch({"ONEWINDOW_WS_PING_S": "0.5"})

    async def counted(api: HallApi, expected: int, within: float) -> None:
        """Wait until /healthz counts ``expected`` live sockets."""
        began = time.monotonic()
        while (found := await api.connections()) != expected:
            assert time.monotonic() - began < within, f"{found} connections, not {expected}, after {within} s"
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        async with hall_api(server) as api:
            async with feed(server, display_path()) as alive:
                await receive(alive)
                dead = RawWebSocket(server, display_path())  # handshakes, then never reads nor answers
                try:
                    await counted(api, 2, within=1.0)
                    await counted(api, 1, within=3.0)
                    await asyncio.sleep(1.5)  # three more ping periods: the live one stays
                    assert await api.connections() == 1
                    await api.issue("A")
                    assert (await receive(alive))["type"] == "ticket.issued"
                finally:
                    dead.close()
            await counted(api, 0, within=WAIT_S)

    asyncio.run(scenario())
