"""好差评 to the province (docs/kpis.md): one row per rating handed to the provincial platform, the
record as it is (or was) sent, and where its delivery stands. The unique rating id is the guard
against sending twice; a delivery in progress holds its rows by a claim and a lease."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table

from .tables import metadata

rating_exports = Table(
    "rating_exports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rating_id", Integer, ForeignKey("ratings.id"), nullable=False, unique=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("day", Date, nullable=False),  # hall-local day the rating was given: the batch it goes in
    Column("record", JSON, nullable=False),  # the national record (server/domain/rating_export.py)
    Column("status", String(16), nullable=False),  # pending | sent | failed (refused for good)
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("claim", String(32)),  # the delivery holding the row …
    Column("lease_until", DateTime(timezone=True)),  # … until then
    Index("ix_rating_exports_hall_status_day", "hall", "status", "day"),
    Index("ix_rating_exports_claim", "claim"),
)
