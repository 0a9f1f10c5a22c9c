"""The manager's alert settings per hall, and the acknowledgements of standing alerts (issue 9)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, String, Table

from server.store.tables import metadata

# One row per hall: {wait_target_min: {default, A…}, crowded_per_counter, pause_max_min}.
alert_settings = Table(
    "alert_settings", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("settings", JSON, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Who acknowledged a standing alert and when. A row lives while its alert stands: once the alert
# is gone the row is deleted, so the same cause coming back later sounds again.
alert_acks = Table(
    "alert_acks", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("alert_id", String(200), primary_key=True),
    Column("acked_by", String(64), nullable=False),
    Column("acked_at", DateTime(timezone=True), nullable=False),
)
