"""Appointments (预约) and each hall's booking settings. The ID number itself is never stored:
only its keyed hash and its last four characters (for the visitor's own cancellation)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Index, String, Table

from .tables import metadata

appointments = Table(
    "appointments", metadata,
    Column("code", String(12), primary_key=True),  # typed at the kiosk: server/domain/appointments.py
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("queue", String(8), nullable=False),
    Column("day", Date, nullable=False),
    Column("slot", String(5), nullable=False),  # the slot's start, "09:00", hall-local
    Column("status", String(16), nullable=False),  # booked, checked_in, late, cancelled, no_show
    Column("name", String(60), nullable=False),  # for the counter; masked on every public answer
    Column("id_hash", String(64), nullable=False),
    Column("id_last4", String(4), nullable=False),
    Column("phone", String(20), nullable=False),  # for reminders
    Column("cancel_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("ticket_id", String(64)),  # the ticket the check-in issued
    Column("item", String(32)),  # the service item (事项) the visitor comes for, when named; items.code
    Index("ix_appointments_slot", "hall", "queue", "day", "slot"),
    Index("ix_appointments_id_hash", "hall", "id_hash"),
    Index("ix_appointments_day_status", "hall", "day", "status"),
)

appointment_settings = Table(
    "appointment_settings", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("settings", JSON, nullable=False),  # AppointmentSettings.to_json()
)
