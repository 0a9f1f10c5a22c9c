"""The WebSocket endpoints (CONTRACT "WebSocket feeds", plus the staff and device feeds).

Plain ASGI callables rather than Starlette's WebSocket class: the hub sends through the raw
ASGI ``send`` (see client.py). Every refusal happens after the handshake and before any data,
as a close frame with code 1008 (policy violation) and a reason a person can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from server.agents.endpoint import AgentEndpoint
from server.auth import Principal
from server.bus.base import Subscription as BusSubscription
from server.channels import counter_card_channel, dashboard_channel, hall_channel, kiosk_channel
from server.context import AppContext, current_principal
from server.domain.errors import DomainError
from server.domain.views import public_ticket
from server.params import BIGINT, MAX_COUNTER, whole_number
from server.services.alerts import alerts_message, cases_due_message
from server.services.case_register import CARD_CASES_MESSAGE
from server.services.kiosks import KIOSK_DEVICE_MESSAGES
from server.services.tickets import locate_ticket
from server.sockets import BAD_PAYLOAD, UNSUPPORTED, Refused, SocketEndpoint
from server.store import alerts as store_alerts
from server.store import devices as store_devices
from server.tasks import cancel_and_wait

from . import feeds
from .cases import CaseFeedEndpoint
from .client import Client, dumps, outgoing
from .departments import DepartmentFeedEndpoint
from .feeds import Feed
from .guide import GuideDeskEndpoint

log = logging.getLogger("onewindow.hub")





@dataclass
class Subscription:
    hall: str
    feed: Feed
    params: dict[str, Any]


Resolver = Callable[[HTTPConnection, AppContext], Awaitable[Subscription]]


async def _principal(conn: HTTPConnection, context: AppContext) -> Principal | None:
    """A ``?token=`` (device pages), a bearer header, or the staff session cookie."""
    token = conn.query_params.get("token")
    if token:
        found = await context.principal_for_token(token)
        # a temporary password someone else chose opens nothing until its owner changes it
        return None if found is not None and found.must_change_password else found
    try:
        principal = await current_principal(conn)
    except DomainError:
        return None
    if principal is not None and "authorization" not in conn.headers and not _same_origin(conn):
        return None  # a cookie may only open a socket from our own pages (cross-site WebSocket hijacking)
    return principal


def _same_origin(conn: HTTPConnection) -> bool:
    origin = conn.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == conn.headers.get("host", "")


async def _hall(conn: HTTPConnection, context: AppContext) -> str:
    code = conn.path_params["hall"]
    try:
        await context.engine.hall(code)
    except DomainError:
        raise Refused(f"没有大厅 {code} (no such hall)") from None
    return str(code)


def _staff_of(principal: Principal | None, hall: str, what: str) -> Principal:
    if principal is None:
        raise Refused(f"{what}需要有效令牌或登录 (a valid token or sign-in is required)")
    if not principal.in_hall(hall):
        raise Refused("此凭证属于其他大厅 (this credential belongs to another hall)")
    return principal


async def display(conn: HTTPConnection, context: AppContext) -> Subscription:
    hall = await _hall(conn, context)
    if conn.query_params.get("token"):  # optional, but a wrong one is refused rather than ignored
        _staff_of(await _principal(conn, context), hall, "大屏")
    issued = conn.query_params.get("issued") or "events"
    if issued not in ("events", "counts"):
        raise Refused("issued 只能是 events 或 counts (issued: events or counts)")
    return Subscription(hall, feeds.DISPLAY, {"issued": issued} if issued == "counts" else {})


async def ticket(conn: HTTPConnection, context: AppContext) -> Subscription:
    located = await locate_ticket(context, conn.path_params["status_token"])
    if located is None:
        raise Refused("没有这张票 (no such ticket)")
    hall, found = located
    return Subscription(hall.config.code, feeds.TICKET,
                        {"ticket_id": found.id, "stored": public_ticket(hall, found)})


async def counter(conn: HTTPConnection, context: AppContext) -> Subscription:
    hall = await _hall(conn, context)
    number = whole_number(conn.path_params["number"], 1, MAX_COUNTER)
    if number is None:
        raise Refused("窗口号须为数字 (number must be a counter number)")
    if number not in (await context.engine.hall(hall)).counters:
        raise Refused(f"没有 {number}号窗口 (no such counter)")
    principal = _staff_of(await _principal(conn, context), hall, "窗口")
    holder = (await context.engine.hall(hall)).counters[number].clerk
    clerk = principal.kind == "user" and principal.role == "clerk"
    # The feed shows the visitor's masked name (张*三): only the counter's own people and devices and
    # the managers. A clerk with no fixed counter may follow any (to sign in there), but the name
    # only while holding it (feeds.CounterFeed); a clerk of another counter not at all.
    trusted = principal.is_manager or (clerk and principal.counter == number) or (
        principal.kind == "device" and principal.role in ("counter", "agent") and principal.counter == number)
    if not (trusted or (clerk and (principal.counter is None or holder == principal.name))):
        raise Refused(f"此凭证不能查看 {number}号窗口 (this credential may not follow this counter)")
    return Subscription(hall, feeds.COUNTER, {"counter": number, "trusted": trusted,
                                              "clerk": principal.name if clerk else None,
                                              "person": principal.kind == "user"})


async def kiosk(conn: HTTPConnection, context: AppContext) -> Subscription:
    hall = await _hall(conn, context)
    name = conn.path_params["name"]
    principal = _staff_of(await _principal(conn, context), hall, "取号机")
    if not (principal.is_manager or (principal.kind == "device" and principal.role == "kiosk"
                                     and principal.name == name)):
        raise Refused(f"此凭证不是取号机 {name} 的令牌 (not this kiosk's token)")
    return Subscription(hall, feeds.KIOSK, {"kiosk": name})


async def dashboard(conn: HTTPConnection, context: AppContext) -> Subscription:
    hall = await _hall(conn, context)
    principal = _staff_of(await _principal(conn, context), hall, "督查看板")
    if not principal.is_manager:
        raise Refused("督查看板仅限管理人员 (managers only)")
    try:
        await refresh_pauses(context, hall)  # the first snapshot's stats count today's earlier pauses
    except Exception:
        log.exception("dashboard %s: pauses unreadable", hall)
    return Subscription(hall, feeds.DASHBOARD, {})


def _since(conn: HTTPConnection) -> int | None:
    raw = conn.query_params.get("since")
    if raw is None:
        return None
    since = whole_number(raw, 0, BIGINT)  # a sequence number: what the database's bigint holds
    if since is None:
        raise Refused("since 须为非负整数 (since must be a non-negative integer)")
    return since


def _problem(message: Mapping[str, Any]) -> tuple[int, str] | None:
    """Clients send nothing but ``{"type": "resync"}``; anything else closes that client alone."""
    text = message.get("text")
    if text is None:
        return UNSUPPORTED, "只接受 JSON 文本消息 (only JSON text messages are accepted)"
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return BAD_PAYLOAD, "消息不是 JSON (message is not JSON)"
    if not isinstance(data, dict) or data.get("type") != "resync":
        return UNSUPPORTED, "未知消息类型；只接受 resync (unknown message type; only resync is accepted)"
    return None


RAW_SEND = "onewindow.raw_send"


class KeepRawSend:
    """Outermost middleware: remembers the server's own ``send`` for WebSocket scopes. The
    middlewares in between (sessions, exceptions) wrap ``send`` in a coroutine each but do nothing
    to WebSocket frames; the broadcast path skips them, since it runs once per client per event."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


