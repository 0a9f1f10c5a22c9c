"""Randomness is injected like the clock (issue 15): the status tokens of tickets and the codes of
bookings come from the context, so a test (or a replay) can fix them."""

from __future__ import annotations

import asyncio
from datetime import date

from devices.idcard.emulator import demo_card
from server.auth import Principal
from server.domain.clock import FakeClock
from server.services import appointments, tickets
from tests.conftest import HALL_MORNING
from tests.services.test_days import context_on


def test_tokens_and_booking_codes_come_from_the_context(sqlite_url: str) -> None:
    context = context_on(sqlite_url, FakeClock(HALL_MORNING))
    context.new_token = lambda size: f"token-{size}"
    context.choose = lambda alphabet: alphabet[0]
    kiosk = Principal("device", "kiosk", "kiosk-1", "jinan")
    card = demo_card(40, today=date(2026, 11, 25))

    async def body() -> None:
        try:
            issued = await tickets.issue(context, kiosk, "jinan", tickets.TicketRequest("A"), "http://hall/")
            assert issued.ticket.status_token == "token-16"
            booked = await appointments.book_appointment(context, "jinan", appointments.Booking(
                "B", date(2026, 11, 25), "10:00", "王小明", card.id_number, "13800138000"))
            assert booked["code"] == "333333" and booked["cancel_token"] == "token-16"
        finally:
            await context.hub.close()
            await context.engine.close()
            context.db.dispose()

    asyncio.run(body())
