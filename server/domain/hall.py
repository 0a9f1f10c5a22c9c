"""The hall engine: one hall's state, the commands that change it, and ``apply``.

Commands validate first and raise a :class:`~server.domain.errors.DomainError` before touching
anything; then they emit events, and every event is applied at once through :meth:`Hall.apply`,
the same path that replays events written by another server process. So the state is always the
fold of the event log, whoever wrote it.

Every command first rolls the hall over to the day of ``now`` (:meth:`Hall.roll_day`), then
validates against *today's* state: the first action after midnight, or after a server stopped
overnight, must never call or finish a ticket that the day change cancels, nor act at a counter
that it closes. A command refused after the roll leaves the roll applied; the engine, which
stores every event, therefore rolls the day itself before running a batch of commands.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sortedcontainers import SortedList

from . import errors
from . import settings as hall_settings
from .estimate import HORIZON_S, REBASE_S, Observed, Projection, eta_range
from .model import (
    APPOINTMENT_CLASS,
    CLASSES,
    WALK_IN_CLASS,
    Channel,
    Counter,
    CounterConfig,
    CounterMode,
    Event,
    HallConfig,
    Priority,
    QueueConfig,
    Ticket,
    TicketStatus,
)
from .policy import make_chooser

WaitKey = tuple[float, str]  # (order_at, ticket id)


class Hall:
    def __init__(self, config: HallConfig, seq: int = 0, day: date | None = None) -> None:
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self.seq = seq
        self.day = day
        self.choose = make_chooser(config.policy)
        self.tickets: dict[str, Ticket] = {}
        self.by_token: dict[str, str] = {}
        self.by_number: dict[tuple[date, str], str] = {}
        self.by_issue_key: dict[tuple[date, str], str] = {}
        self.counters = {c.number: Counter(c.number, c.name, c.queues) for c in config.counters}
        self.serials: dict[tuple[date, str], int] = {}
        self.observed = Observed(config.service_window, config.default_service_s, self.tz)  # what the estimate learns
        for q in config.queues:
            self.observed.lines(q.code)
        self.clock: datetime | None = None  # the time of the last event applied: "now" for the estimates
        # The estimates' projection starts from a base state and is carried on by the tickets issued
        # at the end of their lines since (``_rebase``): (seq, time) of the base; those tickets per line.
        self._base: tuple[int, float] | None = None
        self._tails: dict[tuple[str, int], int] = {}
        self._projection: Projection | None = None
        self.recent_calls: deque[tuple[str, int, datetime]] = deque(maxlen=config.recent_calls)
        self._waiting: dict[tuple[str, int], SortedList] = {
            (q.code, cls): SortedList() for q in config.queues for cls in CLASSES
        }
        self._targeted: dict[int, SortedList] = {n: SortedList() for n in self.counters}
        self.notice: str | None = None  # the line the manager sets for the hall's screens

    # ------------------------------------------------------------------ applying events
    def apply(self, event: Event) -> None:
        """Fold one event into the state. Idempotent for an event already applied."""
        if event.seq <= self.seq:
            return
        self.seq = event.seq
        if self.clock is None or event.at > self.clock:
            self.clock = event.at
        local_day = self.local_day(event.at)
        if self.day is None or local_day > self.day:
            self.day = local_day
        self.observed.new_day(local_day)
        if event.ticket is not None:
            self._put_ticket(event.ticket)
        if event.counter is not None:
            before = self.counters.get(event.counter.number)
            if before is None or before.queues != event.counter.queues or (
                    (before.mode == CounterMode.CLOSED) != (event.counter.mode == CounterMode.CLOSED)):
                self.observed.layout = None  # the estimates' counters and groups change with it
            self.counters[event.counter.number] = event.counter
        if event.type in ("ticket.called", "ticket.recalled") and event.ticket and event.counter:
            self.recent_calls.appendleft((event.ticket.id, event.counter.number, event.at))
        if event.type == "hall.notice":
            self.notice = event.extra.get("notice") or None
        if event.type == "hall.phone":
            self.config = replace(self.config, phone=event.extra.get("phone") or "")
        if event.type == "hall.changed":
            if "queues" in event.extra:
                self._lay_out(event.extra["queues"], event.extra["counters"])
            if "settings" in event.extra:
                self._settle(event.extra.get("name", self.config.name), event.extra["settings"])
            self.observed.layout = None
        self.observed.fold(event, self)
        self._rebase(event)
        if event.type == "hall.restored":  # a restore's new history (server/domain/backups.py)
            self.raise_serials(date.fromisoformat(event.extra["day"]), event.extra.get("serials") or {})

    def raise_serials(self, day: date, floors: Mapping[str, int]) -> None:
        """``day``'s numbers continue after these serials at least (after a restore: past the paper
        tickets of the lost part)."""
        for queue, serial in floors.items():
            if serial > self.serials.get((day, queue), 0):
                self.serials[(day, queue)] = int(serial)

    def _put_ticket(self, ticket: Ticket) -> None:
        old = self.tickets.get(ticket.id)
        if old is None:
            self.observed.arrived(ticket, self.day)
        elif old.status == TicketStatus.WAITING:
            self._index(old).discard((old.order_at, old.id))
        self.tickets[ticket.id] = ticket
        self.by_token[ticket.status_token] = ticket.id
        self.by_number[(ticket.day, ticket.number)] = ticket.id
        if ticket.issue_key is not None:
            self.by_issue_key[(ticket.day, ticket.issue_key)] = ticket.id
        prefix = ticket.number.rstrip("0123456789")
        key = (ticket.day, prefix)
        if ticket.serial > self.serials.get(key, 0):
            self.serials[key] = ticket.serial
        if ticket.status == TicketStatus.WAITING:
            self._index(ticket).add((ticket.order_at, ticket.id))

    def _index(self, ticket: Ticket) -> SortedList:
        if ticket.target_counter is not None:
            return self._targeted[ticket.target_counter]
        return self._waiting[(ticket.queue, ticket.calling_class)]

    def _emit(self, out: list[Event], type_: str, at: datetime, ticket: Ticket | None = None,
              counter: Counter | None = None, **extra: Any) -> None:
        event = Event(type_, self.seq + 1, at, ticket, counter, extra)
        self.apply(event)
        out.append(event)

    # ------------------------------------------------------------------ lookups
    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def counter(self, number: int) -> Counter:
        try:
            return self.counters[number]
        except KeyError:
            raise errors.UnknownCounter(f"没有 {number}号窗口", f"no counter {number}") from None

    def ticket_by_token(self, token: str) -> Ticket | None:
        ticket_id = self.by_token.get(token)
        return self.tickets.get(ticket_id) if ticket_id else None

    def ticket_by_issue_key(self, key: str, at: datetime) -> Ticket | None:
        """The ticket issued today under this idempotency key, if any."""
        ticket_id = self.by_issue_key.get((self.local_day(at), key))
        return self.tickets.get(ticket_id) if ticket_id else None

    def ticket_by_number(self, number: str, day: date) -> Ticket:
        ticket_id = self.by_number.get((day, number.upper()))
        if ticket_id is None:
            raise errors.UnknownTicket(f"今天没有 {number} 号", f"no ticket {number} today")
        return self.tickets[ticket_id]

    def current_ticket(self, counter: Counter) -> Ticket | None:
        return self.tickets.get(counter.ticket_id) if counter.ticket_id else None

    def waiting_in(self, queue: str) -> Iterator[Ticket]:
        """Waiting tickets of a queue in calling-class order (not counting targeted transfers)."""
        for cls in CLASSES:
            for _, ticket_id in self._waiting[(queue, cls)]:
                yield self.tickets[ticket_id]

    def waiting_appointments(self) -> Iterator[Ticket]:
        """Waiting tickets of booked visitors (their own calling class, or transferred to a counter):
        the few the "you are nearly up" message is about, found without a scan of the day."""
        for queue in self.config.queues:
            for _, ticket_id in self._waiting[(queue.code, APPOINTMENT_CLASS)]:
                yield self.tickets[ticket_id]
        for targeted in self._targeted.values():
            for _, ticket_id in targeted:
                ticket = self.tickets[ticket_id]
                if ticket.channel == Channel.APPOINTMENT:
                    yield ticket

    def targeted_at(self, number: int) -> Iterator[Ticket]:
        """Tickets transferred to one counter by name, in their order."""
        for _, ticket_id in self._targeted[number]:
            yield self.tickets[ticket_id]

    def waiting_count(self, queue: str) -> int:
        return sum(len(self._waiting[(queue, cls)]) for cls in CLASSES)

    def public_status(self, counter: Counter) -> str:
        if counter.mode != CounterMode.OPEN:
            return counter.mode.value
        ticket = self.current_ticket(counter)
        if ticket is None:
            return "idle"
        return "serving" if ticket.status == TicketStatus.SERVING else "calling"

    # ------------------------------------------------------------------ estimates (docs/eta.md)
    def ahead(self, ticket: Ticket) -> int:
        if ticket.status != TicketStatus.WAITING:
            return 0
        index = self._index(ticket)
        position: int = index.bisect_left((ticket.order_at, ticket.id))
        if ticket.target_counter is not None:
            return position
        before = sum(len(self._waiting[(ticket.queue, cls)]) for cls in CLASSES if cls < ticket.calling_class)
        return before + position

    @property
    def services(self) -> dict[str, deque[float]]:
        """Per queue the rolling window of today's service times (call to 办结), in seconds."""
        return self.observed.services

    def average_service_s(self, queue: str) -> float:
        return self.observed.average_service_s(queue)

    def has_work_for(self, counter: Counter) -> bool:
        """Whether someone waits that this counter may call."""
        return bool(self._targeted.get(counter.number)) or any(
            self._waiting.get((queue, cls)) for queue in counter.queues for cls in CLASSES)

    def _rebase(self, event: Event) -> None:
        """A ticket issued at the end of its line within REBASE_S of the base carries the base's
        projection on (it joins it: nothing the projection worked out before it changes); any
        other event makes its state the new base. So a burst of numbers taken does not project
        the hall again for each (docs/eta.md, "Issuing"), and the estimates of a state are still
        the same however it was reached."""
        ticket, base, at = event.ticket, self._base, (self.clock or event.at).timestamp()
        if (event.type == "ticket.issued" and base is not None and ticket is not None
                and ticket.target_counter is None and not ticket.appointment_code  # a check-in: a booking less
                and at - base[1] <= REBASE_S and self._index(ticket)[-1][1] == ticket.id):
            line = (ticket.queue, ticket.calling_class)
            self._tails = {**self._tails, line: self._tails.get(line, 0) + 1}
        else:
            self._base, self._tails = (event.seq, at), {}

    def projection(self) -> Projection:
        """The estimates' projection of the hall from its base state (docs/eta.md), made once per
        base and carried on by the tickets issued since."""
        seq, at = self._base or (self.seq, (self.clock or self._latest()).timestamp())
        found = self._projection
        if found is None or found.base != (seq, at):
            found = self._projection = Projection(self, (seq, at), self._tails)
        elif found.tails is not self._tails:
            found.extend(self._tails)
        return found

    def expect_bookings(self, day: date, bookings: Mapping[str, Iterable[tuple[datetime, datetime, str]]]) -> None:
        """The booked visitors of ``day`` not checked in yet, per queue (slot start, slot end, booking
        code), from the appointments (server/services/appointments.py): the estimates expect them
        at their slots rather than at the rate booked visitors came on other days. Not an event:
        the bookings are the appointments' own records; a check-in (its ticket) takes one off."""
        self.observed.booked = {queue: [(start.timestamp(), end.timestamp(), code) for start, end, code in slots]
                                for queue, slots in bookings.items()}
        self.observed.booked_day = day
        self._projection = None  # the next estimate projects with them

    def _since_base(self, projection: Projection) -> float:
        """Seconds from the projection's base to now: its answers are from the base."""
        return (self.clock or self._latest()).timestamp() - projection.base[1]

    def _latest(self) -> datetime:
        """The state's own latest moment (a hall rebuilt from its projections, no event applied yet)."""
        times = [t for c in self.counters.values() if (t := c.changed_at) is not None]
        times += [t for ticket in self.tickets.values() for t in (ticket.issued_at, ticket.called_at) if t is not None]
        return max(times, default=datetime.fromtimestamp(0, self.tz))

    def eta_for(self, queue: str) -> int:
        """A walk-in's estimate if they took a number of ``queue`` now, behind those waiting."""
        projection = self.projection()
        found = projection.newcomer_s(queue)
        return round(HORIZON_S if found is None else max(0.0, found - self._since_base(projection)))

    def ticket_eta_s(self, ticket: Ticket) -> int | None:
        if ticket.status != TicketStatus.WAITING:
            return None
        projection = self.projection()
        found = projection.ticket_s(ticket)
        return round(HORIZON_S if found is None else max(0.0, found - self._since_base(projection)))

    def eta_range_s(self, eta_s: int | None) -> list[int] | None:
        """``[low, high]`` seconds around an estimate: where the middle half of such waits fell."""
        return None if eta_s is None else list(eta_range(eta_s))

    def longest_wait_s(self, queue: str, now: datetime) -> int:
        oldest = min((t.issued_at for t in self.waiting_in(queue)), default=None)
        return max(0, round((now - oldest).total_seconds())) if oldest else 0

    # ------------------------------------------------------------------ day change
    def roll_day(self, now: datetime) -> list[Event]:
        """At the first action of a new hall-local day: yesterday's unfinished tickets are
        cancelled and every counter closes, so each day starts clean (CONTRACT: counters start
        the day closed)."""
        out: list[Event] = []
        today = self.local_day(now)
        if self.day is None or today <= self.day:
            if self.day is None:
                self.day = today
            return out
        self.day = today
        for ticket in [t for t in self.tickets.values() if not t.is_final and t.day < today]:
            self._emit(out, "ticket.cancelled", now, replace(ticket, status=TicketStatus.CANCELLED,
                                                             finished_at=now), reason="day_end")
        for counter in list(self.counters.values()):
            if counter.mode != CounterMode.CLOSED:
                self._emit(out, "counter.closed", now, counter=self._closed(counter, now), reason="day_end")
        self._forget_before(today)
        return out

    def _forget_before(self, today: date) -> None:
        for ticket in [t for t in self.tickets.values() if t.day < today and t.is_final]:
            del self.tickets[ticket.id]
            self.by_token.pop(ticket.status_token, None)
            self.by_number.pop((ticket.day, ticket.number), None)
        self.by_issue_key = {k: v for k, v in self.by_issue_key.items() if k[0] >= today}
        self.serials = {k: v for k, v in self.serials.items() if k[0] >= today}

    def _closed(self, counter: Counter, now: datetime) -> Counter:
        return replace(counter, mode=CounterMode.CLOSED, clerk=None, clerk_name=None, clerk_no=None, ticket_id=None,
                       pause_reason=None,
                       priority_streak=0, changed_at=now)

    # ------------------------------------------------------------------ commands
    def issue(self, queue: str, now: datetime, status_token: str, priority: Priority = Priority.NONE,
              channel: Channel = Channel.KIOSK, appointment_code: str | None = None,
              id_hash: str | None = None, visitor: str | None = None,
              case_receipt: str | None = None, issue_key: str | None = None) -> list[Event]:
        """A new ticket; or, when ``issue_key`` already issued one today (a retry after a lost
        answer), no event at all: the caller finds that ticket with :meth:`ticket_by_issue_key`."""
        out = self.roll_day(now)
        if issue_key is not None and self.ticket_by_issue_key(issue_key, now) is not None:
            return out
        if self.config.queue(queue) is None:
            raise errors.UnknownQueue(f"没有 {queue} 类队列", f"no queue {queue!r} in this hall")
        held = self.waiting_ticket_of(id_hash, queue) if id_hash else None
        if held is not None:
            raise errors.AlreadyWaiting(f"您已有 {held.number} 号在等候，请勿重复取号",
                                        f"this ID card already holds {held.number}, still waiting", held.id)
        day = self.local_day(now)
        serial = self.serials.get((day, queue), 0) + 1
        number = f"{queue}{serial:03d}"
        ticket = Ticket(
            id=f"{self.config.code}-{day:%Y%m%d}-{number}", number=number, queue=queue, serial=serial, day=day,
            priority=priority, channel=channel, status=TicketStatus.WAITING, issued_at=now,
            status_token=status_token, order_at=now.timestamp(), appointment_code=appointment_code,
            id_hash=id_hash, visitor=visitor, case_receipt=case_receipt, issue_key=issue_key,
        )
        self._emit(out, "ticket.issued", now, ticket)
        return out

    def waiting_ticket_of(self, id_hash: str, queue: str) -> Ticket | None:
        """The ticket this ID card still holds in ``queue`` today, waiting (one per card per queue)."""
        return next((t for t in self.tickets.values() if t.id_hash == id_hash and t.queue == queue
                     and t.status == TicketStatus.WAITING and t.day == self.day), None)

    def open_counter(self, number: int, clerk: str, now: datetime, clerk_name: str | None = None,
                     clerk_no: str | None = None) -> list[Event]:
        out = self.roll_day(now)
        counter = self.counter(number)
        if counter.mode != CounterMode.CLOSED:
            if counter.clerk == clerk:
                return out
            holder = counter.clerk or "?"
            raise errors.CounterOccupied(f"{number}号窗口已由 {holder} 签到", f"counter {number} is held by {holder}")
        self._emit(out, "counter.opened", now, counter=replace(counter, mode=CounterMode.OPEN, clerk=clerk,
                                                                changed_at=now, priority_streak=0,
                                                                clerk_name=clerk_name, clerk_no=clerk_no))
        return out

    def set_notice(self, notice: str | None, now: datetime) -> list[Event]:
        """The scrolling line on the hall's screens; empty or None clears it."""
        notice = (notice or "").strip() or None
        if notice == self.notice:
            return []
        out: list[Event] = []
        self._emit(out, "hall.notice", now, notice=notice)
        return out

    def set_phone(self, phone: str, now: datetime) -> list[Event]:
        """The hall's consultation telephone, printed on notices and receipts and shown on kiosks."""
        phone = phone.strip()
        if phone == self.config.phone:
            return []
        out: list[Event] = []
        self._emit(out, "hall.phone", now, phone=phone)
        return out

    # ------------------------------------------------------------------ the hall's settings (issue 18)
    # The settings page's: name, telephone, notice, opening hours, calling policy, 过号 and 回呼 rules,
    # the display's languages (their JSON form and rules: server/domain/settings.py).
    def settings(self) -> dict[str, Any]:
        """The name and every setting the hall holds, in their JSON form."""
        return {"name": self.config.name, **hall_settings.public(self.config, self.notice)}

    def change_settings(self, changes: Mapping[str, Any], now: datetime) -> list[Event]:
        """Only the settings in ``changes`` change (``policy`` and ``opening_hours`` key by key), all
        checked before any applies (InvalidSettings names each bad field). A changed notice or
        telephone keeps its own event for the screens that follow it (``hall.notice``,
        ``hall.phone``); then one ``hall.changed`` carries the name and every setting. Nothing
        already issued or called changes: a new policy decides from each counter's next call."""
        out = self.roll_day(now)
        before = self.settings()
        after = hall_settings.merged(before, changes)
        hall_settings.check(after)
        if after == before:
            return out
        if after["notice"] != before["notice"]:
            self._emit(out, "hall.notice", now, notice=after["notice"])
        if after["phone"] != before["phone"]:
            self._emit(out, "hall.phone", now, phone=after["phone"])
        name = after.pop("name")
        renamed = {"name": name} if name != before["name"] else {}  # halls.name is written only for a new name
        self._emit(out, "hall.changed", now, settings=after, **renamed)
        return out

    def _settle(self, name: str, settings: Mapping[str, Any]) -> None:
        self.config = hall_settings.configured(self.config, name, settings)
        self.notice = settings.get("notice") or None
        self.choose = make_chooser(self.config.policy)

    def _check_no_show(self, ticket: Ticket) -> None:
        """过号 once the visitor was called as often as the hall says (the call, then recalls)."""
        calls, needed = ticket.recalls + 1, self.config.no_show_after_calls
        if ticket.status == TicketStatus.CALLED and calls < needed:
            raise errors.Conflict.coded("too_few_calls", f"{ticket.number} 才呼叫了 {calls} 次，本大厅须呼叫 "
                                        f"{needed} 次仍未到才能过号，请先重呼 ({ticket.number} was called "
                                        f"{calls} time(s); a no-show here needs {needed} calls: recall first)")

    def _check_reinstate(self, ticket: Ticket, now: datetime) -> None:
        """回呼 within the hall's time limit after the 过号, if it has one."""
        limit = self.config.reinstate_within_min
        if limit and ticket.finished_at is not None and (now - ticket.finished_at).total_seconds() > limit * 60:
            raise errors.Conflict.coded("reinstate_too_late", f"{ticket.number} 过号已超过 {limit} 分钟，不能回呼，"
                                        f"请重新取号 ({ticket.number} missed its call over {limit} minutes ago; "
                                        "take a new number)")

    # ------------------------------------------------------------------ setting the hall up
    # Queues (themes) and counters change while the hall runs, as events like any other: every
    # process and every screen follows them in order, and the log says when the hall was laid
    # out how. A retired queue's or counter's tickets stay as they were (the reports count them).
    def put_queue(self, code: str, name: str, now: datetime, position: int | None = None) -> list[Event]:
        """Creates the queue or renames it; ``position`` (1 = first) moves it in the order screens
        and the kiosk show; nothing when it already has that name and place."""
        out = self.roll_day(now)
        queues = [q for q in self.config.queues if q.code != code]
        at = next((i for i, q in enumerate(self.config.queues) if q.code == code), len(queues))
        if position is not None:
            at = min(max(position, 1), len(queues) + 1) - 1
        existing = self.config.queue(code)
        if existing is not None and existing.name == name and self.config.queues[at].code == code:
            return out
        queues.insert(at, QueueConfig(code, name))
        self._emit_layout(out, now, tuple(queues), self.config.counters)
        return out

    def retire_queue(self, code: str, now: datetime) -> list[Event]:
        """Refused while a visitor waits in it or a counter is set to serve it."""
        out = self.roll_day(now)
        if self.config.queue(code) is None:
            raise errors.UnknownQueue(f"没有 {code} 类队列", f"no queue {code!r} in this hall")
        waiting = self.waiting_count(code)
        if waiting:
            raise errors.Conflict.coded("queue_in_use", f"{code} 类队列还有 {waiting} 人等候，办完后才能删除 "
                                        f"({waiting} still waiting in queue {code})")
        serving = [c.number for c in self.config.counters if code in c.queues]
        if serving:
            names = "、".join(f"{n}号窗口" for n in serving)
            raise errors.Conflict.coded("queue_in_use", f"{names}仍办理 {code} 类业务，请先调整这些窗口 "
                                        f"(counters {serving} still serve queue {code})")
        self._emit_layout(out, now, tuple(q for q in self.config.queues if q.code != code), self.config.counters)
        return out

    def put_counter(self, number: int, name: str | None, queues: tuple[str, ...], now: datetime) -> list[Event]:
        """Creates the counter (closed until a clerk opens it) or changes its name and the queues it
        serves, in order (its own first); an open counter calls by its new queues from its next call."""
        out = self.roll_day(now)
        unknown = [q for q in queues if self.config.queue(q) is None]
        if unknown or not queues or len(set(queues)) != len(queues):
            raise errors.InvalidInput(
                f"窗口办理的队列有误：{'、'.join(unknown) or '为空或重复'}（本大厅的队列：{self._queue_codes()}）",
                f"queues must be distinct codes of this hall's queues; unknown: {unknown}", "queues")
        existing = next((c for c in self.config.counters if c.number == number), None)
        counter = CounterConfig(number, name or (existing.name if existing else f"{number}号窗口"), queues)
        if counter == existing:
            return out
        counters = sorted([c for c in self.config.counters if c.number != number] + [counter],
                          key=lambda c: c.number)
        self._emit_layout(out, now, self.config.queues, tuple(counters))
        return out

    def retire_counter(self, number: int, now: datetime) -> list[Event]:
        """Refused while the counter is open (its clerk closes it first)."""
        out = self.roll_day(now)
        if self.counter(number).mode != CounterMode.CLOSED:
            raise errors.Conflict.coded("counter_open", f"{number}号窗口正在使用，请先关闭窗口 "
                                        f"(counter {number} is open; close it first)")
        sent = len(self._targeted.get(number, ()))
        if sent:  # transferred to this very counter: they would wait for ever
            raise errors.Conflict.coded("counter_in_use", f"还有 {sent} 个号码转给{number}号窗口等候，请先转走 "
                                        f"({sent} tickets transferred to counter {number} still wait)")
        self._emit_layout(out, now, self.config.queues, tuple(c for c in self.config.counters if c.number != number))
        return out

    def _queue_codes(self) -> str:
        return "、".join(q.code for q in self.config.queues) or "无"

    def _emit_layout(self, out: list[Event], now: datetime, queues: tuple[QueueConfig, ...],
                     counters: tuple[CounterConfig, ...]) -> None:
        self._emit(out, "hall.changed", now, queues=[{"code": q.code, "name": q.name} for q in queues],
                   counters=[{"number": c.number, "name": c.name, "queues": list(c.queues)} for c in counters])

    def _lay_out(self, queues: list[dict[str, Any]], counters: list[dict[str, Any]]) -> None:
        """The state for a new layout: new queues get their lines, new counters start closed, a
        changed counter keeps its clerk and ticket, a retired one is gone (it was closed)."""
        config = replace(self.config, queues=tuple(QueueConfig(q["code"], q["name"]) for q in queues),
                         counters=tuple(CounterConfig(c["number"], c["name"], tuple(c["queues"])) for c in counters))
        self.config = config
        for queue in config.queues:
            self.observed.lines(queue.code)
            for cls in CLASSES:
                self._waiting.setdefault((queue.code, cls), SortedList())
        for c in config.counters:
            old = self.counters.get(c.number)
            self.counters[c.number] = (Counter(c.number, c.name, c.queues) if old is None
                                       else replace(old, name=c.name, queues=c.queues))
            self._targeted.setdefault(c.number, SortedList())
        for number in set(self.counters) - {c.number for c in config.counters}:
            del self.counters[number]

    def close_counter(self, number: int, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        counter = self.active_counter(number)
        self._require_free(counter)
        self._emit(out, "counter.closed", now, counter=self._closed(counter, now))
        return out

    def pause(self, number: int, reason: str, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        counter = self._open(number)
        self._require_free(counter)
        self._emit(out, "counter.paused", now, counter=replace(counter, mode=CounterMode.PAUSED,
                                                                pause_reason=reason, changed_at=now), reason=reason)
        return out

    def resume(self, number: int, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        counter = self.active_counter(number)
        if counter.mode != CounterMode.PAUSED:
            raise errors.CounterNotPaused(f"{number}号窗口没有暂停", f"counter {number} is not paused")
        self._emit(out, "counter.resumed", now, counter=replace(counter, mode=CounterMode.OPEN, pause_reason=None,
                                                                 changed_at=now))
        return out

    def next_for(self, counter: Counter, now: datetime) -> Ticket | None:
        """The ticket the policy gives this counter now, without calling it."""
        targeted = self._targeted[counter.number]
        if targeted:
            return self.tickets[targeted[0][1]]
        stamp = now.timestamp()
        for queue in counter.queues:
            heads = {cls: self.tickets[lst[0][1]] for cls in CLASSES if (lst := self._waiting[(queue, cls)])}
            if heads:
                return self.choose(heads, counter.priority_streak, stamp)
        return None

    def call_next(self, number: int, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        counter = self._open(number)
        self._require_free(counter)
        ticket = self.next_for(counter, now)
        if ticket is not None:
            self._call(out, counter, ticket, now)
        return out

    def call_number(self, number: int, ticket_number: str, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        counter = self._open(number)
        self._require_free(counter)
        ticket = self.ticket_by_number(ticket_number, self.local_day(now))
        if ticket.status != TicketStatus.WAITING:
            raise self._not_waiting(ticket)
        self._call(out, counter, ticket, now, out_of_turn=True)
        return out

    def _call(self, out: list[Event], counter: Counter, ticket: Ticket, now: datetime,
              out_of_turn: bool = False) -> None:
        streak = 0 if ticket.calling_class == WALK_IN_CLASS else counter.priority_streak + 1
        kept = ticket.first_responder is not None  # 首问负责: the first clerk stays first through transfers
        called = replace(ticket, status=TicketStatus.CALLED, called_at=now, counter=counter.number,
                         target_counter=None, called_out_of_turn=out_of_turn,
                         first_responder=ticket.first_responder if kept else counter.clerk,
                         first_responder_name=ticket.first_responder_name if kept else counter.clerk_name,
                         first_counter=ticket.first_counter if kept else counter.number)
        busy = replace(counter, ticket_id=ticket.id, priority_streak=streak, changed_at=now)
        self._emit(out, "ticket.called", now, called, busy)

    def recall(self, number: int, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        counter, ticket = self._with_ticket(number, TicketStatus.CALLED)
        self._emit(out, "ticket.recalled", now, replace(ticket, recalls=ticket.recalls + 1, called_at=now), counter)
        return out

    def start(self, number: int, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        counter, ticket = self._with_ticket(number, TicketStatus.CALLED)
        self._emit(out, "ticket.serving", now, replace(ticket, status=TicketStatus.SERVING, started_at=now), counter)
        return out

    def finish(self, number: int, now: datetime) -> list[Event]:
        return self._end(number, now, TicketStatus.DONE, "ticket.done")

    def no_show(self, number: int, now: datetime) -> list[Event]:
        out = self.roll_day(now)
        self._check_no_show(self._with_ticket(number, None)[1])
        return out + self._end(number, now, TicketStatus.NO_SHOW, "ticket.no_show")

    def _end(self, number: int, now: datetime, status: TicketStatus, type_: str) -> list[Event]:
        out = self.roll_day(now)
        counter, ticket = self._with_ticket(number, None)
        self._emit(out, type_, now, replace(ticket, status=status, finished_at=now, served_by=counter.clerk),
                   replace(counter, ticket_id=None, changed_at=now))
        return out

    def transfer(self, number: int, now: datetime, queue: str | None = None, to_counter: int | None = None,
                 reason: str | None = None) -> list[Event]:
        out = self.roll_day(now)
        counter, ticket = self._with_ticket(number, None)
        if (queue is None) == (to_counter is None):
            raise errors.InvalidTransfer("请选择转去的队列或窗口（二选一）", "give either a queue or a counter")
        if queue is not None:
            if self.config.queue(queue) is None:
                raise errors.UnknownQueue(f"没有 {queue} 类队列", f"no queue {queue!r} in this hall")
            moved = replace(ticket, queue=queue, target_counter=None)
        else:
            assert to_counter is not None
            target = self.counter(to_counter)
            if target.number == counter.number:
                raise errors.InvalidTransfer("不能转给本窗口", "cannot transfer to the same counter")
            moved = replace(ticket, queue=target.queues[0] if target.queues else ticket.queue,
                            target_counter=target.number)
        # Keeps order_at: the visitor keeps their place by arrival time in the new queue.
        moved = replace(moved, status=TicketStatus.WAITING, counter=None, called_at=None, started_at=None,
                        transferred_from=ticket.queue)
        self._emit(out, "ticket.transferred", now, moved, replace(counter, ticket_id=None, changed_at=now),
                   from_queue=ticket.queue, from_counter=counter.number, reason=reason)
        return out

    def reinstate(self, ticket_number: str, now: datetime) -> list[Event]:
        """回呼: a no-show who came back re-joins their class ``reinstate_places`` from the front."""
        out = self.roll_day(now)
        ticket = self.ticket_by_number(ticket_number, self.local_day(now))
        if ticket.status != TicketStatus.NO_SHOW:
            raise errors.NotNoShow(f"{ticket.number} 不是过号状态", f"{ticket.number} is not a no-show")
        self._check_reinstate(ticket, now)
        peers = self._waiting[(ticket.queue, ticket.calling_class)]
        places = self.config.reinstate_places
        if not peers:
            order_at = ticket.order_at
        elif places == 0:
            order_at = peers[0][0] - 1.0
        elif len(peers) > places:
            order_at = (peers[places - 1][0] + peers[places][0]) / 2  # exactly `places` ahead of it
        else:
            order_at = peers[-1][0] + 0.001
        back = replace(ticket, status=TicketStatus.WAITING, counter=None, called_at=None, started_at=None,
                       finished_at=None, order_at=order_at, reinstated=True)
        self._emit(out, "ticket.reinstated", now, back)
        return out

    def cancel(self, ticket: Ticket, now: datetime, reason: str = "visitor") -> list[Event]:
        out = self.roll_day(now)
        ticket = self.tickets.get(ticket.id, ticket)  # as it is today: the roll may have cancelled it
        if ticket.status != TicketStatus.WAITING:
            raise self._not_waiting(ticket)
        self._emit(out, "ticket.cancelled", now, replace(ticket, status=TicketStatus.CANCELLED, finished_at=now),
                   reason=reason)
        return out

    # ------------------------------------------------------------------ manager commands (issue 9)
    def move_waiting(self, from_queue: str, to_queue: str, now: datetime, count: int | None = None,
                     by: str | None = None) -> list[Event]:
        """The manager moves waiting tickets (all, or the ``count`` longest waiting) to another
        queue: one ``ticket.transferred`` per ticket, oldest first. Each keeps its arrival time
        (``order_at``) and its calling class, so they keep their order among themselves and take
        their place by arrival time among those already waiting there."""
        out = self.roll_day(now)
        if self.config.queue(from_queue) is None:
            raise errors.UnknownQueue(f"没有 {from_queue} 类队列", f"no queue {from_queue!r} in this hall")
        if self.config.queue(to_queue) is None:
            raise errors.UnknownQueue(f"没有 {to_queue} 类队列 (to)", f"no queue {to_queue!r} in this hall (to)")
        if from_queue == to_queue:
            raise errors.InvalidTransfer("转去的队列 (to) 不能与原队列相同", "to must be another queue")
        waiting = sorted(self.waiting_in(from_queue), key=lambda t: (t.issued_at, t.order_at, t.id))
        if count is not None:
            waiting = waiting[:count]
        for ticket in sorted(waiting, key=lambda t: (t.order_at, t.id)):
            moved = replace(ticket, queue=to_queue, target_counter=None, transferred_from=from_queue)
            self._emit(out, "ticket.transferred", now, moved, from_queue=from_queue, reason="manager_move", by=by)
        return out

    def set_counter_queues(self, number: int, queues: list[str] | tuple[str, ...], now: datetime,
                           by: str | None = None) -> list[Event]:
        """Which queues a counter serves, in the order it calls them (``counter.changed``): the
        manager opens a counter to a second queue, or gives it back its own. The counter's next
        calls follow the new list; its mode, clerk and current ticket stay as they are."""
        out = self.roll_day(now)
        counter = self.counter(number)
        codes = tuple(queues)
        if not codes:
            raise errors.InvalidTransfer("queues 不能为空：窗口至少办理一类业务", "queues must name at least one queue")
        for code in codes:
            if self.config.queue(code) is None:
                raise errors.UnknownQueue(f"没有 {code} 类队列 (queues)", f"no queue {code!r} in this hall (queues)")
        if len(set(codes)) != len(codes):
            raise errors.InvalidTransfer("queues 中有重复的队列", "queues lists a queue twice")
        if codes == counter.queues:
            return out
        self._emit(out, "counter.changed", now, counter=replace(counter, queues=codes),
                   from_queues=list(counter.queues), queues=list(codes), by=by)
        return out

    # ------------------------------------------------------------------ guards
    def active_counter(self, number: int) -> Counter:
        counter = self.counter(number)
        if counter.mode == CounterMode.CLOSED:
            raise errors.CounterClosed(f"{number}号窗口未开放，请先签到开窗",
                                       f"counter {number} is closed; open it first")
        return counter

    def require_holder(self, number: int, clerk: str) -> None:
        counter = self.active_counter(number)  # closed: 409 before anything else
        if counter.clerk != clerk:
            holder = f"由 {counter.clerk} 签到" if counter.clerk else "未签到"
            raise errors.NotHolder(f"{number}号窗口{holder}，您不能操作", f"counter {number} is not held by you")

    def _open(self, number: int) -> Counter:
        counter = self.active_counter(number)
        if counter.mode == CounterMode.PAUSED:
            raise errors.CounterPaused(f"{number}号窗口暂停中，请先恢复", f"counter {number} is paused; resume first")
        return counter

    def _require_free(self, counter: Counter) -> None:
        current = self.current_ticket(counter)
        if current is not None:
            raise errors.CounterBusy(
                f"{counter.number}号窗口的 {current.number} 尚未办结，请先办结、过号或转移",
                f"counter {counter.number} still has {current.number}; finish, no-show or transfer it first")

    def _with_ticket(self, number: int, needed: TicketStatus | None) -> tuple[Counter, Ticket]:
        counter = self.active_counter(number)
        ticket = self.current_ticket(counter)
        if ticket is None:
            raise errors.NoCurrentTicket(f"{number}号窗口当前没有号码", f"counter {number} has no current ticket")
        if needed is not None and ticket.status != needed:
            raise errors.TicketNotCalled(f"{ticket.number} 已在办理中", f"{ticket.number} is already being served")
        return counter, ticket

    def _not_waiting(self, ticket: Ticket) -> errors.TicketNotWaiting:
        if ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING) and ticket.counter is not None:
            return errors.TicketNotWaiting(f"{ticket.number} 已被 {ticket.counter}号窗口呼叫",
                                           f"{ticket.number} was already called at counter {ticket.counter}")
        labels = {TicketStatus.DONE: ("已办结", "is done"), TicketStatus.NO_SHOW: ("已过号", "is a no-show"),
                  TicketStatus.CANCELLED: ("已取消", "is cancelled")}
        zh, en = labels.get(ticket.status, ("不在等候中", "is not waiting"))
        return errors.TicketNotWaiting(f"{ticket.number} {zh}", f"{ticket.number} {en}")


CommandFn = Callable[[Hall], list[Event]]
