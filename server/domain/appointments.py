"""Appointments (预约): the slots of a day, who may book them, and when a booking may check in.

Pure: the working calendar, the rules and the clock's reading are handed in. A slot is named by
its start, ``"09:00"``; a booking may check in at the kiosk from ``early_minutes`` before the slot
starts until the slot ends (CONTRACT: "during (or up to 15 minutes before) its slot").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from .workdays import WorkCalendar

# Booking states. ``late``: came after the slot ended and got an ordinary walk-in ticket.
BOOKED, CHECKED_IN, LATE, CANCELLED, NO_SHOW = "booked", "checked_in", "late", "cancelled", "no_show"
TAKING_A_PLACE = (BOOKED, CHECKED_IN, LATE, NO_SHOW)  # every state but cancelled holds its place

# Six characters, none that can be misread for another (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 6


class AppointmentRefused(DomainError):
    """A booking the rules forbid; its branch says how (the edge maps it): a value that cannot be
    booked (``BookingInvalid``), the state that forbids it (``BookingConflict``), a visitor whose
    bookings are suspended (``BookingSuspended``). Made with ``coded(code, "中文 (English)", field)``."""


class BookingInvalid(AppointmentRefused, InvalidInput):
    pass


class BookingConflict(AppointmentRefused, Conflict):
    pass


class BookingSuspended(AppointmentRefused, Forbidden):
    pass


class QueueNotBookable(InvalidInput):
    """The queue exists but takes no bookings."""

    code = "queue_not_bookable"
    field = "queue"


class UnknownAppointment(NotFound):
    """No such booking, or not one the caller may reach (a wrong cancel_token, not today's, another
    hall's): ``field`` names where the code came from (None when it came from an ID card)."""

    code = "unknown_appointment"

    def __init__(self, zh: str, en: str, field: str | None = "appointment_code") -> None:
        super().__init__(zh, en)
        self.field = field


class NotCancellable(Conflict):
    """The booking is checked in, missed, or its slot is over."""

    code = "not_cancellable"


class TooEarly(Conflict):
    """A check-in before the booking's arrival window opens; the message says when to come back."""

    code = "too_early"
    field = "appointment_code"


class AlreadyCheckedIn(Conflict):
    """A booking checked in once already: ``ticket_id`` is the ticket it holds (None while the first
    check-in is still issuing it)."""

    code = "already_checked_in"
    field = "appointment_code"

    def __init__(self, zh: str, en: str, ticket_id: str | None) -> None:
        super().__init__(zh, en)
        self.ticket_id = ticket_id


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class AppointmentRules:
    """One queue's booking rules (defaults: CONTRACT and issue 8)."""

    hours: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
    slot_minutes: int = 30
    capacity: int = 4
    days_ahead: int = 7  # today and the next 7 calendar days
    early_minutes: int = 15
    per_id_per_day: int = 1  # active bookings per ID per queue per day
    no_show_limit: int = 3
    no_show_window_days: int = 183  # "in 6 months"
    ban_days: int = 30

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "hours"}
        out["hours"] = [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in self.hours]
        return out

    def updated(self, data: dict[str, Any]) -> AppointmentRules:
        """These rules with the keys of ``data`` replaced (unknown keys ignored)."""
        changes: dict[str, Any] = {}
        for f in fields(self):
            if f.name not in data:
                continue
            if f.name == "hours":
                changes["hours"] = tuple((_hm(start), _hm(end)) for start, end in data["hours"])
            else:
                changes[f.name] = int(data[f.name])
        return replace(self, **changes)


@dataclass(frozen=True)
class AppointmentSettings:
    """A hall's settings: which queues take bookings and each one's rules.

    JSON: ``{"queues": ["A", "B"], "rules": {...}, "per_queue": {"A": {"capacity": 6}}}``."""

    queues: tuple[str, ...] = ("A", "B", "C", "D")
    rules: AppointmentRules = field(default_factory=AppointmentRules)
    per_queue: dict[str, AppointmentRules] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AppointmentSettings:
        if not data:
            return cls()
        base = AppointmentRules().updated(data.get("rules") or {})
        per_queue = {q: base.updated(d) for q, d in (data.get("per_queue") or {}).items()}
        queues = tuple(data.get("queues") or cls.queues)
        return cls(queues, base, per_queue)

    def to_json(self) -> dict[str, Any]:
        return {"queues": list(self.queues), "rules": self.rules.to_json(),
                "per_queue": {q: r.to_json() for q, r in self.per_queue.items()}}

    def rules_for(self, queue: str) -> AppointmentRules | None:
        """The queue's rules, or None when the queue takes no bookings."""
        if queue not in self.queues:
            return None
        return self.per_queue.get(queue, self.rules)


