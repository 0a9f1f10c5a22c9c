"""Which counters an agent drives is the server's decision (its token's ``--counter``, or the hall's
``onewindow agent-counters``), not the agent's ``hello``: the demo kiosk's agent, on a public PC,
used to call, pass and rate at any counter it named. Keypad actions enter the audit trail as the
clerk signed in at the counter, with the agent named; refusals are logged and audited too."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.api.conftest import counter_tablet
from tests.live.hallkit import bearer
from tests.servers import ServerProcess

from .test_agent_e2e import login, open_counter
from .test_agent_socket import CHINESE, QUIET_S, Agent, Message, clerk_post, issue, open_agent, snapshot

WAIT_S = 5.0


def cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True, text=True,
                          env=server.env, timeout=60)


def trail(server: ServerProcess, **query: str) -> list[dict[str, Any]]:
    manager = asyncio.run(login(server, "manager"))
    response = httpx.get(f"{server.base}/api/v1/audit", params=query, headers=bearer(manager), timeout=10)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def counter_state(server: ServerProcess, number: int) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in snapshot(server)["counters"] if c["number"] == number)
    return found


def waiting_in(server: ServerProcess, queue: str) -> int:
    return int(next(q for q in snapshot(server)["queues"] if q["code"] == queue)["waiting"])


def test_the_demo_kiosks_agent_cannot_drive_a_counter_it_was_not_given(hall_server: ServerProcess) -> None:
    issue(hall_server, 2, queue="C")
    asyncio.run(open_counter(hall_server, 7, "clerk07"))

    async def scenario() -> tuple[Message, Message, list[Message]]:
        served = await clerk_post(hall_server, "clerk07", "/halls/jinan/counters/7/call-next")
        assert served.status_code == 200, served.text
        finished = await clerk_post(hall_server, "clerk07", "/halls/jinan/counters/7/finish")
        assert finished.status_code == 200, finished.text
        agent = await open_agent(hall_server)
        await agent.send({"type": "hello", "counters": [1, 7], "devices": {}})
        refused_hello = await agent.next("error")
        welcome = await agent.next("welcome")
        acks = [await agent.event(f"counter-7-{n:06d}", event) for n, event in enumerate([
            {"type": "key", "counter": 7, "action": "call"},
            {"type": "key", "counter": 7, "action": "no_show"},
            {"type": "key", "counter": 7, "action": "pause"},
            {"type": "rating", "counter": 7, "level": 1},
        ])]
        await agent.close()
        return refused_hello, welcome, acks

    refused_hello, welcome, acks = asyncio.run(scenario())
    assert "7" in refused_hello["message"] and CHINESE.search(refused_hello["message"])
    assert welcome["counters"] == [1]
    for ack in acks:
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
        assert CHINESE.search(ack["error"]["message"])
    assert counter_state(hall_server, 7)["status"] == "idle"  # not called, not paused
    assert waiting_in(hall_server, "C") == 1
    last = httpx.get(f"{hall_server.base}/api/v1/halls/jinan/counters/7/rating", headers=counter_tablet(7)).json()
    assert last["rated"] is False  # the visitor's own rating is still to come
    refusals = trail(hall_server, action="agent")
    assert len(refusals) == 5  # the hello, three keys and the rating
    assert {(e["actor"], e["kind"], e["target"]) for e in refusals} == {("kiosk-1", "device", "counter 7")}
    assert all(CHINESE.search(e["sentence"]) for e in refusals)
    assert "kiosk-1" in hall_server.log() and "counter 7" in hall_server.log()


def test_keypad_actions_are_in_the_trail_as_the_clerk_at_the_counter_with_the_agent_named(
        hall_server: ServerProcess) -> None:
    tickets = issue(hall_server, 3)
    asyncio.run(open_counter(hall_server, 1, "clerk01"))

    async def scenario() -> None:
        agent = await open_agent(hall_server)
        await agent.hello([1])
        for n, action in enumerate(["call", "recall", "no_show", "reinstate", "pause", "pause", "call"]):
            ack = await agent.event(f"audited-key-{n:04d}", {"type": "key", "counter": 1, "action": action})
            assert ack["ok"] is True, (action, ack)
        ack = await agent.event("audited-key-rate", {"type": "key", "counter": 1, "action": "evaluate"})
        assert ack["ok"] is True, ack
        await agent.close()

    asyncio.run(scenario())
    entries = list(reversed(trail(hall_server, action="keypad")))
    assert [e["action"] for e in entries] == [
        "keypad.call", "keypad.recall", "keypad.no_show", "keypad.reinstate", "keypad.pause", "keypad.resume",
        "keypad.call", "keypad.evaluate"]
    for entry in entries:
        assert (entry["actor"], entry["kind"], entry["target"]) == ("clerk01", "user", "counter 1")
        assert entry["detail"]["via"] == "kiosk-1"
        assert "呼叫器" in entry["sentence"] and "1号窗口" in entry["sentence"] and "kiosk-1" in entry["sentence"]
    assert entries[0]["detail"]["ticket"] == tickets[0]["number"]


def test_an_agent_drives_what_the_hall_configures_for_it_and_nothing_by_default(
        hall_server: ServerProcess) -> None:
    made = cli(hall_server, "token", "add", "--device", "agent", "--hall", "jinan", "--name", "counter-pc-4")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]

    async def press(event_id: str) -> tuple[Message, Message]:
        async with connect(f"{hall_server.ws}/ws/agent", additional_headers=bearer(token)) as socket:
            agent = Agent(socket)
            welcome = await agent.hello([4])
            ack = await agent.event(event_id, {"type": "key", "counter": 4, "action": "call"})
            return welcome, ack

    welcome, ack = asyncio.run(press("unconfigured-4"))
    assert welcome["counters"] == [] and ack["ok"] is False and ack["error"]["code"] == "forbidden"

    configured = cli(hall_server, "agent-counters", "--hall", "jinan", "--name", "counter-pc-4", "4", "5")
    assert configured.returncode == 0, configured.stderr
    assert "4" in configured.stdout and "5" in configured.stdout
    welcome, ack = asyncio.run(press("configured-4"))
    assert welcome["counters"] == [4]
    assert ack["ok"] is False and ack["error"]["code"] == "counter_closed"  # it reached the hall this time
    shown = cli(hall_server, "agent-counters", "--hall", "jinan", "--name", "counter-pc-4")
    assert shown.returncode == 0 and "4, 5" in shown.stdout

    cleared = cli(hall_server, "agent-counters", "--hall", "jinan", "--name", "counter-pc-4", "--clear")
    assert cleared.returncode == 0, cleared.stderr
    _, ack = asyncio.run(press("cleared-4"))
    assert ack["error"]["code"] == "forbidden"
    bad = cli(hall_server, "agent-counters", "--hall", "jinan", "--name", "counter-pc-4", "40")
    assert bad.returncode != 0 and "40" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert [e["action"] for e in trail(hall_server, action="agent-counters")].count("agent-counters.set") == 2


def test_a_call_at_a_counter_the_agent_was_not_given_does_not_light_its_strips(hall_server: ServerProcess) -> None:
    issue(hall_server)
    asyncio.run(open_counter(hall_server, 7, "clerk07"))

    async def scenario() -> list[Message]:
        agent = await open_agent(hall_server)
        await agent.send({"type": "hello", "counters": [7], "devices": {}})
        await agent.next("welcome")
        called = await clerk_post(hall_server, "clerk07", "/halls/jinan/counters/7/call-next")
        assert called.status_code in (200, 204), called.text
        with contextlib.suppress(TimeoutError):  # a strip for 7 would come within this time
            await agent.next("strip", lambda m: m.get("counter") == 7, timeout=QUIET_S)
        await agent.close()
        return agent.seen

    assert not any(m.get("type") in ("strip", "beep") and m.get("counter") == 7 for m in asyncio.run(scenario()))
