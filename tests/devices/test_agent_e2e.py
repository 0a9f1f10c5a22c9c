"""The whole chain on real processes and real ptys: emulated ID reader, printer and counter bus →
`onewindow agent` → `onewindow serve` → the kiosk's feed and the hall."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from devices.counterbus.emulator import CounterBusEmulator
from devices.idcard.emulator import IdCardEmulator, demo_card
from devices.printer.emulator import PrinterEmulator
from server.demo import DEMO_PASSWORD
from tests.live.hallkit import KIOSK_TOKEN, bearer
from tests.servers import ServerProcess

from .conftest import AGENT_TOKEN, AgentProcess, eventually

CALL, RECALL = 0x0C, 0x0D
Message = dict[str, Any]


@pytest.fixture
def devices(tmp_path: Path) -> Iterator[tuple[IdCardEmulator, PrinterEmulator, CounterBusEmulator]]:
    idcard = IdCardEmulator(link=str(tmp_path / "idcard")).start()
    printer = PrinterEmulator(link=str(tmp_path / "printer")).start()
    bus = CounterBusEmulator(link=str(tmp_path / "counterbus")).start()
    yield idcard, printer, bus  # type: ignore[misc]
    for emulator in (idcard, printer, bus):
        emulator.stop()


def agent_config(server: ServerProcess, folder: Path) -> str:
    return f"""
server = "{server.base}"
token = "{AGENT_TOKEN}"
outbox = "{folder / 'outbox.sqlite3'}"
heartbeat_s = 1
printer_status_s = 0.3
[devices.idcard]
url = "serial://{folder / 'idcard'}?baud=115200"
[devices.printer]
url = "serial://{folder / 'printer'}?baud=9600"
[devices.counterbus]
url = "serial://{folder / 'counterbus'}?baud=9600"
counters = {{ 1 = 1, 2 = 2 }}
"""


class Kiosk:
    """The kiosk page's side: its feed and its ticket requests."""

    def __init__(self, server: ServerProcess, socket: ClientConnection) -> None:
        self.server = server
        self.socket = socket
        self.http = httpx.AsyncClient(base_url=f"{server.base}/api/v1", timeout=10, headers=bearer(KIOSK_TOKEN))

    async def next(self, kind: str, where: Callable[[Message], bool] = lambda m: True,
                   timeout: float = 10.0) -> Message:
        async def wait() -> Message:
            while True:
                message: Message = json.loads(await self.socket.recv())
                if message.get("type") == kind and where(message):
                    return message

        return await asyncio.wait_for(wait(), timeout)

    async def issue(self, **body: Any) -> httpx.Response:
        return await self.http.post("/halls/jinan/tickets", json={"queue": "A", **body})


async def open_kiosk(server: ServerProcess) -> Kiosk:
    socket = await connect(f"{server.ws}/ws/halls/jinan/kiosks/kiosk-1?token={KIOSK_TOKEN}")
    return Kiosk(server, socket)


def printer_is(state: str) -> Callable[[Message], bool]:
    return lambda m: m["devices"].get("printer", {}).get("state") == state


async def open_counter(server: ServerProcess, number: int, clerk: str) -> None:
    token = await login(server, clerk)
    async with httpx.AsyncClient(base_url=f"{server.base}/api/v1", timeout=10) as http:
        opened = await http.post(f"/halls/jinan/counters/{number}/open", headers=bearer(token))
        assert opened.status_code == 200, opened.text


