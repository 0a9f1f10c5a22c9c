"""Opening hours (开放时间, the settings page's): whether the kiosks issue numbers now.

A real hall's kiosk stops issuing when the hall closes, over lunch if it closes for lunch, and a
while before each closing so that everyone who takes a number is still served
(``stop_issuing_min``). Working days and rest days follow the Chinese working calendar (statutory
holidays closed, adjusted working weekends open: server/services/calendar.py). Self-service alone is
refused: a guide, a clerk or a manager still hands a number to a visitor who came in time, and a
booked visitor checks in within their booking's own window (CONTRACT: up to 15 minutes before the
slot), even before the doors open. A hall with no hours set issues at any time.

The screens do not work the calendar out themselves: ``issuing_now`` tells them (``GET
/halls/{hall}``) whether the kiosks issue now and when that changes next, and the kiosk asks again
then, and whenever the hours change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from server.context import AppContext
from server.domain.errors import Conflict
from server.domain.hall import Hall
from server.domain.model import OpeningHours
from server.domain.settings import hours_text, public
from server.domain.views import iso
from server.domain.workdays import WorkCalendar
from server.engine import StorageError

from .calendar import work_calendar

LOOK_AHEAD_DAYS = 31  # no calendar closes a hall longer (春节 is nine days); beyond it, no next_open


async def kiosk_may_issue(context: AppContext, hall: Hall) -> None:
    """Raises Conflict ``hall_closed`` (409), saying the hours, outside them."""
    hours = hall.config.opening_hours
    if not hours.is_set:
        return
    local = context.clock.now().astimezone(hall.tz)
    working = (await work_calendar(context)).is_working_day(local.date())
    if hours.issuing(local.hour * 60 + local.minute, working):
        return
    said = hours_text(public(hall.config, None)["opening_hours"])
    raise Conflict.coded("hall_closed", f"现在不是取号时间，请在开放时间内取号。开放时间：{said} "
                                        "(the hall is not issuing numbers now; see its opening hours)")


async def issuing_now(context: AppContext, hall: Hall) -> dict[str, Any]:
    """``{open_now, open_until, next_open}``: whether a kiosk gets a number now (as
    ``kiosk_may_issue`` judges it), and the instant that changes next, in the hall's time: while
    open, when the kiosks stop (``stop_issuing_min`` before the period ends); while closed, when
    they start again (None: no hours set, or none within a month)."""
    hours = hall.config.opening_hours
    if not hours.is_set:
        return {"open_now": True, "open_until": None, "next_open": None}
    local = context.clock.now().astimezone(hall.tz)
    try:
        calendar = await work_calendar(context)
    except StorageError:  # the database away: the library's calendar (no loaded notices) rather than a 503
        calendar = WorkCalendar()
    for start, stop in _windows(hours, calendar, hall, local):
        if stop <= local:
            continue
        if start <= local:
            return {"open_now": True, "open_until": iso(stop, hall), "next_open": None}
        return {"open_now": False, "open_until": None, "next_open": iso(start, hall)}
    return {"open_now": False, "open_until": None, "next_open": None}


def _windows(hours: OpeningHours, calendar: WorkCalendar, hall: Hall,
             local: datetime) -> Iterator[tuple[datetime, datetime]]:
    """When the kiosks issue, from today for a month: each period less its last ``stop_issuing_min``."""
    for offset in range(LOOK_AHEAD_DAYS):
        day = local.date() + timedelta(days=offset)
        periods = hours.workday if calendar.is_working_day(day) else hours.rest_day
        for start, end in periods:
            stop = _at(day, end, hall) - timedelta(minutes=hours.stop_issuing_min)
            yield _at(day, start, hall), stop


def _at(day: date, hhmm: str, hall: Hall) -> datetime:
    hour, minute = hhmm.split(":")
    return datetime.combine(day, time(int(hour), int(minute)), tzinfo=hall.tz)
