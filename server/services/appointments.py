"""Appointments (预约): booking from the visitor's phone, cancelling, the day's slots and bookings,
the lookup by ID card and the check-in a kiosk makes when it issues a ticket with
``appointment_code`` (CONTRACT "Cases and appointments"); also what the other rooms need: the
booking page's data, the booking behind a ticket (the counter shows it), and the day's end for
bookings nobody checked in. The pure rules live in server/domain/appointments.py; every refusal
here is a DomainError."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection

from server import params
from server.auth import Principal
from server.bus import BusUnavailable
from server.bus.base import RESET
from server.channels import BOOKINGS_CHANNEL
from server.context import AppContext
from server.domain import appointments as rules_
from server.domain.appointments import (
    BOOKED,
    CANCELLED,
    CHECKED_IN,
    LATE,
    AlreadyCheckedIn,
    AppointmentRules,
    AppointmentSettings,
    BookingConflict,
    BookingInvalid,
    BookingSuspended,
    NotCancellable,
    QueueNotBookable,
    TooEarly,
    UnknownAppointment,
)
from server.domain.errors import Forbidden, InvalidInput, UnknownQueue
from server.domain.hall import Hall
from server.domain.identity import InvalidIdNumber, id_hash, mask_name, validate_id_number
from server.domain.model import Channel
from server.domain.workdays import WorkCalendar
from server.engine import HallEngine, StorageError
from server.services.cards import InvalidCardToken, read_card_token
from server.store import appointments as store
from server.store import calendar as calendar_store
from server.store import catalog as catalog_store

log = logging.getLogger("onewindow.appointments")

ARRIVE_HINT = "请在预约时段前 15 分钟至时段结束之间到大厅取号机签到"
LATE_NOTICE = "您已超过预约时段，已为您取普通号"
CARD_READERS = {("device", "kiosk"), ("device", "agent")}  # who may look a booking up by ID card
STAFF_ROLES = {"clerk", "guide", "manager", "admin"}  # who may list a day's bookings with the names


# ---------------------------------------------------------------- views and settings
def calendar_and_settings(conn: Connection, hall: str) -> tuple[WorkCalendar, AppointmentSettings]:
    return WorkCalendar(calendar_store.load_tables(conn)), store.settings_of(conn, hall)


def item_view(row: dict[str, Any]) -> dict[str, str] | None:
    """``{code, name}`` of the booked item, or None when the booking names none."""
    if not row.get("item"):
        return None
    return {"code": row["item"], "name": row.get("item_name") or row["item"]}


def staff_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"code": row["code"], "queue": row["queue"], "date": row["day"].isoformat(), "slot": row["slot"],
            "status": row["status"], "name": row["name"], "id_last4": row["id_last4"],
            "phone": row["phone"][:3] + "****" + row["phone"][-4:] if row["phone"] else "",  # "": purged
            "ticket_id": row["ticket_id"],
            "item": item_view(row)}


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _view(hall: Hall, row: dict[str, Any], rules: AppointmentRules | None) -> dict[str, Any]:
    """A booking as the visitor and the kiosk may see it: the name masked, no ID, no phone."""
    queue = hall.config.queue(row["queue"])
    out: dict[str, Any] = {"code": row["code"], "queue": row["queue"], "queue_name": queue.name if queue else "",
                           "date": row["day"].isoformat(), "slot": row["slot"], "status": row["status"],
                           "name": mask_name(row["name"]), "item": item_view(row)}
    slot = rules_.find_slot(rules, row["slot"]) if rules is not None else None
    if rules is not None and slot is not None:
        arrive_from, arrive_until = rules_.arrival_window(row["day"], slot, hall.tz, rules.early_minutes)
        out.update(slot_end=slot.end_name, arrive_from=_iso(arrive_from), arrive_until=_iso(arrive_until))
    if row.get("ticket_id"):
        out["ticket_id"] = row["ticket_id"]
    return out


async def _settings(context: AppContext, hall_code: str) -> AppointmentSettings:
    return await context.engine.read(lambda conn: store.settings_of(conn, hall_code))


def _queue_rules(hall: Hall, settings: AppointmentSettings, queue: str) -> AppointmentRules:
    if hall.config.queue(queue) is None:
        raise UnknownQueue(f"没有 {queue} 类队列", f"no queue {queue!r} in this hall", "queue")
    rules = settings.rules_for(queue)
    if rules is None:
        raise QueueNotBookable(f"{queue} 类业务不接受预约", f"queue {queue} takes no appointments")
    return rules


def _day(text: str) -> date:
    return params.day(text, "date")


# ---------------------------------------------------------------- the visitor's phone
async def day_slots(context: AppContext, hall_code: str, queue: str, day: str) -> list[dict[str, Any]]:
    """A day's slots of a queue (``queue`` and ``day`` as the query gave them, ``day`` YYYY-MM-DD):
    each ``{slot, end, capacity, booked, remaining, available}`` (not full and not started); [] on a
    day that cannot be booked."""
    hall = await context.engine.hall(hall_code)
    queue = queue.strip().upper()
    if not queue:
        raise InvalidInput("请选择业务类别", "queue is required", "queue")
    wanted = _day(day)
    calendar, settings = await context.engine.read(lambda conn: calendar_and_settings(conn, hall_code))
    rules = _queue_rules(hall, settings, queue)
    now_local = context.clock.now().astimezone(hall.tz)
    if wanted not in rules_.bookable_days(rules, calendar, now_local) and not (
            wanted == now_local.date() and rules_.is_open(calendar, wanted)):
        return []
    booked = await context.engine.read(lambda conn: store.booked_per_slot(conn, hall_code, queue, wanted))
    out = []
    for slot in rules_.slots_of(rules):
        taken = booked.get(slot.name, 0)
        started = wanted == now_local.date() and slot.start <= now_local.time()
        out.append({"slot": slot.name, "end": slot.end_name, "capacity": rules.capacity, "booked": taken,
                    "remaining": max(0, rules.capacity - taken),
                    "available": taken < rules.capacity and not started})
    return out


@dataclass(frozen=True)
class Booking:
    """What the visitor asks for (server/api/appointments.py parses and normalises it)."""

    queue: str
    day: date
    slot: str
    name: str
    id_number: str
    phone: str
    item: str | None = None


async def book_appointment(context: AppContext, hall_code: str, booking: Booking) -> dict[str, Any]:
    """Books a slot: the booking as the visitor sees it, with its ``cancel_token`` and the ``hint``.
    The ID number is checked by its check digit and kept only as a keyed hash and its last four."""
    hall = await context.engine.hall(hall_code)
    try:
        number = validate_id_number(booking.id_number)
    except InvalidIdNumber as exc:
        raise BookingInvalid.coded("invalid_id_number", str(exc), "id_number") from None
    holder = id_hash(context.settings.secret_key, number)
    now = context.clock.now()
    now_local = now.astimezone(hall.tz)
    today = now_local.date()

    def write(conn: Connection) -> tuple[dict[str, Any], AppointmentRules]:
        calendar, settings = calendar_and_settings(conn, hall_code)
        rules = _queue_rules(hall, settings, booking.queue)
        rules_.check_booking(rules, calendar, booking.day, booking.slot, now_local)
        item = None
        if booking.item:
            item = store.item(conn, hall_code, booking.item)
            if item is None:
                raise BookingInvalid.coded("unknown_item", f"没有 {booking.item} 这个事项 (no item {booking.item!r} "
                                           "in this hall's catalog)", "item")
            if item["queue"] != booking.queue:
                raise BookingInvalid.coded("item_not_in_queue", f"{item['name']} 不属于 {booking.queue} 类业务 "
                                           f"(item {booking.item} belongs to queue {item['queue']})", "item")
        store.lock_hall(conn, hall_code)
        store.mark_no_shows(conn, hall_code, today - timedelta(days=1), now)
        until = rules_.ban_until(store.no_show_days(conn, hall_code, holder), today, rules)
        if until is not None:
            raise BookingSuspended.coded(
                "booking_suspended",
                f"您近期多次预约未到，{until.month} 月 {until.day} 日前暂停预约 "
                f"(repeated no-shows: booking suspended until {until.isoformat()})", "id_number")
        if store.active_for_id(conn, hall_code, booking.queue, booking.day, holder) >= rules.per_id_per_day:
            raise BookingConflict.coded(
                "already_booked",
                "您当天已预约过该类业务，如需改期请先取消原预约 "
                "(this ID already holds a booking in that queue that day)",
                "id_number")
        if store.booked_per_slot(conn, hall_code, booking.queue, booking.day).get(booking.slot, 0) >= rules.capacity:
            raise BookingConflict.coded("slot_full", "该时段已约满，请选择其他时段 (that slot is full)", "slot")
        appointment_code = rules_.new_code(context.choose)
        while store.code_taken(conn, appointment_code):
            appointment_code = rules_.new_code(context.choose)
        row = {"code": appointment_code, "hall": hall_code, "queue": booking.queue, "day": booking.day,
               "slot": booking.slot, "status": BOOKED, "name": booking.name, "id_hash": holder,
               "id_last4": number[-4:], "phone": booking.phone, "cancel_token": context.new_token(16),
               "created_at": now, "changed_at": now, "ticket_id": None, "item": item["code"] if item else None}
        store.add(conn, row)
        return {**row, "item_name": item["name"] if item else None}, rules

    row, rules = await context.engine.write(write)
    await bookings_changed(context, hall_code, row["day"])
    out = _view(hall, row, rules)
    out["cancel_token"] = row["cancel_token"]
    out["hint"] = ARRIVE_HINT
    return out


async def cancel_appointment(context: AppContext, raw_code: str, cancel_token: str | None,
                             id_last4: str | None, address: str) -> dict[str, Any]:
    """The visitor cancels, proving it with the ``cancel_token`` given at booking or the last four
    characters of the ID number; the cancelled booking (cancelling twice answers the same). Wrong
    proofs count per (code, client address): past five the pair waits, longer after each further
    miss (429), unknown codes alike; the right proof is refused too while it waits."""
    if not cancel_token and not id_last4:
        raise InvalidInput("请提供取消凭证或身份证号后四位", "cancel_token or id_last4 is required", "cancel_token")
    code = rules_.normalise_code(raw_code)
    limiter, key, now_s = context.cancel_limiter, f"{code}@{address}", context.clock.now().timestamp()
    limiter.check(key, zh="验证失败次数过多，请 {s} 秒后再试", en="too many wrong attempts; try again in {s} s",
                  code="too_many_attempts", now=now_s)
    limiter.fail(key, now_s)  # counted before the read: requests sent at once cannot all pass
    row = await context.engine.read(lambda conn: store.get(conn, code))
    if row is None or not (
            (cancel_token and params.same_secret(cancel_token, row["cancel_token"]))
            or (id_last4 and params.same_secret(id_last4, row["id_last4"]))):
        raise UnknownAppointment("预约号或验证信息不正确", "no such appointment", "code")
    limiter.reset(key)
    hall = await context.engine.hall(row["hall"])
    rules = (await _settings(context, row["hall"])).rules_for(row["queue"])
    if row["status"] == CANCELLED:
        return _view(hall, row, rules)
    now = context.clock.now()
    slot = rules_.find_slot(rules, row["slot"]) if rules else None
    over = slot is not None and rules is not None and now > rules_.arrival_window(
        row["day"], slot, hall.tz, rules.early_minutes)[1]
    if row["status"] != BOOKED or over or not await context.engine.write(
            lambda conn: store.set_status(conn, code, CANCELLED, now, expected=BOOKED)):
        raise NotCancellable("该预约已签到或已过期，无法取消", "already checked in, missed or over")
    row["status"] = CANCELLED
    await bookings_changed(context, row["hall"], row["day"])
    return _view(hall, row, rules)


# ---------------------------------------------------------------- the kiosk and the staff
async def appointment_for_card(context: AppContext, hall_code: str, id_hash: str, today: date
                               ) -> dict[str, Any] | None:
    """Today's active (booked, not yet checked in) booking of this ID card, the earliest slot first:
    ``{code, queue, queue_name, date, slot, slot_end, status, name (masked), arrive_from, arrive_until}``."""
    rows = await context.engine.read(lambda conn: store.for_card(conn, hall_code, id_hash, today))
    if not rows:
        return None
    hall = await context.engine.hall(hall_code)
    settings = await _settings(context, hall_code)
    return _view(hall, rows[0], settings.rules_for(rows[0]["queue"]))


async def find_by_card(context: AppContext, principal: Principal, hall_code: str, card_token: str
                       ) -> dict[str, Any]:
    """Today's booking of the ID card a kiosk (or its agent) of the hall just read, ``card_token``
    from its feed's card.read; the kiosk then issues the ticket with its ``code``."""
    if (principal.kind, principal.role) not in CARD_READERS:
        raise Forbidden("只有取号机可以按身份证查询预约", "only kiosks and their agents may look up by card")
    hall = await context.engine.hall(hall_code)
    if not principal.in_hall(hall_code):
        raise Forbidden("不是本大厅的设备", "this device belongs to another hall")
    token = card_token.strip()
    if not token:
        raise InvalidInput("缺少读卡信息", "card_token is required", "card_token")
    try:
        holder = read_card_token(context.settings.secret_key, token)
    except InvalidCardToken as error:
        zh, _, en = str(error).rpartition(" (")
        raise InvalidInput(zh, en.removesuffix(")"), "card_token") from None
    found = await appointment_for_card(context, hall_code, holder["id_hash"], hall.local_day(context.clock.now()))
    if found is None:
        raise UnknownAppointment("今天没有此身份证的预约", "no booking for this card today", None)
    return found


