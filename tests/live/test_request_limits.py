"""What an anonymous client can make a real `onewindow serve` hold (security issue, point 5): bodies
over the limit are refused as they stream, a request's head must arrive whole and in time, an idle
keep-alive connection is closed, the connections per process are capped, and a body built to make
the validator list a million errors is answered at once."""

from __future__ import annotations

import select
import socket
import threading
import time
from pathlib import Path

import httpx
import orjson

from server.cli import demo_token
from server.demo import DEMO_PASSWORD
from tests.api.conftest import SECRET
from tests.servers import ServerProcess

from .hallkit import Launch

MiB = 1024 * 1024


def rss_bytes(server: ServerProcess) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def connect(server: ServerProcess, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length (all of ours have one)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes this connection within ``within`` seconds (whatever it sends first)."""
    sock.settimeout(within)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return False


def stream_body(server: ServerProcess, head: bytes, total: int, chunked: bool, out: list[int]) -> None:
    """Sends ``head`` and then up to ``total`` bytes of body, 1 MiB at a time, stopping as soon as the
    server answers; appends the status (0: the server closed without one)."""
    sock = connect(server, timeout=60)
    chunk = b"x" * MiB
    try:
        sock.sendall(head)
        sent = 0
        while sent < total and not select.select([sock], [], [], 0)[0]:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            sent += len(chunk)
        if chunked and sent >= total:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed while this was still sending: its answer was read first
    try:
        status, _, body = read_response(sock)
        if status == 413:
            assert orjson.loads(body)["error"]["code"] == "body_too_large"
        out.append(status)
    except (ConnectionError, OSError):
        out.append(0)
    finally:
        sock.close()


def test_four_100_mib_bodies_are_413_and_the_process_does_not_grow(launch: Launch) -> None:
    server = launch()
    httpx.post(f"{server.base}/api/v1/auth/login", json={"username": "x", "password": "y"})  # warm
    before = rss_bytes(server)
    head = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (100 * MiB))
    statuses: list[int] = []
    senders = [threading.Thread(target=stream_body, args=(server, head, 100 * MiB, False, statuses))
               for _ in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(120)
    grown = rss_bytes(server) - before
    assert statuses == [413] * 4
    assert grown < 32 * MiB, f"the server grew by {grown / MiB:.0f} MiB"
    assert httpx.get(f"{server.base}/healthz").status_code == 200


def test_a_chunked_body_is_counted_as_it_arrives(launch: Launch) -> None:
    server = launch()
    head = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    statuses: list[int] = []
    stream_body(server, head, 64 * MiB, True, statuses)
    assert statuses == [413]
    small = httpx.post(f"{server.base}/api/v1/auth/login", content=iter([b'{"username": "x", ', b'"password": "y"}']),
                       headers={"Content-Type": "application/json"})
    assert small.status_code == 401  # chunked and within the limit: read as ever


def test_a_million_unknown_keys_are_refused_without_an_error_each(launch: Launch) -> None:
    server = launch({"ONEWINDOW_MAX_BODY_BYTES": str(16 * MiB)})  # let the 12 MB body in, to the parser
    body = orjson.dumps({f"k{i}": 0 for i in range(1_000_000)})
    started = time.monotonic()
    response = httpx.post(f"{server.base}/api/v1/auth/login", content=body,
                          headers={"Content-Type": "application/json"}, timeout=60)
    took = time.monotonic() - started
    assert response.status_code == 422 and response.json()["error"]["field"] == "k0"
    assert took < 3, f"{took:.1f} s"  # it was 6 s: pydantic built a million errors to show the first
    admin = httpx.post(f"{server.base}/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD})
    token = {"Authorization": f"Bearer {admin.json()['token']}"}
    dates = orjson.dumps({"holidays": ["x"] * 250_000})  # a 1 MB list of bad dates: 1.3 s of errors
    started = time.monotonic()
    response = httpx.put(f"{server.base}/api/v1/calendar/2030", content=dates, timeout=60,
                         headers={**token, "Content-Type": "application/json"})
    took = time.monotonic() - started
    assert response.status_code == 422 and response.json()["error"]["code"] == "too_many_values"
    assert took < 0.6, f"{took:.2f} s"


def test_half_sent_requests_are_closed_after_the_header_timeout(launch: Launch) -> None:
    server = launch({"ONEWINDOW_HEADER_TIMEOUT_S": "1"})
    half = [connect(server) for _ in range(200)]
    for sock in half[:100]:  # the other 100 send nothing at all
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")  # the head never ends
    kept = connect(server)  # a finished request, then half of the next one on the same connection
    kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(kept)[0] == 200
    kept.sendall(b"GET /healthz HTTP/1.1\r\n")
    assert httpx.get(f"{server.base}/healthz").status_code == 200  # a whole request is served meanwhile
    time.sleep(1.5)
    assert all(closed_by_server(sock, 2.0) for sock in [*half, kept])
    for sock in [*half, kept]:
        sock.close()


def test_a_body_that_does_not_arrive_in_time_is_a_408(launch: Launch) -> None:
    server = launch({"ONEWINDOW_BODY_TIMEOUT_S": "1"})
    slow = [connect(server) for _ in range(20)]
    for sock in slow:  # a whole head, then a trickle of body that would take for ever
        sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n{\"username\": ")
    time.sleep(0.6)
    for sock in slow:
        sock.sendall(b" ")
    status, _, body = read_response(slow[0])
    assert status == 408 and orjson.loads(body)["error"]["code"] == "request_timeout"
    assert all(closed_by_server(sock, 2.0) for sock in slow)
    for sock in slow:
        sock.close()
    login = httpx.post(f"{server.base}/api/v1/auth/login", json={"username": "manager", "password": DEMO_PASSWORD})
    assert login.status_code == 200
    assert "Traceback" not in server.log()  # a client that is cut off is no server error


def test_an_idle_keep_alive_connection_is_closed(launch: Launch) -> None:
    server = launch({"ONEWINDOW_KEEP_ALIVE_S": "1"})
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(sock)[0] == 200
    assert closed_by_server(sock, 2.5)  # uvicorn's default keeps it 5 s
    sock.close()


def test_connections_past_the_cap_get_a_503_and_are_closed(launch: Launch) -> None:
    server = launch({"ONEWINDOW_MAX_CONNECTIONS": "16"})
    idle = [connect(server) for _ in range(16)]
    time.sleep(0.3)  # the server has taken them all
    extra = connect(server)
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    status, headers, body = read_response(extra)
    assert status == 503 and headers["connection"] == "close" and "retry-after" in headers
    assert orjson.loads(body)["error"]["code"] == "too_many_connections"
    assert closed_by_server(extra, 2.0)
    for sock in [*idle, extra]:
        sock.close()
    time.sleep(0.3)
    assert httpx.get(f"{server.base}/healthz").status_code == 200


def test_a_head_over_the_limit_is_a_431(launch: Launch) -> None:
    server = launch()
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ")
    for _ in range(160):  # 10 MB of one header, which httptools itself would keep whole
        if select.select([sock], [], [], 0.01)[0]:
            break
        sock.sendall(b"a" * 65536)
    else:
        sock.sendall(b"\r\n\r\n")
    status, _, body = read_response(sock)
    assert status == 431 and orjson.loads(body)["error"]["code"] == "header_too_large"
    sock.close()
    kiosk = {"Authorization": f"Bearer {demo_token(SECRET, 'kiosk', 'kiosk-1')}"}
    assert httpx.post(f"{server.base}/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers=kiosk
                      ).status_code == 201
