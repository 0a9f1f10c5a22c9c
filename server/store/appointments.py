"""Appointment rows. Every function takes a connection inside the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, insert, select, update

from server.domain.appointments import BOOKED, NO_SHOW, TAKING_A_PLACE, AppointmentSettings

from .tables import halls, items
from .tables_appointments import appointment_settings, appointments


def settings_of(conn: Connection, hall: str) -> AppointmentSettings:
    data = conn.scalar(select(appointment_settings.c.settings).where(appointment_settings.c.hall == hall))
    return AppointmentSettings.from_json(data)


def save_settings(conn: Connection, hall: str, settings: AppointmentSettings) -> None:
    data = settings.to_json()
    if conn.execute(update(appointment_settings).where(appointment_settings.c.hall == hall)
                    .values(settings=data)).rowcount == 0:
        conn.execute(insert(appointment_settings).values(hall=hall, settings=data))


def _with_item() -> Select[Any]:
    """Appointment rows with ``item_name``: the name of the booked item (None when none is named)."""
    return select(appointments, items.c.name.label("item_name")).select_from(appointments.outerjoin(
        items, and_(items.c.hall == appointments.c.hall, items.c.code == appointments.c.item)))


def item(conn: Connection, hall: str, code: str) -> dict[str, Any] | None:
    """The hall's catalog item ``code``: ``{code, name, queue}``, or None."""
    row = conn.execute(select(items.c.code, items.c.name, items.c.queue).where(
        items.c.hall == hall, items.c.code == code)).mappings().first()
    return dict(row) if row is not None else None


def lock_hall(conn: Connection, hall: str) -> None:
    """Serialises bookings of one hall across processes (PostgreSQL row lock; SQLite has one writer)."""
    conn.execute(select(halls.c.code).where(halls.c.code == hall).with_for_update())


def booked_per_slot(conn: Connection, hall: str, queue: str, day: date) -> dict[str, int]:
    rows = conn.execute(select(appointments.c.slot, func.count()).where(
        appointments.c.hall == hall, appointments.c.queue == queue, appointments.c.day == day,
        appointments.c.status.in_(TAKING_A_PLACE)).group_by(appointments.c.slot))
    return {slot: int(count) for slot, count in rows}


def active_for_id(conn: Connection, hall: str, queue: str, day: date, id_hash: str) -> int:
    return int(conn.scalar(select(func.count()).select_from(appointments).where(
        appointments.c.hall == hall, appointments.c.queue == queue, appointments.c.day == day,
        appointments.c.id_hash == id_hash, appointments.c.status == BOOKED)) or 0)


def no_show_days(conn: Connection, hall: str, id_hash: str) -> list[date]:
    return list(conn.scalars(select(appointments.c.day).where(
        appointments.c.hall == hall, appointments.c.id_hash == id_hash, appointments.c.status == NO_SHOW)))


def code_taken(conn: Connection, code: str) -> bool:
    return conn.scalar(select(appointments.c.code).where(appointments.c.code == code)) is not None


def add(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(appointments).values(**row))


def get(conn: Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(_with_item().where(appointments.c.code == code)).mappings().first()
    return dict(row) if row is not None else None


def set_status(conn: Connection, code: str, status: str, at: datetime, *, expected: str | None = None,
               ticket_id: str | None = None) -> bool:
    """Moves the booking to ``status`` (only from ``expected`` when given); whether it moved."""
    query = update(appointments).where(appointments.c.code == code)
    if expected is not None:
        query = query.where(appointments.c.status == expected)
    values: dict[str, Any] = {"status": status, "changed_at": at}
    if ticket_id is not None:
        values["ticket_id"] = ticket_id
    return bool(conn.execute(query.values(**values)).rowcount)


def mark_no_shows(conn: Connection, hall: str, up_to: date, at: datetime) -> int:
    """Bookings of ``up_to`` and earlier that nobody checked in become no-shows; how many."""
    return int(conn.execute(update(appointments).where(
        appointments.c.hall == hall, appointments.c.day <= up_to, appointments.c.status == BOOKED)
        .values(status=NO_SHOW, changed_at=at)).rowcount)


def for_card(conn: Connection, hall: str, id_hash: str, day: date) -> list[dict[str, Any]]:
    rows = conn.execute(_with_item().where(
        appointments.c.hall == hall, appointments.c.id_hash == id_hash, appointments.c.day == day,
        appointments.c.status == BOOKED).order_by(appointments.c.slot)).mappings()
    return [dict(r) for r in rows]


def by_ticket(conn: Connection, ticket_id: str) -> dict[str, Any] | None:
    row = conn.execute(_with_item().where(appointments.c.ticket_id == ticket_id)).mappings().first()
    return dict(row) if row is not None else None


def of_day(conn: Connection, hall: str, day: date) -> list[dict[str, Any]]:
    rows = conn.execute(_with_item().where(appointments.c.hall == hall, appointments.c.day == day)
                        .order_by(appointments.c.queue, appointments.c.slot, appointments.c.created_at)).mappings()
    return [dict(r) for r in rows]
