"""整改: one follow-up per unhappy rating, and each hall's due-date setting."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

followups = Table(
    "followups", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("rating_id", Integer, ForeignKey("ratings.id"), nullable=False, unique=True),
    Column("ticket_id", String(64), nullable=False),
    Column("ticket_number", String(16), nullable=False),  # shown to managers only, never to the clerk rated
    Column("counter", Integer, nullable=False),
    Column("clerk", String(64)),
    Column("level", Integer, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("due_provisional", Boolean, nullable=False, default=False),
    Column("assignee", String(64)),
    Column("callback_note", Text),
    Column("callback_reached", Boolean),
    Column("callback_at", DateTime(timezone=True)),
    Column("callback_by", String(64)),
    Column("fix_note", Text),
    Column("fix_at", DateTime(timezone=True)),
    Column("fix_by", String(64)),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),
    Index("ix_followups_hall_due", "hall", "due_date"),
)

followup_settings = Table(
    "followup_settings", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("due_days", Integer, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