class FeedEndpoint(SocketEndpoint):
    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve

    async def open(self, conn: HTTPConnection, context: AppContext) -> tuple[Subscription, int | None]:
        return await self.resolve(conn, context), _since(conn)

    async def serve(self, context: AppContext, opened: Any, scope: Scope, receive: Receive, send: Send) -> None:
        sub, since = opened
        client = Client(scope.get(RAW_SEND, send), sub.feed, sub.params)
        await self.follow(context, sub, client, since, receive)

    async def follow(self, context: AppContext, sub: Subscription, client: Client, since: int | None,
                     receive: Receive) -> None:
        hub = context.hub
        try:
            await hub.join(sub.hall, client, since)
            await self.joined(context, sub, client)
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
                problem = _problem(message)
                if problem is not None:
                    await client.close(*problem)
                    return
                hub.leave(sub.hall, client)  # resync: start over with a snapshot
                await hub.join(sub.hall, client, None)
        finally:
            hub.leave(sub.hall, client)

    async def joined(self, context: AppContext, sub: Subscription, client: Client) -> None:
        """After the snapshot (or the replay) is on its way: for feeds that send more of their own."""


class KioskEndpoint(FeedEndpoint):
    """The kiosk feed also carries its device messages (``card.read``): whatever is published on
    the bus channel ``kiosk:{hall}:{name}`` while the kiosk is connected (server/services/kiosks.py).
    They have no ``seq``: they are not hall events and are not replayed on resumption."""

    async def follow(self, context: AppContext, sub: Subscription, client: Client, since: int | None,
                    receive: Receive) -> None:
        async with context.bus.subscribe(kiosk_channel(sub.hall, sub.params["kiosk"])) as messages:
            forward = asyncio.create_task(self._forward(messages, client))
            try:
                await super().follow(context, sub, client, since, receive)
            finally:
                await cancel_and_wait(forward)

    @staticmethod
    async def _forward(messages: BusSubscription, client: Client) -> None:
        async for message in messages:
            if message.get("type") in KIOSK_DEVICE_MESSAGES:
                client.push(outgoing(dumps(message)))

    async def joined(self, context: AppContext, sub: Subscription, client: Client) -> None:
        """The kiosk learns its printer's state as it connects, not at the agent's next heartbeat."""
        hall, name = sub.hall, sub.params["kiosk"]
        rows = await context.engine.read(lambda conn: store_devices.states(conn, hall, name))
        if rows:
            states = {row["device"]: {"state": row["state"], "detail": row["detail"]} for row in rows}
            message = {"type": "device.status", "agent": name, "devices": states}
            client.push(outgoing(dumps(message)))

