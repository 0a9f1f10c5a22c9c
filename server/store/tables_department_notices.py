"""Messages to departments (联审联办's 系统分派流转, seed art. 5): where each department wants them (its
webhook, set by the hall's managers) and the outbox of what it was told, one row per message."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table

from .tables import metadata

# One per department that has a system of its own to receive messages; without one a department
# reads its messages on its workbench only.
department_webhooks = Table(
    "department_webhooks", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("department", String(32), primary_key=True),
    Column("url", String(500), nullable=False),
    # the HMAC-SHA256 key of X-OneWindow-Signature: kept to sign, never shown again once set
    Column("secret", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64)),
)

# The outbox and the delivery record at once, as ``notifications`` is for the applicants' SMS.
department_notices = Table(
    "department_notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("department", String(32), nullable=False),
    Column("kind", String(32), nullable=False),  # new_case | due_tomorrow | prereview | prereview_due
    Column("ref", String(64)),  # the receipt or application number it is about
    Column("text", String(500), nullable=False),
    Column("payload", JSON, nullable=False),  # the facts behind the text; never a name, ID number or phone
    # The guard against telling twice: whoever inserts the key owns the message.
    Column("key", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # pending | sent | failed | kept (no webhook: the workbench)
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("error", String(500)),
    Column("lease_until", DateTime(timezone=True)),  # a delivery in progress holds the row until then
    Index("ix_department_notices_department", "hall", "department", "created_at"),
)
