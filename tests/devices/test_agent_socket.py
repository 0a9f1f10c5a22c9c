"""The server's side of the device agent's socket, driven by a raw WebSocket client standing in for
`onewindow agent` against a real `onewindow serve`: what the clerk, the manager and the visitor at
the kiosk notice when an agent sends key presses, ratings, card reads and device states."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from devices.idcard.emulator import demo_card
from server.domain.identity import CardHolder
from server.services.cards import sign_holder
from tests.api.conftest import counter_tablet
from tests.live.hallkit import KIOSK_TOKEN, bearer
from tests.servers import ServerProcess

from .conftest import AGENT_TOKEN, eventually
from .test_agent_e2e import counter_ticket, device_states, login, open_counter

Message = dict[str, Any]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
WAIT_S = 5.0
QUIET_S = 0.5


def hall_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Agent:
    """The agent's end of ``/ws/agent``: what it sends and what the server answers."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.seen: list[Message] = []

    async def send(self, message: Message | str) -> None:
        await self.socket.send(message if isinstance(message, str) else json.dumps(message, ensure_ascii=False))

    async def next(self, kind: str, where: Callable[[Message], bool] = lambda m: True,
                   timeout: float = WAIT_S) -> Message:
        async def wait() -> Message:
            while True:
                message: Message = json.loads(await self.socket.recv())
                self.seen.append(message)
                if message.get("type") == kind and where(message):
                    return message

        return await asyncio.wait_for(wait(), timeout)

    async def hello(self, counters: list[int] | None = None, devices: dict[str, Message] | None = None) -> Message:
        await self.send({"type": "hello", "counters": counters or [], "devices": devices or {}})
        return await self.next("welcome")

    async def event(self, event_id: str, event: Message) -> Message:
        await self.send({"type": "event", "id": event_id, "at": now_iso(), "event": event})
        return await self.next("ack", lambda m: m.get("id") == event_id)

    async def close(self) -> None:
        await self.socket.close()


async def open_agent(server: ServerProcess) -> Agent:
    socket = await connect(f"{server.ws}/ws/agent", additional_headers=bearer(AGENT_TOKEN))
    return Agent(socket)


async def open_kiosk_feed(server: ServerProcess) -> ClientConnection:
    return await connect(f"{server.ws}/ws/halls/jinan/kiosks/kiosk-1?token={KIOSK_TOKEN}")


async def next_on(socket: ClientConnection, kind: str, where: Callable[[Message], bool] = lambda m: True,
                  timeout: float = WAIT_S) -> tuple[Message, str]:
    """The next message of ``kind`` on a feed, with its raw text."""
    async def wait() -> tuple[Message, str]:
        while True:
            raw = await socket.recv()
            text = raw if isinstance(raw, str) else raw.decode()
            message: Message = json.loads(text)
            if message.get("type") == kind and where(message):
                return message, text

    return await asyncio.wait_for(wait(), timeout)


async def nothing_on(socket: ClientConnection, kind: str, quiet: float = QUIET_S) -> None:
    with pytest.raises(TimeoutError):
        message, _ = await next_on(socket, kind, timeout=quiet)
        raise AssertionError(f"unexpected {kind}: {message}")


def kiosk_http(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=f"{server.base}/api/v1", timeout=10, headers=bearer(KIOSK_TOKEN))


def issue(server: ServerProcess, count: int = 1, **body: Any) -> list[Message]:
    with kiosk_http(server) as http:
        tickets = []
        for _ in range(count):
            response = http.post("/halls/jinan/tickets", json={"queue": "A", **body})
            assert response.status_code == 201, response.text
            tickets.append(response.json())
        return tickets


def snapshot(server: ServerProcess) -> Message:
    response = httpx.get(f"{server.base}/api/v1/halls/jinan/snapshot", timeout=10)
    assert response.status_code == 200, response.text
    body: Message = response.json()
    return body


def waiting(server: ServerProcess, queue: str = "A") -> int:
    return int(next(q for q in snapshot(server)["queues"] if q["code"] == queue)["waiting"])


def counter_status(server: ServerProcess, number: int) -> str:
    return str(next(c for c in snapshot(server)["counters"] if c["number"] == number)["status"])


async def clerk_post(server: ServerProcess, clerk: str, path: str, body: Message | None = None) -> httpx.Response:
    token = await login(server, clerk)
    async with httpx.AsyncClient(base_url=f"{server.base}/api/v1", timeout=10) as http:
        return await http.post(path, json=body or {}, headers=bearer(token))


