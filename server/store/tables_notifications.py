"""The notifications table: one row per idempotency key, the outbox and the delivery record at once."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table

from server.store.tables import metadata

notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("to_phone", String(32), nullable=False),  # masked (138****1234): the full number never rests here
    Column("text", String(500), nullable=False),
    # The guard against sending twice: whoever inserts the key owns the message.
    Column("key", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("error", String(500)),
    # A delivery in progress holds the row until then; a crashed worker's claim lapses.
    Column("lease_until", DateTime(timezone=True)),
    Index("ix_notifications_hall_created", "hall", "created_at"),
)