class CounterEndpoint(FeedEndpoint):
    """The counter feed also carries the cases of the person whose ID card was just read on the
    counter's reader (``card.cases``, server/services/case_register.py): to the people who see the
    visitor there (the clerk holding it, its own clerk, the managers), never to its devices (the
    rating tablet faces the visitor). No ``seq``: not a hall event, not replayed on resumption."""

    async def follow(self, context: AppContext, sub: Subscription, client: Client, since: int | None,
                     receive: Receive) -> None:
        async with context.bus.subscribe(counter_card_channel(sub.hall, sub.params["counter"])) as messages:
            forward = asyncio.create_task(self._forward(context, sub, messages, client))
            try:
                await super().follow(context, sub, client, since, receive)
            finally:
                await cancel_and_wait(forward)

    @staticmethod
    async def _forward(context: AppContext, sub: Subscription, messages: BusSubscription, client: Client) -> None:
        async for message in messages:
            if message.get("type") != CARD_CASES_MESSAGE or not sub.params.get("person"):
                continue
            counter = (await context.engine.hall(sub.hall)).counters.get(sub.params["counter"])
            if counter is not None and feeds.sees_visitor(counter, sub.params):  # who holds it now
                client.push(outgoing(dumps(message)))


# suggestions, complaints and window escalations: to the hall's managers only, never a public feed
FEEDBACK_MESSAGES = ("feedback.new", "feedback.changed", "escalation.new", "escalation.changed")