def card_event(card: Any) -> Message:
    return {"type": "card.read", "card": {"name": card.name, "gender": card.gender, "nation": card.nation,
                                          "birth_date": card.birth_date.isoformat(), "id_number": card.id_number}}


def no_traceback(server: ServerProcess) -> None:
    log = server.log()
    assert "Traceback" not in log, log


# ------------------------------------------------------------------------------------ 1. tokens
@pytest.mark.parametrize("token", ["not-a-token", KIOSK_TOKEN], ids=["wrong token", "kiosk token"])
def test_an_agent_socket_without_an_agent_token_is_closed_with_policy_violation_and_a_reason(
        hall_server: ServerProcess, token: str) -> None:
    async def scenario() -> None:
        async with connect(f"{hall_server.ws}/ws/agent", additional_headers=bearer(token)) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), WAIT_S)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason and CHINESE.search(closed.value.rcvd.reason)

        # the same through ?token= and through the hall/agent path naming another agent
        async with connect(f"{hall_server.ws}/ws/agent?token={token}") as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), WAIT_S)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        async with connect(f"{hall_server.ws}/ws/halls/jinan/agents/kiosk-2?token={AGENT_TOKEN}") as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), WAIT_S)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason

    asyncio.run(scenario())


def test_the_agent_token_on_either_path_gets_a_welcome(hall_server: ServerProcess) -> None:
    async def scenario() -> None:
        for url in (f"{hall_server.ws}/ws/agent?token={AGENT_TOKEN}",
                    f"{hall_server.ws}/ws/halls/jinan/agents/kiosk-1?token={AGENT_TOKEN}"):
            async with connect(url) as socket:
                agent = Agent(socket)
                welcome = await agent.hello([2])
                assert (welcome["hall"], welcome["counters"]) == ("jinan", [2])

    asyncio.run(scenario())


# ------------------------------------------------------------------------------------ 2. once only
def test_a_key_event_sent_twice_calls_one_ticket_and_is_acknowledged_the_same_twice(
        hall_server: ServerProcess) -> None:
    tickets = issue(hall_server, 3)
    asyncio.run(open_counter(hall_server, 1, "clerk01"))
    assert waiting(hall_server) == 3

    async def scenario() -> tuple[Message, Message]:
        agent = await open_agent(hall_server)
        await agent.hello()
        key = {"type": "key", "counter": 1, "action": "call"}
        first = await agent.event("key-call-000001", key)
        again = await agent.event("key-call-000001", key)  # re-sent after a reconnect, say
        await agent.close()
        return first, again

    first, again = asyncio.run(scenario())
    assert first == again
    assert (first["ok"], first["ticket"]) == (True, tickets[0]["number"])
    assert counter_ticket(hall_server, 1) == tickets[0]["number"]
    assert waiting(hall_server) == 2  # one call, not two


def test_the_same_event_id_on_a_new_connection_is_not_acted_on_again(hall_server: ServerProcess) -> None:
    tickets = issue(hall_server, 3)
    asyncio.run(open_counter(hall_server, 1, "clerk01"))
    key = {"type": "key", "counter": 1, "action": "call"}

    async def send_once() -> Message:
        agent = await open_agent(hall_server)
        await agent.hello()
        ack = await agent.event("reconnect-key-01", key)
        await agent.close()
        return ack

    first = asyncio.run(send_once())
    again = asyncio.run(send_once())
    assert first == again
    assert counter_ticket(hall_server, 1) == tickets[0]["number"]
    assert waiting(hall_server) == 2


# ------------------------------------------------------------------------------------ 3. refusals
def test_a_call_key_at_a_closed_counter_is_refused_in_chinese_and_changes_nothing(
        hall_server: ServerProcess) -> None:
    issue(hall_server, 2)
    before = snapshot(hall_server)

    async def scenario() -> Message:
        agent = await open_agent(hall_server)
        await agent.hello()
        ack = await agent.event("closed-call-01", {"type": "key", "counter": 3, "action": "call"})
        await agent.close()
        return ack

    ack = asyncio.run(scenario())
    assert ack["ok"] is False
    assert ack["error"]["code"] == "counter_closed"
    assert CHINESE.search(ack["error"]["message"]), ack
    after = snapshot(hall_server)
    assert waiting(hall_server) == 2
    assert counter_status(hall_server, 3) == "closed"
    assert after["counters"] == before["counters"]


