"""What the jobs tests deliver to: a real HTTP receiver on a free loopback port standing in for the
system at the other end (the SMS gateway, a department's webhook, the province's 好差评 platform);
and the Redis their rq workers use (127.0.0.1:6379, database 3, or TEST_REDIS_URL)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from server.jobs.providers import SIGNATURE_HEADER, verify_signature


@dataclass
class Receiver:
    """A system the hall's jobs POST to, served while the receiver is entered (`with`). It answers the
    statuses scripted for a path in turn, then 200, each after ``delay`` seconds, and keeps every
    request: path, headers (lower-case names), body, its JSON and the scripted status. With a
    ``secret`` it also notes whether the signature was right, and answers a wrong one 401."""

    path: str = "/"  # where the jobs post to, when a test has one place: `url`
    scripts: dict[str, list[int]] = field(default_factory=dict)
    delay: float = 0.0
    secret: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"{self.base}{self.path}"

    @property
    def delivered(self) -> int:
        return sum(1 for r in self.requests if r["status"] == 200)

    def script(self, *statuses: int) -> None:
        """The next answers at `path`: these statuses in turn, then 200."""
        self.scripts[self.path] = list(statuses)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        time.sleep(self.delay)
        with self.lock:
            script = self.scripts.get(path, [])
            status = script.pop(0) if script else 200
            request = {"path": path, "headers": headers, "body": body, "json": json.loads(body), "status": status}
            if self.secret is not None:
                request["signed"] = verify_signature(self.secret, body, headers.get(SIGNATURE_HEADER.lower()))
            self.requests.append(request)
            return status if request.get("signed", True) else 401

    def at(self, path: str | None = None, wait: float = 10.0, count: int = 1) -> list[dict[str, Any]]:
        """The requests ``path`` (by default `path`) got, once there are ``count`` of them or ``wait``
        seconds passed."""
        deadline = time.monotonic() + wait
        while True:
            with self.lock:
                got = [r for r in self.requests if r["path"] == (path or self.path)]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.02)

    def __enter__(self) -> Self:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.answer(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
