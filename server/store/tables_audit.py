"""The audit trail: who did what, and when. Never a request body with personal data."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, String, Table

from .tables import metadata

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),  # username, device name, or "cli:<os user>"
    Column("kind", String(16), nullable=False),  # user, device, cli, anonymous (a failed sign-in)
    Column("role", String(16)),
    Column("hall", String(32)),
    Column("action", String(80), nullable=False),  # e.g. counter.call-next, auth.login, token.add
    Column("method", String(8)),
    Column("path", String(200)),
    Column("target", String(200)),  # counter 3, receipt …, ticket A012
    Column("status", Integer),
    Column("detail", JSON, nullable=False),  # a small whitelisted summary
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_hall_at", "hall", "at"),
    Index("ix_audit_log_actor_at", "actor", "at"),
)
