"""Holiday tables an admin loads from the State Council's yearly notice (for years chinesecalendar
does not know yet)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table

from .tables import metadata

calendar_years = Table(
    "calendar_years", metadata,
    Column("year", Integer, primary_key=True),
    Column("holidays", JSON, nullable=False),  # ISO dates off that would be working days
    Column("workdays", JSON, nullable=False),  # ISO weekend dates worked (调休)
    Column("source", String(200), nullable=False, default=""),
    Column("loaded_by", String(64), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)
