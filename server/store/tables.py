"""The schema. SQLAlchemy Core tables; Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

halls = Table(
    "halls", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("config", JSON, nullable=False),  # queues, counters, policy: see store/repo.py
    Column("seq", BigInteger, nullable=False, default=0),  # the last event's seq; the row lock serialises writers
)

# Append-only: one row per state change, seq gapless per hall (CONTRACT).
events = Table(
    "events", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),  # full state after the change, for replay by other processes
    Column("public", JSON, nullable=False),  # the message as the feeds sent it
)

tickets = Table(
    "tickets", metadata,
    Column("id", String(64), primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("day", Date, nullable=False),
    Column("number", String(16), nullable=False),
    Column("queue", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("counter", Integer),
    Column("status_token", String(64), nullable=False, unique=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("called_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("data", JSON, nullable=False),
    Index("ix_tickets_hall_day", "hall", "day"),
    Index("ix_tickets_hall_status", "hall", "status"),
)

counters = Table(
    "counters", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("state", JSON, nullable=False),
)

items = Table(
    "items", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("queue", String(8), nullable=False),
    Column("department", String(100), nullable=False),
    Column("time_limit_days", Integer, nullable=False),
    Column("materials", JSON, nullable=False),
    Column("pinyin", String(100), nullable=False, default=""),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("hall", String(32)),
    Column("counter", Integer),
    Column("display_name", String(64)),
    Column("staff_no", String(32)),
    Column("active", Boolean, nullable=False, default=True),
    # Set when someone else chose the password (a new account, a reset): until the user picks their
    # own, every API call but the password change, sign-out and /me is refused (server/context.py).
    # (server_default only: rows written as of older revisions, in tests of migrations, leave it out)
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
)

# Bearer tokens, for users and devices. Only a SHA-256 of each token is kept.
tokens = Table(
    "tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("device_kind", String(16)),
    Column("hall", String(32)),
    Column("name", String(64)),
    Column("counter", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    # Staff tokens end here (sign-ins: ONEWINDOW_SESSION_HOURS; `token add --user`: --days); devices: null, never.
    Column("expires_at", DateTime(timezone=True)),
    # When a device token was last used (最近在线): at most once a minute, in batches (server/services/devices.py).
    Column("last_seen_at", DateTime(timezone=True)),
    Index("ix_tokens_user", "user_id"),  # disabling a user revokes all of theirs
    Index("ix_tokens_hall", "hall"),  # a hall's device tokens, listed
)

# 好差评: one rating per service, given on the tablet facing the visitor. No visitor identity.
ratings = Table(
    "ratings", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("clerk", String(64)),  # the clerk holding the counter when the rating came in
    Column("level", Integer, nullable=False),  # 1 非常不满意 … 5 非常满意
    Column("reasons", JSON, nullable=False),
    Column("comment", Text),
    Column("source", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("ticket_id", name="uq_ratings_ticket_id"),
    Index("ix_ratings_hall_counter", "hall", "counter"),
)

# What each device agent last said of its devices (heartbeats): kept so managers see a printer
# out of paper even when the agent is offline, and so a kiosk learns its printer's state at once.
device_status = Table(
    "device_status", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("agent", String(64), primary_key=True),
    Column("device", String(32), primary_key=True),  # idcard, printer, counterbus, pcsc, or "agent" itself
    Column("state", String(16), nullable=False),  # ok, offline, paper_out, paper_low, cover_open, error
    Column("detail", String(200), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every agent event the server has acted on, by the agent's own id: an agent re-sends what it
# queued while the server was away, and a key press must not call two tickets when it does.
agent_events = Table(
    "agent_events", metadata,
    Column("id", String(64), primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("agent", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("result", JSON, nullable=False),  # the acknowledgement sent, to send again on a repeat
    Index("ix_agent_events_hall_at", "hall", "at"),
)

# The counters whose keypads and evaluators an agent (by its name) may drive, as the hall set them
# (`onewindow agent-counters`). An agent token made with --counter N drives N alone and needs no row;
# without either, an agent drives no counter: its ``hello`` only says what its bus has.
agent_counters = Table(
    "agent_counters", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("agent", String(64), primary_key=True),
    Column("counter", Integer, primary_key=True),
)


# One row per server process, written by /healthz while the hall's writes are failing (a full
# disk answers every read): when this write succeeds again, so do the hall's.
health_probe = Table(
    "health_probe", metadata,
    Column("process", String(128), primary_key=True),  # host:pid
    Column("at", DateTime(timezone=True), nullable=False),
)