async def day_bookings(context: AppContext, principal: Principal, hall_code: str, day: str | None
                       ) -> list[dict[str, Any]]:
    """A day's bookings (``day`` YYYY-MM-DD, today when empty) with the visitors' full names, for the
    hall's staff (needed at the counter); phone numbers stay masked."""
    hall = await context.engine.hall(hall_code)
    if principal.kind != "user" or principal.role not in STAFF_ROLES or not principal.in_hall(hall_code):
        raise Forbidden("只有本大厅的工作人员可以查看预约名单", "only the hall's staff may list bookings")
    wanted = _day(day) if day else hall.local_day(context.clock.now())
    rows = await context.engine.read(lambda conn: store.of_day(conn, hall_code, wanted))
    return [staff_view(row) for row in rows]


# ---------------------------------------------------------------- check-in (POST …/tickets)
@dataclass(frozen=True)
class CheckIn:
    """A booking claimed for the ticket about to be issued."""

    code: str
    queue: str
    channel: Channel
    status: str  # what the booking became: checked_in or late
    notice: str | None
    view: dict[str, Any]

    @property
    def ticket_code(self) -> str | None:
        """The appointment_code the ticket carries: only an on-time (appointment channel) ticket."""
        return self.code if self.channel == Channel.APPOINTMENT else None


