"""What `/metrics` tells Prometheus (prometheus-client): every metric is defined here, once, and
docs/operations.md says what each means.

Several web processes (`onewindow serve --workers N`) answer one port, so a scrape reaches any of
them: `serve` gives them a shared folder (``PROMETHEUS_MULTIPROC_DIR``) where each process keeps
its counts, and the one that is asked adds them up (prometheus-client's multiprocess mode). Figures
that are the same in every process, such as the visitors waiting per queue, are read from the
hall's state at the moment of the scrape instead.

Cheap on the request path by design: the labelled children are looked up once and kept, so an
observation is a dictionary hit and an addition."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from time import perf_counter
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUEST_SECONDS = Histogram(
    "onewindow_http_request_duration_seconds", "HTTP requests by route family, method and status class",
    ["family", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0))
TICKETS_ISSUED = Counter("onewindow_tickets_issued", "Tickets issued", ["hall", "queue"])
TICKETS_CALLED = Counter("onewindow_tickets_called", "Tickets called to a counter (recalls not counted)",
                         ["hall", "queue"])
WEBSOCKET_CLIENTS = Gauge("onewindow_websocket_clients", "Open WebSocket connections by feed", ["feed"],
                          multiprocess_mode="livesum")
BUS_LAG_SECONDS = Histogram(
    "onewindow_bus_lag_seconds", "From a hall event's time to its arrival through Redis in this process",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0))
BUS_RECONNECTS = Counter("onewindow_bus_reconnects", "Times the Redis subscription was opened again after a failure")
WRITE_BATCH_SIZE = Histogram("onewindow_write_batch_size", "Commands committed together by a hall's writer",
                             buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
STORAGE_FAILURES = Counter("onewindow_storage_errors", "Failed operations of the database or the bus",
                         ["what", "kind"])

_requests: dict[tuple[str, str, str], Any] = {}
_issued: dict[tuple[str, str], Any] = {}
_called: dict[tuple[str, str], Any] = {}


def request_family(scope: Scope) -> str:
    """A bounded label for a request: the module of the route that answered it (``api.counters``,
    ``pages.kiosk``), ``static``, or ``unmatched``; never the path itself (a ticket's token, a hall
    code typed wrong), which would grow without end."""
    path: str = scope.get("path", "")
    if path.startswith("/static/"):
        return "static"
    endpoint = scope.get("endpoint")
    module = getattr(endpoint, "__module__", None) or ""
    if module.startswith("server.api."):
        return "api." + module.rsplit(".", 1)[1]
    if module.endswith(".routes"):
        return "pages." + module.split(".", 1)[0]
    if module in ("server.web", "server.api"):
        return "pages.common"
    return "unmatched" if endpoint is None else "other"


def observe_request(family: str, method: str, status: int, seconds: float) -> None:
    key = (family, method, f"{status // 100}xx")
    child = _requests.get(key)
    if child is None:
        child = _requests[key] = REQUEST_SECONDS.labels(*key)
    child.observe(seconds)


class RequestMetrics:
    """ASGI middleware: each HTTP request's duration; WebSockets pass untouched (the hub's fast path
    writes frames to the transport itself: server/hub/client.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            observe_request(request_family(scope), scope["method"], status, perf_counter() - started)


# /ws/halls/{hall}/<feed>/… and /ws/<feed>/…: the feed's name, singular (a bounded label)
FEEDS = {"display": "display", "counters": "counter", "kiosks": "kiosk", "dashboard": "dashboard",
         "agents": "agent", "agent": "agent", "tickets": "ticket", "cases": "case", "departments": "department",
         "guide": "guide"}
_clients: dict[str, Any] = {}


def websocket_clients(path: str) -> Any:
    """The gauge of the feed ``path`` belongs to."""
    parts = path.split("/")  # "", "ws", "halls", hall, feed, …
    word = parts[4] if len(parts) > 4 and parts[2] == "halls" else parts[2] if len(parts) > 2 else ""
    feed = FEEDS.get(word, "other")
    child = _clients.get(feed)
    if child is None:
        child = _clients[feed] = WEBSOCKET_CLIENTS.labels(feed)
    return child


def count_ticket_events(hall: str, events: Iterable[Any]) -> None:
    """Issued and called tickets, from the events a hall's writer just committed (each event is
    counted once, by the process that wrote it)."""
    for event in events:
        kind = event.type
        if kind != "ticket.issued" and kind != "ticket.called":
            continue
        ticket = event.ticket
        if ticket is None:
            continue
        children = _issued if kind == "ticket.issued" else _called
        key = (hall, ticket.queue)
        child = children.get(key)
        if child is None:
            child = children[key] = (TICKETS_ISSUED if kind == "ticket.issued" else TICKETS_CALLED).labels(*key)
        child.inc()


def bus_lag(message: dict[str, Any], now: datetime) -> None:
    """A hall event that came through Redis: how long after it happened."""
    at = message.get("at")
    if "seq" in message and isinstance(at, str):
        with contextlib.suppress(ValueError):  # not a time: nothing to measure
            BUS_LAG_SECONDS.observe(max((now - datetime.fromisoformat(at)).total_seconds(), 0.0))


class Waiting(Collector):
    """Visitors waiting per queue, read from the halls' state when Prometheus asks."""

    def __init__(self, waiting: dict[tuple[str, str], int]) -> None:
        self.waiting = waiting

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("onewindow_waiting", "Visitors waiting per queue", labels=["hall", "queue"])
        for (hall, queue), count in sorted(self.waiting.items()):
            family.add_metric([hall, queue], count)
        yield family


def exposition(waiting: dict[tuple[str, str], int]) -> bytes:
    """The text a scrape gets: this process's metrics, or every process's in multiprocess mode, and
    the waiting counts."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    waiting_registry = CollectorRegistry()
    waiting_registry.register(Waiting(waiting))
    return body + generate_latest(waiting_registry)
