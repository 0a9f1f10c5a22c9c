"""When the hall tells a visitor something: the four messages, from the events that call for them.

Only visitors who gave a phone get messages: today, those who booked (appointments). Each message
has its idempotency key (server/jobs/notify.py), so a trigger that fires twice, in two processes
or after a restart, still sends once.

- ``ahead``: a waiting appointment ticket with ``settings.notify_ahead`` people or fewer ahead;
- ``called``: an appointment ticket called to a counter;
- ``case_ready``: a case that became ``ready`` (the applicant's phone, if given);
- ``appointment_reminder``: from 18:00 hall time, the next working day's bookings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from server.channels import dashboard_channel
from server.context import AppContext
from server.domain.hall import Hall
from server.domain.model import Channel
from server.services.alerts import cases_due_message
from server.services.calendar import work_calendar
from server.services.cases import case_contact
from server.store import appointments as bookings

from .notify import (
    ahead_notification,
    appointment_reminder_notification,
    called_notification,
    case_ready_notification,
    notify,
)

log = logging.getLogger("onewindow.notify")

MOVING = {"ticket.issued", "ticket.called", "ticket.done", "ticket.no_show", "ticket.transferred",
          "ticket.cancelled", "ticket.recalled"}
REMIND_FROM = time(18, 0)  # hall time: the evening before
REMIND_CHECK_S = 300.0


class HallNotifier:
    def __init__(self, context: AppContext) -> None:
        self.context = context
        self._phones: dict[str, str | None] = {}  # appointment code → phone (None: none given)
        self._tasks: set[asyncio.Task[None]] = set()
        self._reminded: set[tuple[str, str]] = set()  # (hall, day) reminders already queued here
        self._reminders: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.context.engine.on_commit.append(self._committed)
        self.context.case_hooks.append(self.case_changed)
        self._reminders = asyncio.create_task(self._remind_every_evening())

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.context.engine.on_commit.remove(self._committed)
        with contextlib.suppress(ValueError):
            self.context.case_hooks.remove(self.case_changed)
        for task in [*self._tasks, *([self._reminders] if self._reminders else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ the queue
    def _committed(self, code: str, public: list[dict[str, Any]]) -> None:
        if not any(event.get("type") in MOVING for event in public):
            return
        called = [event for event in public if event.get("type") == "ticket.called"]
        task = asyncio.get_running_loop().create_task(self._queue_moved(code, called))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _queue_moved(self, code: str, called: list[dict[str, Any]]) -> None:
        try:
            hall = await self.context.engine.hall(code)
            for event in called:
                ticket = hall.tickets.get(event["ticket"]["id"])
                if ticket is None or ticket.channel != Channel.APPOINTMENT:
                    continue
                phone = await self._phone(ticket.appointment_code)
                if phone:
                    await notify(self.context, called_notification(
                        code, hall.config.name, phone, ticket.id, ticket.number, event["counter"]["number"]))
            await self._near_the_front(hall)
        except Exception:  # a message is never worth a broken hall: log and carry on
            log.exception("hall %s: working out notifications failed", code)

    async def _near_the_front(self, hall: Hall) -> None:
        threshold = self.context.settings.notify_ahead
        for ticket in list(hall.waiting_appointments()):  # not the whole day's tickets: a few booked ones
            ahead = hall.ahead(ticket)
            if ahead > threshold:
                continue
            phone = await self._phone(ticket.appointment_code)
            if phone:
                await notify(self.context, ahead_notification(
                    hall.config.code, hall.config.name, phone, ticket.id, ticket.number, ahead))

    async def _phone(self, code: str | None) -> str | None:
        """The phone given with the booking behind an appointment ticket."""
        if not code:
            return None
        if code not in self._phones:
            if len(self._phones) > 50_000:  # a few days' worth; older bookings are not asked about again
                self._phones.clear()
            row = await self.context.engine.read(lambda conn: bookings.get(conn, code))
            self._phones[code] = str(row["phone"]) if row and row.get("phone") else None
        return self._phones[code]

    # ------------------------------------------------------------------ cases
    async def case_changed(self, context: AppContext, case: dict[str, Any]) -> None:
        code = (case.get("hall") or {}).get("code")
        if code:  # the dashboard's list of cases near or past due may have changed
            await context.bus.publish(dashboard_channel(code), await cases_due_message(context, code))
        if case.get("status") != "ready":
            return
        receipt = case["receipt_no"]
        phone = await case_contact(context, receipt)
        if phone:
            hall = case.get("hall") or {}
            await notify(context, case_ready_notification(hall.get("code", ""), hall.get("name", ""), phone,
                                                          receipt))

    # ------------------------------------------------------------------ appointments
    async def _remind_every_evening(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.remind_tomorrow()
            await asyncio.sleep(REMIND_CHECK_S)

    async def remind_tomorrow(self) -> int:
        """From 18:00 hall time, queue a reminder for each booking of the next day the hall is
        open; returns how many were queued (each is sent once whatever happens)."""
        sent = 0
        now = self.context.clock.now()
        calendar = await work_calendar(self.context)
        for hall in await self.context.engine.loaded_halls():
            local = now.astimezone(hall.tz)
            if local.time() < REMIND_FROM:
                continue
            day = local.date() + timedelta(days=1)
            while not calendar.is_working_day(day):
                day += timedelta(days=1)
            key = (hall.config.code, day.isoformat())
            if key in self._reminded:
                continue
            rows = await self.context.engine.read(partial(bookings.of_day, hall=hall.config.code, day=day))
            for row in rows:
                if row["status"] != "booked" or not row.get("phone"):
                    continue
                queue = hall.config.queue(row["queue"])
                start = datetime.combine(day, time.fromisoformat(row["slot"]), hall.tz)
                await notify(self.context, appointment_reminder_notification(
                    hall.config.code, hall.config.name, row["phone"], row["code"], start,
                    queue.name if queue else row["queue"], local.date()))
                sent += 1
            self._reminded.add(key)
        return sent