# ------------------------------------------------------------------------------------ 4. malformed
def test_malformed_messages_get_an_error_each_and_the_socket_goes_on(hall_server: ServerProcess) -> None:
    manager = asyncio.run(login(hall_server, "manager"))
    malformed: list[Message | str] = [
        "this is not json",
        "[1, 2, 3]",
        {"type": "selfdestruct"},
        {"type": "event", "at": now_iso(), "event": {"type": "key", "counter": 1, "action": "call"}},
        {"type": "event", "id": "short", "at": now_iso(), "event": {"type": "card.removed"}},
        {"type": "event", "id": "string-counter-1", "at": now_iso(),
         "event": {"type": "key", "counter": "1", "action": "call"}},
        {"type": "event", "id": "unknown-event-01", "at": now_iso(), "event": {"type": "explode"}},
        {"type": "heartbeat", "devices": {"printer": {"state": "on fire"}}},
        {"type": "hello", "counters": ["one"]},
    ]

    async def scenario() -> list[Message]:
        agent = await open_agent(hall_server)
        await agent.hello(devices={"printer": {"state": "ok", "detail": ""}})
        errors = []
        for message in malformed:
            await agent.send(message)
            errors.append(await agent.next("error"))
        # still usable: a heartbeat is taken, an event is acknowledged
        await agent.send({"type": "heartbeat", "devices": {"printer": {"state": "paper_low", "detail": "纸将用完"}}})
        ack = await agent.event("after-errors-01", {"type": "card.removed"})
        assert ack["ok"] is True
        eventually(lambda: device_states(hall_server, manager).get("printer") == "paper_low",
                   timeout=WAIT_S, what="the heartbeat after the errors")
        await agent.close()
        return errors

    errors = asyncio.run(scenario())
    assert len(errors) == len(malformed)
    assert all(isinstance(e["message"], str) and e["message"] for e in errors)
    no_traceback(hall_server)


# ------------------------------------------------------------------------------------ 5. ratings
def test_an_evaluator_rating_counts_once_per_service_wherever_it_comes_from(hall_server: ServerProcess) -> None:
    ticket = issue(hall_server)[0]
    asyncio.run(open_counter(hall_server, 1, "clerk01"))

    async def scenario() -> tuple[Message, Message, httpx.Response]:
        called = await clerk_post(hall_server, "clerk01", "/halls/jinan/counters/1/call-next")
        assert called.status_code == 200, called.text
        finished = await clerk_post(hall_server, "clerk01", "/halls/jinan/counters/1/finish")
        assert finished.status_code == 200, finished.text
        agent = await open_agent(hall_server)
        await agent.hello([1])
        rated = await agent.event("rating-000001", {"type": "rating", "counter": 1, "level": 5})
        async with httpx.AsyncClient(base_url=f"{hall_server.base}/api/v1", timeout=10) as http:
            tablet = await http.post("/halls/jinan/counters/1/rating", json={"ticket_id": ticket["id"], "level": 4},
                                     headers=counter_tablet(1))
        second = await agent.event("rating-000002", {"type": "rating", "counter": 1, "level": 1})
        await agent.close()
        return rated, second, tablet

    rated, second, tablet = asyncio.run(scenario())
    assert (rated["ok"], rated["ticket"]) == (True, ticket["number"])
    assert tablet.status_code == 409, tablet.text
    assert tablet.json()["error"]["code"] == "already_rated"
    assert second["ok"] is False
    assert second["error"]["code"] == "already_rated"


def test_an_evaluator_rating_with_nothing_finished_is_refused(hall_server: ServerProcess) -> None:
    asyncio.run(open_counter(hall_server, 1, "clerk01"))

    async def scenario() -> Message:
        agent = await open_agent(hall_server)
        await agent.hello()
        ack = await agent.event("rating-nothing-1", {"type": "rating", "counter": 1, "level": 5})
        await agent.close()
        return ack

    ack = asyncio.run(scenario())
    assert ack["ok"] is False
    assert ack["error"]["code"] == "not_ratable"
    assert CHINESE.search(ack["error"]["message"])


