"""The front office's registers (seed art. 15(一), 16(一)): 咨询登记, one row per question a visitor
asked at a desk or by phone, with who answered it first (首问负责, art. 25) and, when the desk could
not answer, the department it went to and by when it must answer."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table

from .tables import metadata

consultations = Table(
    "consultations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("day", Date, nullable=False),  # hall-local day it was asked
    Column("at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),  # onsite | phone
    Column("topic", String(500), nullable=False),
    Column("item_code", String(32)),
    Column("item_name", String(200)),
    Column("answer", String(2000)),
    # 首问负责: the member of staff who recorded it (username, and the name people know them by)
    Column("first_responder", String(64), nullable=False),
    Column("first_responder_name", String(100)),
    Column("counter", Integer),  # the counter they held, if any
    Column("escalated", Boolean, nullable=False, default=False),
    Column("department", String(32)),  # escalated to (a department's code)
    Column("due_date", Date),  # the department answers by then (working days)
    Column("due_provisional", Boolean, nullable=False, default=False),
    Column("escalation_answer", String(2000)),
    Column("escalation_answered_at", DateTime(timezone=True)),
    Column("escalation_answered_by", String(64)),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),
    Index("ix_consultations_hall_day", "hall", "day"),
)