class DashboardEndpoint(FeedEndpoint):
    """The dashboard feed also carries:

    - the cases near or past their due date (``cases.due``): on connecting, whenever a case
      changes (server/jobs/triggers.py publishes on ``dashboard:{hall}``), and every few minutes,
      since a day turning makes cases overdue without any change;
    - the standing alerts (``{"type": "alerts", "at", "alerts": [...]}``, docs/alerts.md): on
      connecting, then whenever the list changes (an alert comes or goes, is acknowledged, or its
      title changes), checked every ``ALERTS_S`` seconds, on every hall event and on a wake-up on
      ``dashboard:{hall}`` (acknowledgements, settings, case changes).

    Neither has a ``seq``: they are not hall events and are not replayed on resumption."""

    REFRESH_S = 300.0
    ALERTS_S = 5.0
    SETTLE_S = 0.2  # a burst of hall events is one check

    async def follow(self, context: AppContext, sub: Subscription, client: Client, since: int | None,
                    receive: Receive) -> None:
        wake = asyncio.Event()
        joined = asyncio.Event()
        sub.params["_wake"], sub.params["_joined"] = wake, joined
        async with context.bus.subscribe(dashboard_channel(sub.hall)) as messages, \
                context.bus.subscribe(hall_channel(sub.hall)) as hall_events:
            tasks = [asyncio.create_task(self._forward(messages, client, wake)),
                     asyncio.create_task(self._wake_on(hall_events, wake)),
                     asyncio.create_task(self._refresh(context, sub.hall, client)),
                     asyncio.create_task(self._alerts(context, sub.hall, client, wake, joined))]
            try:
                await super().follow(context, sub, client, since, receive)
            finally:
                for task in tasks:
                    await cancel_and_wait(task)

    @staticmethod
    async def _forward(messages: BusSubscription, client: Client, wake: asyncio.Event) -> None:
        async for message in messages:
            if message.get("type") == "cases.due":
                client.push(outgoing(dumps(message)))
            if message.get("type") in FEEDBACK_MESSAGES:  # the managers' own (server/services/feedback.py)
                client.push(outgoing(dumps(message)))
            if message.get("type") in ("cases.due", "alerts.changed"):
                wake.set()

    @staticmethod
    async def _wake_on(hall_events: BusSubscription, wake: asyncio.Event) -> None:
        async for _ in hall_events:
            wake.set()

    async def _refresh(self, context: AppContext, hall: str, client: Client) -> None:
        while True:
            await asyncio.sleep(self.REFRESH_S)
            message = await cases_due_message(context, hall)
            client.push(outgoing(dumps(message)))

    async def _alerts(self, context: AppContext, hall: str, client: Client, wake: asyncio.Event,
                      joined: asyncio.Event) -> None:
        await joined.wait()  # the snapshot goes first
        last: list[Any] | None = None
        while True:
            wake.clear()
            try:
                await refresh_pauses(context, hall)
                message = await alerts_message(context, hall)
            except Exception:  # a database hiccup: try again at the next check
                log.exception("dashboard %s: alerts check failed", hall)
            else:
                if message["alerts"] != last:
                    last = message["alerts"]
                    client.push(outgoing(dumps(message)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.ALERTS_S)
                await asyncio.sleep(self.SETTLE_S)

    async def joined(self, context: AppContext, sub: Subscription, client: Client) -> None:
        message = await cases_due_message(context, sub.hall)
        client.push(outgoing(dumps(message)))
        joined = sub.params.get("_joined")
        if isinstance(joined, asyncio.Event):
            joined.set()


async def refresh_pauses(context: AppContext, code: str) -> feeds.PauseLedger:
    """Brings the hall's pause ledger (today's pauses per counter, for ``stats``) up to date."""
    hall = await context.engine.hall(code)
    now = context.clock.now()
    today = hall.local_day(now)
    ledger = feeds.PAUSES.get(code)
    if ledger is None or ledger.day != today:
        ledger = feeds.PauseLedger(day=today)
    if hall.seq > ledger.seq:
        start = datetime.combine(today, time(0), tzinfo=hall.tz)
        after = ledger.seq
        rows = await context.engine.read(lambda conn: store_alerts.counter_events_since(conn, code, start, after))
        ledger.fold(rows)
        ledger.seq = max(ledger.seq, hall.seq)  # the query saw every event up to hall.seq, at least
    feeds.PAUSES[code] = ledger
    return ledger


ROUTES = [
    WebSocketRoute("/ws/halls/{hall}/display", FeedEndpoint(display)),
    WebSocketRoute("/ws/tickets/{status_token}", FeedEndpoint(ticket)),
    WebSocketRoute("/ws/halls/{hall}/counters/{number}", CounterEndpoint(counter)),
    WebSocketRoute("/ws/halls/{hall}/kiosks/{name}", KioskEndpoint(kiosk)),
    WebSocketRoute("/ws/halls/{hall}/dashboard", DashboardEndpoint(dashboard)),
    WebSocketRoute("/ws/halls/{hall}/agents/{name}", AgentEndpoint()),
    WebSocketRoute("/ws/agent", AgentEndpoint()),
    WebSocketRoute("/ws/cases/{status_token}", CaseFeedEndpoint()),
    WebSocketRoute("/ws/halls/{hall}/departments/{code}", DepartmentFeedEndpoint(_principal)),
    WebSocketRoute("/ws/halls/{hall}/guide/{desk}", GuideDeskEndpoint(_principal)),
]
