"""Appointments (预约): booking from the visitor's phone, cancelling, the day's slots, and the
check-in a kiosk makes when it issues a ticket with ``appointment_code`` (CONTRACT "Cases and
appointments"). The rules themselves live in server/domain/appointments.py."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import AppContext, ctx, forbid, require_principal
from server.domain import appointments as rules_
from server.domain.appointments import (
    BOOKED,
    CANCELLED,
    CHECKED_IN,
    LATE,
    AppointmentRules,
    AppointmentSettings,
    BookingConflict,
    BookingInvalid,
    BookingSuspended,
)
from server.domain.hall import Hall
from server.domain.identity import InvalidIdNumber, id_hash, mask_name, validate_id_number
from server.domain.model import Channel
from server.domain.views import public_ticket
from server.services.appointments import (
    ARRIVE_HINT,
    calendar_and_settings,
    item_view,
    staff_view,
)
from server.services.cards import InvalidCardToken, read_card_token
from server.store import appointments as store

from .declare import endpoint, parse_body
from .errors import ApiError, JSONResponse
from .schemas import Body

LATE_NOTICE = "您已超过预约时段，已为您取普通号"
CARD_READERS = {("device", "kiosk"), ("device", "agent")}
STAFF_ROLES = {"clerk", "guide", "manager", "admin"}


Day = date  # a field below is called ``date``


class BookAppointment(Body):
    queue: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)]
    date: Day = Field(description="hall-local day, YYYY-MM-DD")
    slot: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-2][0-9]:[0-5][0-9]$")] = Field(
        description="the slot's start, HH:MM, as listed by …/appointments/slots")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=32)] = Field(
        description="18 characters, checked by its GB 11643 check digit; stored only as a keyed hash")
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = Field(
        description="a mainland mobile number, 11 digits, for reminders")
    item: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=32)] | None = Field(
        default=None, description="optional: the code of the service item (事项) the visit is for, an item of "
                                  "the booked queue in the hall's catalog (GET …/items)")

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str) -> str:
        digits = value.replace(" ", "").replace("-", "")
        if digits.startswith("+86"):
            digits = digits[3:]
        if len(digits) != 11 or not digits.isdigit() or digits[0] != "1":
            raise ValueError("手机号码应为 1 开头的 11 位数字")
        return digits


class CancelAppointment(Body):
    cancel_token: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="returned when the booking was made")
    id_last4: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=4)] | None = Field(
        default=None, description="instead of cancel_token: the last four characters of the ID number")


# ---------------------------------------------------------------- helpers

def _queue_rules(hall: Hall, settings: AppointmentSettings, queue: str) -> AppointmentRules:
    if hall.config.queue(queue) is None:
        raise ApiError(404, "unknown_queue", f"没有 {queue} 类队列 (no queue {queue!r} in this hall)", "queue")
    rules = settings.rules_for(queue)
    if rules is None:
        raise ApiError(422, "queue_not_bookable", f"{queue} 类业务不接受预约 (queue {queue} takes no appointments)",
                       "queue")
    return rules



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


# ---------------------------------------------------------------- endpoints
@endpoint("GET", "/halls/{hall}/appointments/slots", "A day's appointment slots of a queue", auth=False,
          tag="public", responses={200: "[{slot, capacity, booked}] ([] on a closed day)",
                                   404: "unknown hall or queue"})
async def get_slots(request: Request) -> Response:
    """``?queue=Q&date=YYYY-MM-DD``. Each slot also says when it ends, how many places remain and
    whether it can be booked now (``available``: not full and not started)."""
    context = ctx(request)
    code = request.path_params["hall"]
    hall = await context.engine.hall(code)
    queue = request.query_params.get("queue", "").strip().upper()
    if not queue:
        raise ApiError(422, "invalid_field", "请选择业务类别 (queue is required)", "queue")
    try:
        day = date.fromisoformat(request.query_params.get("date", ""))
    except ValueError:
        raise ApiError(422, "invalid_field", "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)", "date") from None
    calendar, settings = await context.engine.read(lambda conn: calendar_and_settings(conn, code))
    rules = _queue_rules(hall, settings, queue)
    now_local = context.clock.now().astimezone(hall.tz)
    if day not in rules_.bookable_days(rules, calendar, now_local) and not (
            day == now_local.date() and rules_.is_open(calendar, day)):
        return JSONResponse([])
    booked = await context.engine.read(lambda conn: store.booked_per_slot(conn, code, queue, day))
    out = []
    for slot in rules_.slots_of(rules):
        taken = booked.get(slot.name, 0)
        started = day == now_local.date() and slot.start <= now_local.time()
        out.append({"slot": slot.name, "end": slot.end_name, "capacity": rules.capacity, "booked": taken,
                    "remaining": max(0, rules.capacity - taken),
                    "available": taken < rules.capacity and not started})
    return JSONResponse(out)


@endpoint("POST", "/halls/{hall}/appointments", "Book an appointment (the visitor's phone)", auth=False,
          tag="public", responses={201: "{code, queue, date, slot, status, item, cancel_token, arrive_from, "
                                        "arrive_until}",
                                   403: "booking suspended after repeated no-shows",
                                   404: "unknown hall or queue",
                                   422: "a bad field, e.g. item: unknown_item or item_not_in_queue",
                                   409: "slot_full, or already_booked in that queue that day",
                                   429: "too many bookings from this address"})
async def book(request: Request) -> Response:
    """No sign-in; at most 10 attempts per client address in 10 minutes. The ID number is checked by
    its check digit and kept only as a keyed hash and its last four characters."""
    context = ctx(request)
    limiter = context.booking_limiter
    who = request.client.host if request.client else "unknown"
    limiter.check(who, zh="预约操作过于频繁，请稍后再试", en="too many bookings; try again later")
    limiter.hit(who)
    body = await parse_body(request, BookAppointment)
    assert isinstance(body, BookAppointment)
    code = request.path_params["hall"]
    hall = await context.engine.hall(code)
    try:
        number = validate_id_number(body.id_number)
    except InvalidIdNumber as exc:
        raise ApiError(422, "invalid_id_number", str(exc), "id_number") from None
    holder = id_hash(context.settings.secret_key, number)
    now = context.clock.now()
    now_local = now.astimezone(hall.tz)
    today = now_local.date()

    def write(conn: Connection) -> dict[str, Any]:
        calendar, settings = calendar_and_settings(conn, code)
        rules = _queue_rules(hall, settings, body.queue)
        rules_.check_booking(rules, calendar, body.date, body.slot, now_local)
        item = None
        if body.item:
            item = store.item(conn, code, body.item)
            if item is None:
                raise BookingInvalid("unknown_item", f"没有 {body.item} 这个事项 (no item {body.item!r} "
                                     "in this hall's catalog)", "item")
            if item["queue"] != body.queue:
                raise BookingInvalid("item_not_in_queue", f"{item['name']} 不属于 {body.queue} 类业务 "
                                     f"(item {body.item} belongs to queue {item['queue']})", "item")
        store.lock_hall(conn, code)
        store.mark_no_shows(conn, code, today - timedelta(days=1), now)
        until = rules_.ban_until(store.no_show_days(conn, code, holder), today, rules)
        if until is not None:
            raise BookingSuspended(
                "booking_suspended",
                f"您近期多次预约未到，{until.month} 月 {until.day} 日前暂停预约 "
                f"(repeated no-shows: booking suspended until {until.isoformat()})", "id_number")
        if store.active_for_id(conn, code, body.queue, body.date, holder) >= rules.per_id_per_day:
            raise BookingConflict("already_booked",
                                  "您当天已预约过该类业务，如需改期请先取消原预约 (this ID already holds a booking "
                                  "in that queue that day)", "id_number")
        if store.booked_per_slot(conn, code, body.queue, body.date).get(body.slot, 0) >= rules.capacity:
            raise BookingConflict("slot_full", "该时段已约满，请选择其他时段 (that slot is full)", "slot")
        appointment_code = rules_.new_code()
        while store.code_taken(conn, appointment_code):
            appointment_code = rules_.new_code()
        row = {"code": appointment_code, "hall": code, "queue": body.queue, "day": body.date, "slot": body.slot,
               "status": BOOKED, "name": body.name, "id_hash": holder, "id_last4": number[-4:],
               "phone": body.phone, "cancel_token": context.new_token(16), "created_at": now,
               "changed_at": now, "ticket_id": None, "item": item["code"] if item else None}
        store.add(conn, row)
        return {"row": {**row, "item_name": item["name"] if item else None}, "rules": rules}

    made = await context.engine.write(write)
    out = _view(hall, made["row"], made["rules"])
    out["cancel_token"] = made["row"]["cancel_token"]
    out["hint"] = ARRIVE_HINT
    return JSONResponse(out, status_code=201)


book.endpoint.__api__ = replace(book.endpoint.__api__, body=BookAppointment)  # type: ignore[attr-defined]


@endpoint("POST", "/appointments/{code}/cancel", "The visitor cancels a booking", body=CancelAppointment,
          auth=False, tag="public", responses={200: "the cancelled booking",
                                               404: "unknown code, or a wrong cancel_token / id_last4",
                                               409: "checked in, missed, or its slot is over"})
async def cancel(request: Request, body: CancelAppointment) -> Response:
    """With the ``cancel_token`` given at booking, or the last four characters of the ID number."""
    assert isinstance(body, CancelAppointment)
    context = ctx(request)
    if not body.cancel_token and not body.id_last4:
        raise ApiError(422, "invalid_field", "请提供取消凭证或身份证号后四位 (cancel_token or id_last4 is required)",
                       "cancel_token")
    code = rules_.normalise_code(request.path_params["code"])
    row = await context.engine.read(lambda conn: store.get(conn, code))
    if row is None or not (
            (body.cancel_token and hmac.compare_digest(body.cancel_token, row["cancel_token"]))
            or (body.id_last4 and hmac.compare_digest(body.id_last4, row["id_last4"]))):
        raise ApiError(404, "unknown_appointment", "预约号或验证信息不正确 (no such appointment)", "code")
    hall = await context.engine.hall(row["hall"])
    rules = (await _settings(context, row["hall"])).rules_for(row["queue"])
    if row["status"] == CANCELLED:
        return JSONResponse(_view(hall, row, rules))
    now = context.clock.now()
    slot = rules_.find_slot(rules, row["slot"]) if rules else None
    over = slot is not None and rules is not None and now > rules_.arrival_window(
        row["day"], slot, hall.tz, rules.early_minutes)[1]
    if row["status"] != BOOKED or over:
        raise ApiError(409, "not_cancellable", "该预约已签到或已过期，无法取消 (already checked in, missed or over)")
    if not await context.engine.write(lambda conn: store.set_status(conn, code, CANCELLED, now, expected=BOOKED)):
        raise ApiError(409, "not_cancellable", "该预约已签到或已过期，无法取消 (already checked in, missed or over)")
    row["status"] = CANCELLED
    return JSONResponse(_view(hall, row, rules))


@endpoint("GET", "/halls/{hall}/appointments/by-card", "Today's booking of the ID card just read (kiosk, agent)",
          responses={200: "{code, queue, slot, status, …}", 404: "no booking for this card today"})
async def by_card(request: Request) -> Response:
    """``?card_token=`` from the kiosk feed's card.read; the kiosk then issues the ticket with the
    returned ``code`` as ``appointment_code``."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    if (principal.kind, principal.role) not in CARD_READERS:
        raise forbid("只有取号机可以按身份证查询预约", "only kiosks and their agents may look up by card")
    hall = await context.engine.hall(code)
    if not principal.in_hall(code):
        raise forbid("不是本大厅的设备", "this device belongs to another hall")
    token = request.query_params.get("card_token", "").strip()
    if not token:
        raise ApiError(422, "invalid_field", "缺少读卡信息 (card_token is required)", "card_token")
    try:
        holder = read_card_token(context.settings.secret_key, token)
    except InvalidCardToken as error:
        raise ApiError(422, "invalid_field", str(error), "card_token") from None
    found = await appointment_for_card(context, code, holder["id_hash"], hall.local_day(context.clock.now()))
    if found is None:
        raise ApiError(404, "unknown_appointment", "今天没有此身份证的预约 (no booking for this card today)")
    return JSONResponse(found)


