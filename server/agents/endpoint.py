"""``/ws/agent`` (the agent's token, as ``Authorization: Bearer`` or ``?token=``, says which hall
and which agent it is; ``/ws/halls/{hall}/agents/{name}`` names them too): one agent's socket.

The agent sends what its devices did as events, each with its own id; the server acts on each
once (the id is stored with the acknowledgement it got, so an event re-sent after a reconnect is
acknowledged again, not acted on again) and always answers ``ack``, with an error the agent
logs when the hall refused it (a call key at a closed counter, say): refusals are final, retrying
would not help. Which counters an agent drives is the server's decision (drive.py). The server
sends print jobs for the kiosk of the same name and the called numbers for the LED strips of the
agent's counters. docs/devices.md has every message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any, TypeGuard

import orjson
from sqlalchemy.exc import IntegrityError
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from server.auth import Principal
from server.bus.base import Subscription
from server.channels import agent_channel, counter_print_channel, hall_channel, kiosk_channel
from server.context import AppContext, caller_token, current_principal
from server.domain.errors import DomainError, InvalidInput
from server.domain.keypad import ACTIONS
from server.domain.model import TicketStatus
from server.domain.views import iso
from server.services.cards import holder_from_agent, kiosk_card
from server.services.case_register import show_at_counter
from server.services.kiosks import publish_card
from server.services.tickets import forget_kiosk_devices
from server.sockets import Refused, SocketEndpoint
from server.store import devices
from server.store.accounts import token_hash
from server.tasks import cancel_and_wait

from . import drive

log = logging.getLogger("onewindow.agents")

EVENT_TYPES = ("card.read", "card.removed", "card.tap", "key", "rating", "print.result")
DEVICE_STATES = ("ok", "offline", "paper_out", "paper_low", "cover_open", "error")
KEEP_EVENT_IDS = timedelta(days=7)
STALE_CARD_READ = timedelta(minutes=2)


class BadMessage(ValueError):
    """A malformed message: logged and answered with an error; the socket stays open."""


async def _principal(conn: HTTPConnection, context: AppContext) -> Principal | None:
    token = conn.query_params.get("token")
    if token:
        return await context.principal_for_token(token)
    try:
        return await current_principal(conn)
    except DomainError:
        return None


class AgentEndpoint(SocketEndpoint):
    async def open(self, conn: HTTPConnection, context: AppContext) -> tuple[str, str, Principal, str]:
        principal = await _principal(conn, context)
        code = conn.path_params.get("hall") or (principal.hall if principal else None) or ""
        name = conn.path_params.get("name") or (principal.name if principal else "")
        if principal is None:
            raise Refused("设备代理需要有效令牌 (a valid agent token is required)")
        if not (principal.kind == "device" and principal.role == "agent" and principal.name == name
                and principal.in_hall(code)):
            raise Refused(f"此令牌不是 {code} 大厅 {name} 的设备代理令牌 (not this agent's token)")
        try:
            await context.engine.hall(code)
        except DomainError:
            raise Refused(f"没有大厅 {code} (no such hall)") from None
        return code, name, principal, token_hash(conn.query_params.get("token") or caller_token(conn) or "")

    async def serve(self, context: AppContext, opened: Any, scope: Scope, receive: Receive, send: Send) -> None:
        code, name, principal, hashed = opened
        await AgentSession(context, code, name, principal.counter, send, hashed).run(receive)


class AgentSession:
    def __init__(self, context: AppContext, hall: str, name: str, bound_counter: int | None, send: Send,
                 token_hash: str | None = None) -> None:
        self.context = context
        self.token_hash = token_hash  # its heartbeats are when it was last seen (server/services/devices.py)
        self.hall = hall
        self.name = name
        self.bound_counter = bound_counter  # an agent token made with --counter N drives only counter N
        # The counters whose strips it lights and whose prints it takes: what it may drive and has.
        self.counters: set[int] = {bound_counter} if bound_counter is not None else set()
        self._send = send
        self._send_lock = asyncio.Lock()
        self._states: dict[str, dict[str, str]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._printing_for: set[int] = set()

    # ------------------------------------------------------------------ life
    async def run(self, receive: Receive) -> None:
        bus = self.context.bus
        await forget_old_events(self.context)
        async with bus.subscribe(agent_channel(self.hall, self.name)) as jobs, \
                bus.subscribe(hall_channel(self.hall)) as events:
            self._tasks = [asyncio.create_task(self._forward_jobs(jobs)),
                           asyncio.create_task(self._follow_calls(events))]
            try:
                await self._receive_loop(receive)
            finally:
                for task in self._tasks:
                    await cancel_and_wait(task)
                await self._gone()

    async def _receive_loop(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                data = orjson.loads(message.get("text") or message.get("bytes") or b"")
                if not isinstance(data, dict):
                    raise BadMessage("message is not a JSON object")
                await self._dispatch(data)
            except (orjson.JSONDecodeError, BadMessage, KeyError, TypeError, ValueError) as error:
                # Never the message itself in the log: a card read carries an ID number.
                log.warning("agent %s/%s: rejected a malformed message (%s)", self.hall, self.name,
                            error.__class__.__name__ if not isinstance(error, BadMessage) else error)
                await self.send({"type": "error", "message": f"消息格式不正确 (malformed message: {error})"})

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._send({"type": "websocket.send", "text": orjson.dumps(message).decode()})

    # ------------------------------------------------------------------ agent → server
    async def _dispatch(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "hello":
            counters = data.get("counters") or []
            if not isinstance(counters, list) or not all(_is_number(c) for c in counters):
                raise BadMessage("counters must be counter numbers")
            allowed = await drive.allowed_counters(self.context, self.hall, self.name, self.bound_counter)
            if set(counters) - allowed:  # told, logged and audited; the rest of the hello stands
                refused = await drive.refuse(self.context, self.hall, self.name, set(counters) - allowed, allowed,
                                             {"event": "hello"})
                await self.send({"type": "error", "message": refused.message})
            self.counters = allowed if self.bound_counter is not None else set(counters) & allowed
            await self._save_states(data.get("devices") or {})
            if "printer" in self._states:
                await self._follow_counter_printing()
            await self._send_current_strips()
            await self.send({"type": "welcome", "hall": self.hall, "counters": sorted(self.counters)})
        elif kind == "heartbeat":
            if self.token_hash:  # 最近在线: noted in memory, written at most once a minute
                self.context.seen.note(self.token_hash, self.hall, self.context.wall())
            await self._save_states(data.get("devices") or {})
        elif kind == "event":
            await self._event(data)
        else:
            raise BadMessage(f"unknown message type {kind!r}")

    async def _event(self, data: dict[str, Any]) -> None:
        event_id, event = data.get("id"), data.get("event")
        if not isinstance(event_id, str) or not 8 <= len(event_id) <= 64 or not isinstance(event, dict):
            raise BadMessage("an event needs an id (8–64 characters) and an event object")
        kind = event.get("type")
        if kind not in EVENT_TYPES:
            raise BadMessage(f"unknown event type {kind!r}")
        engine = self.context.engine
        done = await engine.read(lambda conn: devices.acted_on(conn, event_id))
        if done is not None:  # re-sent after a reconnect: answer as before, do nothing again
            await self.send(done)
            return
        try:
            result = await self._act(kind, event, _happened(data.get("at")))
            ack: dict[str, Any] = {"type": "ack", "id": event_id, "ok": True, **result}
        except DomainError as refused:
            ack = {"type": "ack", "id": event_id, "ok": False, "error": {"code": refused.code,
                                                                         "message": refused.message}}
        now = self.context.clock.now()
        # The same event on a second connection at the same moment: the first one counts.
        with contextlib.suppress(IntegrityError):
            await engine.write(lambda conn: devices.record_event(
                conn, event_id=event_id, hall=self.hall, agent=self.name, type=kind, at=now, result=ack))
        await self.send(ack)

    async def _act(self, kind: str, event: dict[str, Any], happened: datetime | None) -> dict[str, Any]:
        context = self.context
        hall = await context.engine.hall(self.hall)
        now = context.clock.now()
        if kind == "card.read" and happened is not None and now - happened > STALE_CARD_READ:
            return {"stale": True}  # queued while the server was away: the visitor has left the kiosk
        if kind == "card.read":
            card = event.get("card")
            if not isinstance(card, dict):
                raise BadMessage("card must be an object")
            try:
                holder = holder_from_agent(context.settings.secret_key, card, hall.local_day(now))
            except ValueError:
                log.info("agent %s/%s: refused a card read (bad check digit or birth date)", self.hall, self.name)
                raise CardRefused("身份证信息无效，请重新放置 (the card's data is not valid)",
                                  "invalid card data") from None
            counter = await self._card_counter(event)
            if counter is not None:  # the reader of a counter's PC: the clerk sees the person's cases
                shown = await show_at_counter(context, hall, counter, holder)
                return {"counter": counter, "cases": shown["total"]}
            await publish_card(context.bus, hall, self.name, kiosk_card(context.settings.secret_key, holder), now)
            return {"priority_hint": holder.priority_hint}
        if kind in ("card.removed", "card.tap", "print.result"):
            forwarded = {k: v for k, v in event.items() if k in ("type", "ticket", "ok", "state", "detail", "reader")}
            await self._to_kiosk({**forwarded, "at": iso(now, hall)})
            return {}
        number = event.get("counter")
        if not _is_number(number):
            raise BadMessage("counter must be a counter number")
        if kind == "key":
            action, argument = event.get("action"), event.get("argument")
            if action not in ACTIONS or not (argument is None or _is_number(argument)):
                raise BadMessage(f"unknown keypad action {action!r}")
            await self._may_drive(number, {"event": "key", "key": action})
            if action == "evaluate":
                await self.send({"type": "beep", "counter": number})  # wake the evaluator for the visitor
            return {"ticket": await drive.press(context, self.hall, self.name, number, action, argument)}
        # rating, from the evaluator at that counter: the same table and rules as the tablet's
        level = event.get("level")
        if not _is_number(level) or not 1 <= level <= 5:
            raise BadMessage("level must be 1..5")
        await self._may_drive(number, {"event": "rating", "level": level})
        return {"ticket": await drive.rate(context, self.hall, self.name, number, level)}

    async def _card_counter(self, event: dict[str, Any]) -> int | None:
        """Where a card was read: at the counter the event names (one this agent drives), or at the
        counter its token is bound to (``--counter N``, a counter's own PC); else at its kiosk."""
        number = event.get("counter")
        if number is None:
            return self.bound_counter
        if not _is_number(number):
            raise BadMessage("counter must be a counter number")
        await self._may_drive(number, {"event": "card.read"})
        return number

    async def _may_drive(self, number: int, what: dict[str, Any]) -> None:
        allowed = await drive.allowed_counters(self.context, self.hall, self.name, self.bound_counter)
        if number not in allowed:
            raise await drive.refuse(self.context, self.hall, self.name, [number], allowed, what)

    async def _save_states(self, states: Any) -> None:
        if not isinstance(states, dict):
            raise BadMessage("devices must be an object")
        clean: dict[str, dict[str, str]] = {}
        for device, status in states.items():
            if not isinstance(status, dict) or status.get("state") not in DEVICE_STATES:
                raise BadMessage(f"device {str(device)[:32]!r} has no valid state")
            clean[str(device)[:32]] = {"state": status["state"], "detail": str(status.get("detail", ""))[:200]}
        clean["agent"] = {"state": "ok", "detail": ""}
        await self._publish_states(clean)

    async def _gone(self) -> None:
        states = {device: {"state": "offline", "detail": "设备代理已断开"} for device in self._states}
        states["agent"] = {"state": "offline", "detail": "设备代理已断开 (agent disconnected)"}
        try:
            await self._publish_states(states)
        except Exception as error:  # shutting down: the database may already be gone
            log.info("agent %s/%s: could not record it went offline (%s)", self.hall, self.name, error)

    async def _publish_states(self, states: dict[str, dict[str, str]]) -> None:
        changed = any(self._states.get(device) != status for device, status in states.items())
        self._states.update(states)
        if not changed:
            return
        now = self.context.clock.now()
        await self.context.engine.write(lambda conn: devices.save_states(conn, self.hall, self.name, states, now))
        forget_kiosk_devices(self.context, self.hall, self.name)  # the next ticket sees the printer as it is
        await self._to_kiosk({"type": "device.status", "agent": self.name, "devices": dict(self._states)})

    async def _to_kiosk(self, message: dict[str, Any]) -> None:
        await self.context.bus.publish(kiosk_channel(self.hall, self.name), message)

    # ------------------------------------------------------------------ server → agent
    async def _forward_jobs(self, jobs: Subscription) -> None:
        async for job in jobs:
            if job.get("type") in ("print", "beep"):
                await self.send(job)

    async def _follow_counter_printing(self) -> None:
        """A case receipt or notice made at one of this agent's counters prints on its printer."""
        for number in sorted(self.counters - self._printing_for):
            self._printing_for.add(number)
            self._tasks.append(asyncio.create_task(self._print_for_counter(number)))

    async def _print_for_counter(self, number: int) -> None:
        async with self.context.bus.subscribe(counter_print_channel(self.hall, number)) as jobs:
            await self._forward_jobs(jobs)

    async def _follow_calls(self, events: Subscription) -> None:
        async for event in events:
            counter = (event.get("counter") or {}).get("number")
            if counter not in self.counters:
                continue
            if event.get("type") in ("ticket.called", "ticket.recalled"):
                await self.send({"type": "strip", "counter": counter, "number": event["ticket"]["number"]})
                if event.get("type") == "ticket.called":
                    await self.send({"type": "beep", "counter": counter})
            elif event.get("type") == "counter.closed":
                await self.send({"type": "strip", "counter": counter, "number": ""})

    async def _send_current_strips(self) -> None:
        """After a reconnect the strips show what is current now, not what they showed before."""
        hall = await self.context.engine.hall(self.hall)
        for number in sorted(self.counters):
            counter = hall.counters.get(number)
            ticket = hall.current_ticket(counter) if counter else None
            await self.send({"type": "strip", "counter": number,
                             "number": ticket.number if ticket and ticket.status == TicketStatus.CALLED else ""})


def _is_number(value: object) -> TypeGuard[int]:
    """A JSON integer: ``true`` is an int to Python, but no counter is called true."""
    return isinstance(value, int) and not isinstance(value, bool)


def _happened(raw: object) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None
    return at if at is None or at.tzinfo else None


class CardRefused(InvalidInput):
    code = "invalid_card"


async def forget_old_events(context: AppContext) -> int:
    before = context.clock.now() - KEEP_EVENT_IDS
    return await context.engine.write(lambda conn: devices.forget_events_before(conn, before))