# ------------------------------------------------------------------------------------ 6. card reads
def test_a_card_read_reaches_the_kiosk_without_the_id_number_and_a_bad_one_not_at_all(
        hall_server: ServerProcess) -> None:
    good = demo_card(65, name="张三丰", today=hall_today())
    bad = demo_card(70, name="李四光", today=hall_today(), sequence=124, valid_id=False)

    async def scenario() -> tuple[Message, Message, Message, str]:
        kiosk = await open_kiosk_feed(hall_server)
        agent = await open_agent(hall_server)
        await agent.hello(devices={"idcard": {"state": "ok", "detail": ""}})
        ack = await agent.event("card-read-0001", card_event(good))
        read, raw = await next_on(kiosk, "card.read")
        refused = await agent.event("card-read-0002", card_event(bad))
        await nothing_on(kiosk, "card.read")
        await agent.close()
        await kiosk.close()
        return ack, read, refused, raw

    ack, read, refused, raw = asyncio.run(scenario())
    assert (ack["ok"], ack["priority_hint"]) == (True, "elderly")
    card = read["card"]
    assert (card["masked_name"], card["age"], card["priority_hint"]) == ("张*丰", 65, "elderly")
    assert re.fullmatch(r"[0-9a-f]{32}", card["id_hash"])
    assert card["card_token"]
    assert good.id_number not in raw and "id_number" not in raw and "张三丰" not in raw
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_card"
    assert CHINESE.search(refused["error"]["message"])
    log = hall_server.log()
    for secret in (good.id_number, bad.id_number, "张三丰", "李四光"):
        assert secret not in log


# ------------------------------------------------------------------------------------ 7. devices
def test_a_printer_out_of_paper_is_seen_by_the_manager_and_the_kiosk_and_the_agent_goes_offline(
        hall_server: ServerProcess) -> None:
    manager = asyncio.run(login(hall_server, "manager"))

    async def scenario() -> Message:
        kiosk = await open_kiosk_feed(hall_server)
        agent = await open_agent(hall_server)
        await agent.hello(devices={"printer": {"state": "ok", "detail": ""}})
        await next_on(kiosk, "device.status", lambda m: m["devices"].get("printer", {}).get("state") == "ok")
        await agent.send({"type": "heartbeat", "devices": {"printer": {"state": "paper_out", "detail": "缺纸"}}})
        status, _ = await next_on(kiosk, "device.status",
                                  lambda m: m["devices"].get("printer", {}).get("state") == "paper_out")
        eventually(lambda: device_states(hall_server, manager).get("printer") == "paper_out", timeout=WAIT_S,
                   what="the manager seeing paper_out")
        with kiosk_http(hall_server) as http:  # the kiosk can tell the visitor before a ticket is lost
            issued = http.post("/halls/jinan/tickets", json={"queue": "A"})
            assert issued.status_code == 201 and issued.json()["print"] == "paper_out", issued.text
        await agent.close()
        await next_on(kiosk, "device.status", lambda m: m["devices"].get("agent", {}).get("state") == "offline")
        await kiosk.close()
        return status

    status = asyncio.run(scenario())
    assert status["agent"] == "kiosk-1"
    assert status["devices"]["printer"] == {"state": "paper_out", "detail": "缺纸"}
    eventually(lambda: device_states(hall_server, manager).get("agent") == "offline", timeout=WAIT_S,
               what="the agent shown offline")
    assert device_states(hall_server, manager)["printer"] == "offline"
    with kiosk_http(hall_server) as http:
        assert http.post("/halls/jinan/tickets", json={"queue": "A"}).json()["print"] == "no_printer"


# ------------------------------------------------------------------------------------ 8. strips
def test_a_call_made_at_the_counter_page_lights_the_agents_strip(hall_server: ServerProcess) -> None:
    ticket = issue(hall_server)[0]
    asyncio.run(open_counter(hall_server, 1, "clerk01"))

    async def scenario() -> tuple[Message, Message]:
        agent = await open_agent(hall_server)
        await agent.send({"type": "hello", "counters": [1], "devices": {}})
        blank = await agent.next("strip")  # what the strip shows now: nothing called yet
        await agent.next("welcome")
        called = await clerk_post(hall_server, "clerk01", "/halls/jinan/counters/1/call-next")
        assert called.status_code == 200, called.text
        strip = await agent.next("strip")
        await agent.next("beep", lambda m: m["counter"] == 1)
        await agent.close()
        return blank, strip

    blank, strip = asyncio.run(scenario())
    assert blank == {"type": "strip", "counter": 1, "number": ""}
    assert ticket["number"] == "A001"
    assert strip == {"type": "strip", "counter": 1, "number": "A001"}