@endpoint("GET", "/halls/{hall}/appointments", "A day's bookings with the visitors' names (staff of the hall)",
          responses={200: "[{code, queue, date, slot, status, name, id_last4, ticket_id, item}]"})
async def list_day(request: Request) -> Response:
    """``?date=YYYY-MM-DD`` (default today). Clerks, guides and managers see full names (needed at the
    counter); phone numbers stay masked."""
    context = ctx(request)
    code = request.path_params["hall"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)
    if principal.kind != "user" or principal.role not in STAFF_ROLES or not principal.in_hall(code):
        raise forbid("只有本大厅的工作人员可以查看预约名单", "only the hall's staff may list bookings")
    raw = request.query_params.get("date")
    try:
        day = date.fromisoformat(raw) if raw else hall.local_day(context.clock.now())
    except ValueError:
        raise ApiError(422, "invalid_field", "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)", "date") from None
    rows = await context.engine.read(lambda conn: store.of_day(conn, code, day))
    return JSONResponse([staff_view(row) for row in rows])



# ---------------------------------------------------------------- for other modules
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





# ---------------------------------------------------------------- check-in (POST …/tickets)
class CheckInRefused(Exception):
    """A check-in answered without issuing: ``response`` is the whole answer (409 with the ticket)."""

    def __init__(self, response: Response) -> None:
        super().__init__("check-in refused")
        self.response = response


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


