"""Appointments (预约): the routes of booking from the visitor's phone, cancelling, the day's slots
and bookings, and the lookup by ID card (CONTRACT "Cases and appointments"). They parse and answer;
the rules are server/services/appointments.py (the check-in a kiosk makes when it issues a ticket
with ``appointment_code`` is there too) over server/domain/appointments.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.services.appointments import (
    Booking,
    book_appointment,
    cancel_appointment,
    day_bookings,
    day_slots,
    find_by_card,
)

from .bodies import parse_body
from .declare import Param, day, endpoint
from .errors import JSONResponse
from .schemas import Body

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
        if len(digits) != 11 or not (digits.isascii() and digits.isdigit()) or digits[0] != "1":  # not ²
            raise ValueError("手机号码应为 1 开头的 11 位数字")
        return digits


class CancelAppointment(Body):
    cancel_token: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="returned when the booking was made")
    id_last4: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=4)] | None = Field(
        default=None, description="instead of cancel_token: the last four characters of the ID number")


# ---------------------------------------------------------------- endpoints
@endpoint("GET", "/halls/{hall}/appointments/slots", "A day's appointment slots of a queue", auth=False,
          tag="public", responses={200: "[{slot, capacity, booked}] ([] on a closed day)",
                                   404: "unknown hall or queue"},
          query={"queue": Param("the queue's code, e.g. A", required=True), "date": day("YYYY-MM-DD", required=True)})
async def get_slots(request: Request) -> Response:
    """``?queue=Q&date=YYYY-MM-DD``. Each slot also says when it ends, how many places remain and
    whether it can be booked now (``available``: not full and not started)."""
    query = request.query_params
    return JSONResponse(await day_slots(ctx(request), request.path_params["hall"], query.get("queue", ""),
                                        query.get("date", "")))


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
    booking = Booking(queue=body.queue, day=body.date, slot=body.slot, name=body.name, id_number=body.id_number,
                      phone=body.phone, item=body.item)
    return JSONResponse(await book_appointment(context, request.path_params["hall"], booking), status_code=201)


book.endpoint.__api__ = replace(book.endpoint.__api__, body=BookAppointment)  # type: ignore[attr-defined]


@endpoint("POST", "/appointments/{code}/cancel", "The visitor cancels a booking", body=CancelAppointment,
          auth=False, tag="public", responses={200: "the cancelled booking",
                                               404: "unknown code, or a wrong cancel_token / id_last4",
                                               409: "checked in, missed, or its slot is over",
                                               429: "too many wrong proofs for this code from this address"})
async def cancel(request: Request, body: CancelAppointment) -> Response:
    """With the ``cancel_token`` given at booking, or the last four characters of the ID number."""
    assert isinstance(body, CancelAppointment)
    address = request.client.host if request.client else "unknown"
    return JSONResponse(await cancel_appointment(ctx(request), request.path_params["code"], body.cancel_token,
                                                 body.id_last4, address))


@endpoint("GET", "/halls/{hall}/appointments/by-card", "Today's booking of the ID card just read (kiosk, agent)",
          responses={200: "{code, queue, slot, status, …}", 404: "no booking for this card today"},
          query={"card_token": Param("from the kiosk feed's card.read", required=True)})
async def by_card(request: Request) -> Response:
    """``?card_token=`` from the kiosk feed's card.read; the kiosk then issues the ticket with the
    returned ``code`` as ``appointment_code``."""
    principal = await require_principal(request)
    return JSONResponse(await find_by_card(ctx(request), principal, request.path_params["hall"],
                                           request.query_params.get("card_token", "")))


@endpoint("GET", "/halls/{hall}/appointments", "A day's bookings with the visitors' names (staff of the hall)",
          responses={200: "[{code, queue, date, slot, status, name, id_last4, ticket_id, item}]"},
          query={"date": day("YYYY-MM-DD (today)")})
async def list_day(request: Request) -> Response:
    """``?date=YYYY-MM-DD`` (default today). Clerks, guides and managers see full names (needed at the
    counter); phone numbers stay masked."""
    principal = await require_principal(request)
    return JSONResponse(await day_bookings(ctx(request), principal, request.path_params["hall"],
                                           request.query_params.get("date")))


ROUTES: list[BaseRoute] = [get_slots, book, cancel, by_card, list_day]