def _unknown() -> UnknownAppointment:
    return UnknownAppointment("预约号不存在或不是今天的预约", "no such appointment today")


def _already(row: dict[str, Any]) -> AlreadyCheckedIn:
    return AlreadyCheckedIn("该预约已签到取号", "this appointment has already checked in", row["ticket_id"] or None)


async def claim_check_in(context: AppContext, hall: Hall, raw_code: str) -> CheckIn:
    """Checks a booking in for the kiosk: inside its window an ``appointment`` ticket in the booked
    queue; after it an ordinary walk-in with a notice; before it TooEarly saying when to come back;
    AlreadyCheckedIn (with the ticket it holds) when it checked in before."""
    code = rules_.normalise_code(raw_code)
    hall_code = hall.config.code
    now = context.clock.now()
    today = hall.local_day(now)
    row = await context.engine.read(lambda conn: store.get(conn, code))
    if row is None or row["hall"] != hall_code or row["day"] != today:
        raise _unknown()
    rules = (await _settings(context, hall_code)).rules_for(row["queue"])
    slot = rules_.find_slot(rules, row["slot"]) if rules is not None else None
    if rules is None or slot is None:
        raise _unknown()
    if row["status"] in (CHECKED_IN, LATE):
        raise _already(row)
    if row["status"] != BOOKED:
        raise _unknown()
    window = rules_.arrival_window(today, slot, hall.tz, rules.early_minutes)
    timing = rules_.check_in_timing(now, window)
    if timing == "early":
        back = window[0].strftime("%H:%M")
        raise TooEarly(f"您预约的时段为 {slot.name}–{slot.end_name}，请于 {back} 之后再来签到取号",
                       f"too early: check in from {back}")
    status, channel, notice = (CHECKED_IN, Channel.APPOINTMENT, None) if timing == "on_time" else (
        LATE, Channel.KIOSK, LATE_NOTICE)
    if not await context.engine.write(lambda conn: store.set_status(conn, code, status, now, expected=BOOKED)):
        again = await context.engine.read(lambda conn: store.get(conn, code))
        if again is not None and again["status"] in (CHECKED_IN, LATE):
            raise _already(again)
        raise _unknown()
    view = _view(hall, {**row, "status": status}, rules)
    return CheckIn(code, row["queue"], channel, status, notice, view)


