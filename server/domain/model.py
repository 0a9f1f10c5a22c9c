"""The hall's vocabulary: configuration, tickets, counters and events. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Priority(StrEnum):
    NONE = "none"
    ELDERLY = "elderly"
    DISABLED = "disabled"
    PREGNANT = "pregnant"
    MINORITY = "minority"
    MILITARY = "military"


class Channel(StrEnum):
    KIOSK = "kiosk"
    GUIDE = "guide"
    APPOINTMENT = "appointment"
    ONLINE = "online"
    COUNTER = "counter"


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.CANCELLED})


class CounterMode(StrEnum):
    """What the clerk has done with the counter; the public status adds the ticket's state."""

    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


# Calling classes: lower is called first by every policy that honours classes.
APPOINTMENT_CLASS = 0
PRIORITY_CLASS = 1
WALK_IN_CLASS = 2
CLASSES = (APPOINTMENT_CLASS, PRIORITY_CLASS, WALK_IN_CLASS)


def calling_class(priority: Priority, channel: Channel) -> int:
    """The line a ticket waits in: booked visitors checked in, priority visitors, walk-ins."""
    if channel == Channel.APPOINTMENT:
        return APPOINTMENT_CLASS
    if priority != Priority.NONE:
        return PRIORITY_CLASS
    return WALK_IN_CLASS


@dataclass(frozen=True, slots=True)
class QueueConfig:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CounterConfig:
    number: int
    name: str
    queues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """How the next ticket is chosen; see docs/calling-policy.md.

    kind: ``guarded`` (default), ``strict``, ``ratio`` or ``weighted``.
    """

    kind: str = "guarded"
    max_priority_streak: int = 3  # K: guarded and ratio
    walk_in_max_wait_s: float = 900.0  # T: guarded
    priority_weight: float = 3.0  # w: weighted ageing


def minute_of_day(hhmm: str) -> int:
    """"13:30" → 810."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """开放时间, by the Chinese working calendar: periods on working days (adjusted working weekends
    included) and on rest days (weekends and statutory holidays), each ``(start, end)`` as "HH:MM"
    in the hall's time. No period at all: not set, and nothing is refused for the time of day."""

    workday: tuple[tuple[str, str], ...] = ()
    rest_day: tuple[tuple[str, str], ...] = ()
    stop_issuing_min: int = 0  # kiosks stop issuing this long before a period ends (提前停止取号)

    @property
    def is_set(self) -> bool:
        return bool(self.workday or self.rest_day)

    def issuing(self, minute: int, working_day: bool) -> bool:
        """Whether a kiosk issues at ``minute`` of the day (hall-local) on such a day; always when not set."""
        if not self.is_set:
            return True
        periods = self.workday if working_day else self.rest_day
        return any(minute_of_day(start) <= minute < minute_of_day(end) - self.stop_issuing_min
                   for start, end in periods)


@dataclass(frozen=True, slots=True)
class HallConfig:
    code: str
    name: str
    timezone: str = "Asia/Shanghai"
    queues: tuple[QueueConfig, ...] = ()
    counters: tuple[CounterConfig, ...] = ()
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    reinstate_places: int = 2  # 回呼: a returning no-show goes this many places from the front
    default_service_s: float = 300.0
    service_window: int = 20  # services in the rolling average per queue
    recent_calls: int = 10
    phone: str = ""  # the hall's consultation telephone (咨询电话, seed art. 15): notices, receipts, kiosk
    # The settings page's (server/domain/settings.py): when kiosks issue, 过号 and 回呼, the screens' languages.
    opening_hours: OpeningHours = field(default_factory=OpeningHours)
    no_show_after_calls: int = 1  # 过号 only once the visitor was called this many times (the call and recalls)
    reinstate_within_min: int = 0  # 回呼 within this many minutes of the 过号; 0: any time that day
    display_languages: tuple[str, ...] = ("zh", "en")  # the wall display's labels; the announcer speaks Chinese

    def queue(self, code: str) -> QueueConfig | None:
        for q in self.queues:
            if q.code == code:
                return q
        return None

    def counter(self, number: int) -> CounterConfig | None:
        for c in self.counters:
            if c.number == number:
                return c
        return None


@dataclass(slots=True)
class Ticket:
    id: str
    number: str
    queue: str
    serial: int
    day: date
    priority: Priority
    channel: Channel
    status: TicketStatus
    issued_at: datetime
    status_token: str
    order_at: float  # ordering key within its class: arrival time, kept across transfers
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: int | None = None
    recalls: int = 0
    target_counter: int | None = None  # transferred to a named counter
    transferred_from: str | None = None
    appointment_code: str | None = None
    reinstated: bool = False
    called_out_of_turn: bool = False
    served_by: str | None = None  # the clerk holding the counter when the service ended (好差评, KPIs)
    id_hash: str | None = None  # keyed hash of the ID card read for this ticket (server/domain/identity.py)
    visitor: str | None = None  # the card holder's masked name (张*三), for staff screens only
    case_receipt: str | None = None  # an L (查询发证) ticket taken to collect this case's result
    issue_key: str | None = None  # the issuer's Idempotency-Key (scoped by issuer): a retry gets this ticket
    # 首问负责 (seed art. 25): the clerk who first called the ticket, their name and counter, kept through transfers
    first_responder: str | None = None
    first_responder_name: str | None = None
    first_counter: int | None = None

    @property
    def calling_class(self) -> int:
        return calling_class(self.priority, self.channel)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(slots=True)
class Counter:
    number: int
    name: str
    queues: tuple[str, ...]
    mode: CounterMode = CounterMode.CLOSED
    clerk: str | None = None
    ticket_id: str | None = None
    pause_reason: str | None = None
    priority_streak: int = 0  # consecutive non-walk-in calls, for the walk-in guard
    changed_at: datetime | None = None
    clerk_name: str | None = None  # shown above the window with the staff number, as halls do
    clerk_no: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One state change. ``ticket`` and ``counter`` hold the state *after* the change."""

    type: str
    seq: int
    at: datetime
    ticket: Ticket | None = None
    counter: Counter | None = None
    extra: dict[str, Any] = field(default_factory=dict)