async def login(server: ServerProcess, username: str) -> str:
    async with httpx.AsyncClient(base_url=f"{server.base}/api/v1", timeout=10) as http:
        response = await http.post("/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        return str(response.json()["token"])


def device_states(server: ServerProcess, token: str) -> dict[str, str]:
    rows = httpx.get(f"{server.base}/api/v1/halls/jinan/devices", headers=bearer(token)).json()
    return {row["device"]: row["state"] for row in rows if row["agent"] == "kiosk-1"}


def counter_ticket(server: ServerProcess, number: int) -> str | None:
    snapshot = httpx.get(f"{server.base}/api/v1/halls/jinan/snapshot").json()
    counter = next(c for c in snapshot["counters"] if c["number"] == number)
    return counter["ticket"]["number"] if counter["ticket"] else None


def test_card_to_printed_elderly_ticket_keypad_call_on_the_strip_and_printer_unplugged(
        hall_server: ServerProcess, devices: tuple[IdCardEmulator, PrinterEmulator, CounterBusEmulator],
        start_agent: Callable[[str], AgentProcess], tmp_path: Path) -> None:
    idcard, printer, bus = devices
    agent = start_agent(agent_config(hall_server, tmp_path))

    async def scenario() -> None:
        kiosk = await open_kiosk(hall_server)
        await kiosk.next("device.status", printer_is("ok"))

        # A 65-year-old places the ID card: the kiosk is greeted by masked name and offered priority.
        idcard.present(demo_card(65, name="张三丰"))
        read = await kiosk.next("card.read")
        card = read["card"]
        assert (card["masked_name"], card["age"], card["priority_hint"]) == ("张*丰", 65, "elderly")
        assert "id_number" not in card and "name" not in card

        issued = await kiosk.issue(priority="elderly", card_token=card["card_token"])
        assert issued.status_code == 201, issued.text
        ticket = issued.json()
        assert (ticket["priority"], ticket["print"]) == ("elderly", "sent")

        # The paper ticket: the same number, and the QR code opens the visitor's own ticket page.
        printed = await asyncio.to_thread(printer.wait_for_documents, 1, 10.0)
        assert any(ticket["number"] in line.text for line in printed[0].lines if line.height > 1)
        assert printed[0].qr_codes == [f"{hall_server.base}/t/{ticket['status_token']}"]
        result = await kiosk.next("print.result")
        assert (result["ticket"], result["ok"]) == (ticket["number"], True)

        # The same card again in the same queue: the ticket it already holds, not a second one.
        again = await kiosk.issue(card_token=card["card_token"])
        assert again.status_code == 409
        assert again.json()["ticket"]["number"] == ticket["number"]

        # The clerk at counter 1 presses the call key: the ticket is called and the strip shows it.
        await open_counter(hall_server, 1, "clerk01")
        bus.press(1, CALL)
        eventually(lambda: counter_ticket(hall_server, 1) == ticket["number"], what="the keypad's call")
        serial = ticket["number"][1:]
        eventually(lambda: bus.strip(1).strip() == serial, what="the LED strip")

        # The printer is unplugged mid-day: reported offline to the kiosk; a ticket says so; back again.
        printer.unplug()
        await kiosk.next("device.status", printer_is("offline"))
        offline = await kiosk.issue()
        assert offline.status_code == 201 and offline.json()["print"] == "offline"
        printer.plug()
        await kiosk.next("device.status", printer_is("ok"), timeout=20)
        back = await kiosk.issue()
        assert back.json()["print"] == "sent"
        await asyncio.to_thread(printer.wait_for_documents, 1, 10.0)

        # Paper runs out: the kiosk is told before the next ticket is lost.
        printer.paper_out = True
        await kiosk.next("device.status", printer_is("paper_out"))
        assert (await kiosk.issue()).json()["print"] == "paper_out"
        await kiosk.socket.close()

    try:
        asyncio.run(scenario())
    finally:
        print(agent.log())
    assert "张三丰" not in agent.log() and "张三丰" not in hall_server.log()


def test_what_happens_while_the_server_is_away_is_delivered_once_when_it_is_back(
        hall_server: ServerProcess, devices: tuple[IdCardEmulator, PrinterEmulator, CounterBusEmulator],
        start_agent: Callable[[str], AgentProcess], tmp_path: Path) -> None:
    _, _, bus = devices
    start_agent(agent_config(hall_server, tmp_path))
    http = httpx.Client(base_url=f"{hall_server.base}/api/v1", timeout=10, headers=bearer(KIOSK_TOKEN))
    numbers = [http.post("/halls/jinan/tickets", json={"queue": "A"}).json()["number"] for _ in range(3)]
    asyncio.run(open_counter(hall_server, 1, "clerk01"))
    manager = asyncio.run(login(hall_server, "manager"))
    eventually(lambda: device_states(hall_server, manager).get("counterbus") == "ok", what="the agent online")

    hall_server.stop()
    bus.press(1, CALL)  # the clerk calls while the server is down …
    eventually(lambda: not bus.unacknowledged(), what="the agent acknowledging the key on the bus")
    hall_server.start()  # … and the call happens once the server is back, exactly once
    eventually(lambda: counter_ticket(hall_server, 1) == numbers[0], timeout=45, what="the queued call")
    eventually(lambda: bus.strip(1).strip() == numbers[0][1:], what="the strip after the queued call")
    snapshot = httpx.get(f"{hall_server.base}/api/v1/halls/jinan/snapshot").json()
    queue_a = next(q for q in snapshot["queues"] if q["code"] == "A")
    assert queue_a["waiting"] == 2  # one call, not two