async def finish_check_in(context: AppContext, claim: CheckIn, ticket_id: str) -> None:
    now = context.clock.now()
    await context.engine.write(lambda conn: store.set_status(conn, claim.code, claim.status, now,
                                                             ticket_id=ticket_id))


async def release_check_in(context: AppContext, claim: CheckIn) -> None:
    """The ticket could not be issued: the booking is open again."""
    now = context.clock.now()
    await context.engine.write(lambda conn: store.set_status(conn, claim.code, BOOKED, now, expected=claim.status))


# ---------------------------------------------------------------- for the other rooms
async def mark_no_shows(context: AppContext | HallEngine, hall_code: str, day: date) -> int:
    """Bookings of ``day`` and before that nobody checked in become ``no_show``; how many did."""
    engine = context if isinstance(context, HallEngine) else context.engine
    now = engine.clock.now()
    return await engine.write(lambda conn: store.mark_no_shows(conn, hall_code, day, now))


async def booking_page_data(context: AppContext, hall: Hall) -> dict[str, Any]:
    """What /book/{hall} embeds: the bookable queues, each with its open days to come and its
    service items (``{code, name}``, for the optional 办理事项 choice)."""
    code = hall.config.code
    calendar, settings = await context.engine.read(lambda conn: calendar_and_settings(conn, code))
    catalog = await context.engine.read(lambda conn: catalog_store.items_of(conn, code))
    now_local = context.clock.now().astimezone(hall.tz)
    queues = []
    for queue in hall.config.queues:
        rules = settings.rules_for(queue.code)
        if rules is None:
            continue
        days = [{"date": d.isoformat(), "label": rules_.day_label(d)}
                for d in rules_.bookable_days(rules, calendar, now_local)]
        items = [{"code": i["code"], "name": i["name"]} for i in catalog if i["queue"] == queue.code]
        queues.append({"code": queue.code, "name": queue.name, "days": days, "items": items})
    return {"hall": {"code": code, "name": hall.config.name}, "queues": queues, "hint": ARRIVE_HINT,
            "today": now_local.date().isoformat()}