def test_a_reconnecting_agent_is_told_what_its_strips_show_now_and_not_other_counters_calls(
        hall_server: ServerProcess) -> None:
    first, second = issue(hall_server, 2)
    asyncio.run(open_counter(hall_server, 1, "clerk01"))
    asyncio.run(open_counter(hall_server, 2, "clerk02"))

    async def scenario() -> tuple[Message, list[Message]]:
        called = await clerk_post(hall_server, "clerk01", "/halls/jinan/counters/1/call-next")
        assert called.status_code == 200, called.text
        agent = await open_agent(hall_server)
        await agent.send({"type": "hello", "counters": [1], "devices": {}})
        current = await agent.next("strip")
        await agent.next("welcome")
        other = await clerk_post(hall_server, "clerk02", "/halls/jinan/counters/2/call-next")
        assert other.status_code == 200, other.text
        with pytest.raises(TimeoutError):
            await agent.next("strip", timeout=QUIET_S)
        await agent.close()
        return current, agent.seen

    current, seen = asyncio.run(scenario())
    assert current == {"type": "strip", "counter": 1, "number": first["number"]}
    assert not any(m.get("counter") == 2 for m in seen)


# ------------------------------------------------------------------------------------ 9. card_token
def test_one_card_one_waiting_ticket_per_queue_and_a_forged_card_token_is_refused(
        hall_server: ServerProcess) -> None:
    card = demo_card(40, name="王小明", today=hall_today())

    async def read_card() -> Message:
        kiosk = await open_kiosk_feed(hall_server)
        agent = await open_agent(hall_server)
        await agent.hello()
        ack = await agent.event("card-token-001", card_event(card))
        assert ack["ok"] is True, ack
        read, _ = await next_on(kiosk, "card.read")
        await agent.close()
        await kiosk.close()
        return read["card"]  # type: ignore[no-any-return]

    read = asyncio.run(read_card())
    assert read["priority_hint"] == "none"
    with kiosk_http(hall_server) as http:
        first = http.post("/halls/jinan/tickets", json={"queue": "A", "card_token": read["card_token"]})
        assert first.status_code == 201, first.text
        again = http.post("/halls/jinan/tickets", json={"queue": "A", "card_token": read["card_token"]})
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "already_waiting"
        assert again.json()["ticket"]["number"] == first.json()["number"]
        assert again.json()["ticket"]["status_token"] == first.json()["status_token"]
        other_queue = http.post("/halls/jinan/tickets", json={"queue": "B", "card_token": read["card_token"]})
        assert other_queue.status_code == 201, other_queue.text

        # the same holder signed with another key: what a kiosk inventing a card would have to do
        holder = CardHolder(read["masked_name"], read["gender"], read["nation"], read["age"], read["id_hash"],
                            "elderly")
        forged = http.post("/halls/jinan/tickets", json={"queue": "A", "card_token": sign_holder("guess", holder)})
        assert forged.status_code == 422, forged.text
        assert forged.json()["error"]["field"] == "card_token"
        assert CHINESE.search(forged.json()["error"]["message"])
    assert waiting(hall_server, "A") == 1
    assert card.id_number not in hall_server.log()


# ------------------------------------------------------------------------------------ server bugs found
def test_a_card_read_whose_card_is_not_an_object_is_a_malformed_message(hall_server: ServerProcess) -> None:
    async def scenario() -> Message:
        agent = await open_agent(hall_server)
        await agent.hello()
        await agent.send({"type": "event", "id": "card-not-object", "at": now_iso(),
                          "event": {"type": "card.read", "card": "not a card"}})
        error = await agent.next("error")
        ack = await agent.event("after-bad-card-1", {"type": "card.removed"})  # still usable
        assert ack["ok"] is True
        await agent.close()
        return error

    assert asyncio.run(scenario())["message"]
    no_traceback(hall_server)


def test_a_key_whose_counter_is_a_boolean_is_a_malformed_message(hall_server: ServerProcess) -> None:
    async def scenario() -> None:
        agent = await open_agent(hall_server)
        await agent.hello()
        await agent.send({"type": "event", "id": "bool-counter-01", "at": now_iso(),
                          "event": {"type": "key", "counter": True, "action": "call"}})
        first = await agent.next("error", timeout=2)
        assert first["message"]
        await agent.close()

    asyncio.run(scenario())