@dataclass(frozen=True)
class Slot:
    start: time
    end: time

    @property
    def name(self) -> str:
        return self.start.strftime("%H:%M")

    @property
    def end_name(self) -> str:
        return self.end.strftime("%H:%M")


def slots_of(rules: AppointmentRules) -> list[Slot]:
    """The day's slots, cut from each period of the opening hours (a short tail is dropped)."""
    out: list[Slot] = []
    step = timedelta(minutes=rules.slot_minutes)
    anchor = date(2000, 1, 1)
    for opens, closes in rules.hours:
        start = datetime.combine(anchor, opens)
        end_of_period = datetime.combine(anchor, closes)
        while start + step <= end_of_period:
            out.append(Slot(start.time(), (start + step).time()))
            start += step
    return out


def find_slot(rules: AppointmentRules, name: str) -> Slot | None:
    return next((s for s in slots_of(rules) if s.name == name), None)


def is_open(calendar: WorkCalendar, day: date) -> bool:
    return calendar.is_working_day(day)


def bookable_days(rules: AppointmentRules, calendar: WorkCalendar, now_local: datetime) -> list[date]:
    """Today (while a slot is still to start) and the open days up to ``days_ahead`` ahead."""
    today = now_local.date()
    out = []
    for offset in range(rules.days_ahead + 1):
        day = today + timedelta(days=offset)
        if not is_open(calendar, day):
            continue
        if day == today and not any(s.start > now_local.time() for s in slots_of(rules)):
            continue
        out.append(day)
    return out


def arrival_window(day: date, slot: Slot, tz: ZoneInfo, early_minutes: int) -> tuple[datetime, datetime]:
    """From ``early_minutes`` before the slot's start until its end, hall-local."""
    start = datetime.combine(day, slot.start, tzinfo=tz)
    return start - timedelta(minutes=early_minutes), datetime.combine(day, slot.end, tzinfo=tz)


def check_booking(rules: AppointmentRules, calendar: WorkCalendar, day: date, slot_name: str,
                  now_local: datetime) -> Slot:
    """The slot, when ``day`` and ``slot_name`` may be booked now; else BookingInvalid."""
    today = now_local.date()
    if day < today:
        raise BookingInvalid.coded("date_past", "不能预约已经过去的日期 (that day has passed)", "date")
    if day > today + timedelta(days=rules.days_ahead):
        raise BookingInvalid.coded("date_too_far", f"最多可预约 {rules.days_ahead} 天内的时段 "
                                   f"(bookings open {rules.days_ahead} days ahead)", "date")
    if not is_open(calendar, day):
        raise BookingInvalid.coded("day_closed", "该日为休息日或法定节假日，大厅不办公 (the hall is closed that day)",
                                   "date")
    slot = find_slot(rules, slot_name)
    if slot is None:
        raise BookingInvalid.coded("invalid_slot", f"没有 {slot_name} 这个预约时段 (no such slot)", "slot")
    if day == today and slot.start <= now_local.time():
        raise BookingInvalid.coded("slot_past", "该时段已开始，不能再预约 (that slot has already started)", "slot")
    return slot


def ban_until(no_show_days: list[date], today: date, rules: AppointmentRules) -> date | None:
    """The first day an ID may book again after too many no-shows, or None when it may book now:
    ``no_show_limit`` no-shows within ``no_show_window_days`` bar it for ``ban_days`` from the last."""
    recent = sorted(d for d in no_show_days if today - timedelta(days=rules.no_show_window_days) < d <= today)
    if len(recent) < rules.no_show_limit:
        return None
    until = recent[-1] + timedelta(days=rules.ban_days + 1)
    return until if until > today else None


def check_in_timing(now: datetime, window: tuple[datetime, datetime]) -> str:
    """``early`` before the window, ``on_time`` inside it (both ends included), ``late`` after."""
    arrive_from, arrive_until = window
    if now < arrive_from:
        return "early"
    if now <= arrive_until:
        return "on_time"
    return "late"


def new_code(choose: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choose(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What a visitor typed, as stored: upper-case, spaces and dashes dropped."""
    return code.strip().upper().replace(" ", "").replace("-", "")


WEEKDAYS = "一二三四五六日"


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"
