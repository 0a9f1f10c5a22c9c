"""Appointments (预约) as the other rooms need them: the booking page's data, the booking behind a
ticket (the counter shows it), and the day's end for bookings nobody checked in."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from server.context import AppContext
from server.domain import appointments as rules_
from server.domain.appointments import AppointmentSettings
from server.domain.hall import Hall
from server.domain.workdays import WorkCalendar
from server.engine import HallEngine
from server.store import appointments as store
from server.store import calendar as calendar_store
from server.store import repo

ARRIVE_HINT = "请在预约时段前 15 分钟至时段结束之间到大厅取号机签到"


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
            "phone": row["phone"][:3] + "****" + row["phone"][-4:], "ticket_id": row["ticket_id"],
            "item": item_view(row)}


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
    catalog = await context.engine.read(lambda conn: repo.items_of(conn, code))
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
