"""What the live tests drive a real `onewindow serve` with: its HTTP API, its WebSocket feeds
through the websockets library, and a raw TCP WebSocket client that reads only when told to (a
screen whose network has stalled, or a peer that died without closing)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.utils import accept_key

from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from tests.api.conftest import SECRET
from tests.servers import ServerProcess

HALL = "jinan"
KIOSK_TOKEN = demo_token(SECRET, "kiosk", "kiosk-1")
WAIT_S = 5.0  # the longest any single expected message may take
QUIET_S = 0.5  # how long "nothing arrives" is watched for

TICKET_EVENTS = {"ticket.issued", "ticket.called", "ticket.recalled", "ticket.serving", "ticket.done",
                 "ticket.no_show", "ticket.transferred", "ticket.cancelled"}
COUNTER_EVENTS = {"counter.opened", "counter.paused", "counter.resumed", "counter.closed"}
# CONTRACT's ticket object, less status_token, which a feed never carries
TICKET_FIELDS = {"id", "number", "queue", "priority", "channel", "status", "ahead", "eta_s", "issued_at",
                 "called_at", "counter"}

Message = dict[str, Any]
Launch = Callable[..., ServerProcess]  # the `launch` fixture: start a server, with extra environment


# ---------------------------------------------------------------------------------------- HTTP
class HallApi:
    """The demo hall over the server's HTTP API, as kiosks, clerks and phones use it."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.AsyncClient(base_url=f"{server.base}/api/v1", timeout=10)

    async def login(self, username: str) -> str:
        response = await self.http.post("/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    async def issue(self, queue: str = "A") -> Message:
        """One ticket, as the kiosk prints it (with its status_token)."""
        response = await self.http.post(f"/halls/{HALL}/tickets", json={"queue": queue},
                                        headers=bearer(KIOSK_TOKEN))
        assert response.status_code == 201, response.text
        ticket: Message = response.json()
        return ticket

    async def issue_many(self, count: int, queue: str = "A", connections: int = 8) -> None:
        """``count`` tickets as fast as the server takes them: ``connections`` kiosks issuing back to
        back over keep-alive connections with the request bytes built once."""
        quotas = [count // connections + (i < count % connections) for i in range(connections)]
        await asyncio.gather(*(self._issue_back_to_back(n, queue) for n in quotas if n))

    async def _issue_back_to_back(self, count: int, queue: str) -> None:
        body = json.dumps({"queue": queue}).encode()
        request = (f"POST /api/v1/halls/{HALL}/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Authorization: Bearer {KIOSK_TOKEN}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        try:
            for _ in range(count):
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
                await reader.readexactly(int(length.group(1)) if length else 0)
                assert head.startswith(b"HTTP/1.1 201"), head
        finally:
            writer.close()

    async def act(self, counter: int, action: str, token: str, body: Message | None = None) -> httpx.Response:
        """A counter action by the clerk (or manager) holding ``token``; it must succeed."""
        response = await self.http.post(f"/halls/{HALL}/counters/{counter}/{action}", json=body or {},
                                        headers=bearer(token))
        assert response.status_code in (200, 204), f"{action}: {response.status_code} {response.text}"
        return response

    async def open_counter(self, counter: int, username: str) -> str:
        """The clerk signs in and opens the counter; their token, for the counter's actions."""
        token = await self.login(username)
        await self.act(counter, "open", token)
        return token

    async def ticket(self, status_token: str) -> Message:
        response = await self.http.get(f"/tickets/{status_token}")
        assert response.status_code == 200, response.text
        ticket: Message = response.json()
        return ticket

    async def seq(self) -> int:
        return int((await self.http.get(f"/halls/{HALL}/snapshot")).json()["seq"])

    async def connections(self) -> int:
        """The live sockets the server counts, from /healthz."""
        response = await self.http.get(f"{self.server.base}/healthz")
        assert response.status_code == 200, response.text
        return int(response.json()["connections"])


@asynccontextmanager
async def hall_api(server: ServerProcess) -> AsyncIterator[HallApi]:
    api = HallApi(server)
    try:
        yield api
    finally:
        await api.http.aclose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ----------------------------------------------------------------------------------- WebSocket
def feed_url(server: ServerProcess, path: str, **query: object) -> str:
    return f"{server.ws}{path}" + (f"?{urlencode(query)}" if query else "")


def display_path(hall: str = HALL) -> str:
    return f"/ws/halls/{hall}/display"


@asynccontextmanager
async def feed(server: ServerProcess, path: str, **query: object) -> AsyncIterator[ClientConnection]:
    """A feed socket as a screen or phone opens it (the library answers pings by itself)."""
    async with connect(feed_url(server, path, **query), compression=None, open_timeout=WAIT_S) as ws:
        yield ws


async def receive(ws: ClientConnection, timeout: float = WAIT_S) -> Message:
    message: Message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def receive_through(ws: ClientConnection, seq: int, timeout: float = WAIT_S) -> list[Message]:
    """Every message until one carries ``seq`` (or a later one)."""
    deadline = time.monotonic() + timeout
    messages: list[Message] = []
    while not messages or messages[-1]["seq"] < seq:
        left = deadline - time.monotonic()
        assert left > 0, f"no seq {seq} within {timeout} s; got {[(m['type'], m['seq']) for m in messages[-5:]]}"
        messages.append(await receive(ws, left))
    return messages


async def assert_quiet(ws: ClientConnection, seconds: float = QUIET_S) -> None:
    try:
        message = await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return
    raise AssertionError(f"expected nothing, got {message[:200]!r}")


async def closed_with(ws: ClientConnection, timeout: float = WAIT_S) -> tuple[int, str, list[Message]]:
    """Read until the server closes: its close code and reason, and the data messages before it."""
    before: list[Message] = []
    try:
        while True:
            before.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, f"closed without a close frame from the server: {closed}"
        return closed.rcvd.code, closed.rcvd.reason, before


def assert_gapless(messages: list[Message]) -> None:
    """A snapshot first; then each event one seq after the message before it. A later snapshot
    (a fresh start) may jump ahead, never back."""
    assert messages and messages[0]["type"] == "snapshot", messages[:1]
    seq = messages[0]["seq"]
    for m in messages[1:]:
        if m["type"] == "snapshot":
            assert m["seq"] >= seq, f"a snapshot went back from seq {seq} to {m['seq']}"
        else:
            assert m["seq"] == seq + 1, f"after seq {seq} came {m['seq']} ({m['type']})"
        seq = m["seq"]


def waiting(snapshot: Message, queue: str) -> int:
    return int(next(q["waiting"] for q in snapshot["queues"] if q["code"] == queue))


def numbers(messages: list[Message]) -> list[str]:
    return [m["ticket"]["number"] for m in messages if m["type"] == "ticket.issued"]


# ------------------------------------------------------------------------- raw TCP WebSocket
class RawWebSocket:
    """A WebSocket client done by hand over a plain socket: it does the opening handshake, then
    reads only when ``read_until`` is called and never answers a ping, like a screen whose
    network stalled or a peer that vanished without a FIN."""

    def __init__(self, server: ServerProcess, path: str, rcvbuf: int | None = None) -> None:
        self.sock = socket.socket()
        if rcvbuf is not None:
            # Before connect, so that the window it advertises is small from the start; and small
            # segments, or Linux sizes the server's send buffer by the loopback MSS (64 KiB) and
            # it holds megabytes of events before the server notices the reader stalled.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
        self.sock.settimeout(WAIT_S)
        self.sock.connect(("127.0.0.1", server.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
        assert {k.strip().lower(): v.strip() for k, v in fields.items()}[b"sec-websocket-accept"] == \
            accept_key(key).encode(), head

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        return chunk

    def _take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self._recv()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def message(self) -> Message | None:
        """The next text message; None for a control frame (ping, pong)."""
        first, second = self._take(2)
        assert not second & 0x80, "a server must not mask its frames"
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._take(2), "big")
        elif length == 127:
            length = int.from_bytes(self._take(8), "big")
        payload = self._take(length)
        opcode = first & 0x0F
        assert opcode != 8, f"the server closed the socket: {payload!r}"
        if opcode != 1:
            return None
        assert first & 0x80, "expected whole messages, not fragments"
        message: Message = json.loads(payload)
        return message

    def read_until(self, seq: int) -> list[Message]:
        """Everything sent so far, until a message carries ``seq``."""
        messages: list[Message] = []
        while not messages or messages[-1]["seq"] < seq:
            message = self.message()
            if message is not None:
                messages.append(message)
        return messages

    def close(self) -> None:
        self.sock.close()
