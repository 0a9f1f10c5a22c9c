"""代办 (assisted service, seed art. 13): one matter per visitor helped, its steps, and its result."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

assisted = Table(
    "assisted", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("visitor_name", String(64), nullable=False),  # masked wherever it is listed
    Column("contact", String(32)),  # the visitor's phone, for the assistant only; never listed
    Column("item_code", String(64)),
    Column("item_name", String(200)),
    Column("ticket_id", String(64)),
    Column("ticket_number", String(16)),
    Column("note", Text),
    Column("assistant", String(64), nullable=False),  # the staff username who took the matter on
    # [{step, note, at (UTC ISO), by}] in the order they happened
    Column("steps", JSON, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),
    Column("result", Text),
    Index("ix_assisted_hall_opened", "hall", "opened_at"),
)