def _unknown() -> ApiError:
    return ApiError(404, "unknown_appointment", "预约号不存在或不是今天的预约 (no such appointment today)",
                    "appointment_code")


async def claim_check_in(context: AppContext, hall: Hall, raw_code: str) -> CheckIn:
    """Checks a booking in for the kiosk: inside its window an ``appointment`` ticket in the booked
    queue; after it an ordinary walk-in with a notice; before it a 409 saying when to come back."""
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
        _refuse_already(hall, row)
    if row["status"] != BOOKED:
        raise _unknown()
    window = rules_.arrival_window(today, slot, hall.tz, rules.early_minutes)
    timing = rules_.check_in_timing(now, window)
    if timing == "early":
        back = window[0].strftime("%H:%M")
        raise ApiError(409, "too_early",
                       f"您预约的时段为 {slot.name}–{slot.end_name}，请于 {back} 之后再来签到取号 "
                       f"(too early: check in from {back})", "appointment_code")
    status, channel, notice = (CHECKED_IN, Channel.APPOINTMENT, None) if timing == "on_time" else (
        LATE, Channel.KIOSK, LATE_NOTICE)
    if not await context.engine.write(lambda conn: store.set_status(conn, code, status, now, expected=BOOKED)):
        again = await context.engine.read(lambda conn: store.get(conn, code))
        if again is not None and again["status"] in (CHECKED_IN, LATE):
            _refuse_already(hall, again)
        raise _unknown()
    view = _view(hall, {**row, "status": status}, rules)
    return CheckIn(code, row["queue"], channel, status, notice, view)


def _refuse_already(hall: Hall, row: dict[str, Any]) -> None:
    ticket = hall.tickets.get(row["ticket_id"]) if row["ticket_id"] else None
    body: dict[str, Any] = {"error": {"code": "already_checked_in", "field": "appointment_code",
                                      "message": "该预约已签到取号 (this appointment has already checked in)"}}
    if ticket is not None:
        body["ticket"] = public_ticket(hall, ticket, with_token=True)
    raise CheckInRefused(JSONResponse(body, status_code=409))


async def finish_check_in(context: AppContext, claim: CheckIn, ticket_id: str) -> None:
    now = context.clock.now()
    await context.engine.write(lambda conn: store.set_status(conn, claim.code, claim.status, now,
                                                             ticket_id=ticket_id))


async def release_check_in(context: AppContext, claim: CheckIn) -> None:
    """The ticket could not be issued: the booking is open again."""
    now = context.clock.now()
    await context.engine.write(lambda conn: store.set_status(conn, claim.code, BOOKED, now, expected=claim.status))


ROUTES: list[BaseRoute] = [get_slots, book, cancel, by_card, list_day]