async def appointment_for_ticket(context: AppContext, ticket_id: str) -> dict[str, Any] | None:
    """The booking a ticket was issued for (the counter shows it): the visitor's full name, the last
    four of the ID number, the slot, the booked item (``{code, name}`` or None); None for a walk-in."""
    row = await context.engine.read(lambda conn: store.by_ticket(conn, ticket_id))
    return staff_view(row) if row is not None else None


# ---------------------------------------------------------------- what the wait estimates expect
def bookings_due(conn: Connection, hall_code: str, day: date, tz: tzinfo
                 ) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """The hall's bookings of ``day`` not checked in yet, per queue: (slot start, slot end, code)."""
    settings = store.settings_of(conn, hall_code)
    due: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for row in store.of_day(conn, hall_code, day):
        rules = settings.rules_for(row["queue"])
        slot = rules_.find_slot(rules, row["slot"]) if rules and row["status"] == BOOKED else None
        if slot is not None:
            due.setdefault(row["queue"], []).append(
                (datetime.combine(day, slot.start, tzinfo=tz), datetime.combine(day, slot.end, tzinfo=tz), row["code"]))
    return due


def expect_on_load(conn: Connection, hall: Hall, now: datetime) -> None:
    """For the engine (``HallEngine.on_load``): a hall loaded from the store expects today's bookings."""
    day = hall.local_day(now)
    hall.expect_bookings(day, bookings_due(conn, hall.config.code, day, hall.tz))


async def expect_bookings(engine: HallEngine, hall_code: str) -> None:
    """Read the hall's bookings of today again and tell its state (on the event loop, where the state
    is changed)."""
    hall = await engine.hall(hall_code)
    day = hall.local_day(engine.clock.now())
    due = await engine.read(lambda conn: bookings_due(conn, hall_code, day, hall.tz))
    hall.expect_bookings(day, due)


async def bookings_changed(context: AppContext, hall_code: str, day: date) -> None:
    """A booking of ``day`` was made or cancelled: this process's hall and, through the bus, the
    other processes' expect the bookings as they are now (a later day's waits for its day)."""
    hall = await context.engine.hall(hall_code)
    if day != hall.local_day(context.clock.now()):
        return
    try:  # the booking stands whatever happens here: the estimates catch up at the next load or change
        await expect_bookings(context.engine, hall_code)
    except StorageError:
        log.warning("appointments: hall %s's estimates did not learn of this booking (database away)", hall_code)
    try:
        await context.bus.publish(BOOKINGS_CHANNEL, {"type": "bookings.changed", "hall": hall_code})
    except BusUnavailable:
        log.warning("appointments: the bus is away; other processes expect this booking once they load the hall")


async def follow_bookings(context: AppContext) -> None:
    """Runs for the life of the process: the bookings other processes took or cancelled reach this
    process's halls (after the bus was away: every loaded hall reads them again)."""
    async with context.bus.subscribe(BOOKINGS_CHANNEL) as messages:
        async for message in messages:
            try:
                loaded = {hall.config.code for hall in await context.engine.loaded_halls()}
                wanted = loaded if message.get("type") == RESET["type"] else {message.get("hall")} & loaded
                for code in wanted:
                    if isinstance(code, str):
                        await expect_bookings(context.engine, code)
            except StorageError:  # the next change, or the next load, tells them again
                log.warning("appointments: a booking's news did not reach the estimates (database away)")
