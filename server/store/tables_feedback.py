"""意见建议/投诉 (art. 15, 21) and what a window could not settle (窗口无否决权, art. 27)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("kind", String(16), nullable=False),  # suggestion | complaint
    Column("text", Text, nullable=False),
    Column("contact", String(100)),  # personal data: shown to the hall's managers only
    Column("ticket", String(16)),  # the ticket number the visitor came with, if any
    Column("source", String(16), nullable=False),  # phone | kiosk | staff
    Column("taken_by", String(64)),  # staff who wrote it down on a visitor's behalf
    Column("status_token", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("due_provisional", Boolean, nullable=False, default=False),
    Column("line", String(64)),  # 条线: a queue or department
    Column("level", String(16)),  # 层次: 窗口 | 科室 | 中心
    Column("person", String(64)),  # 人员
    Column("counter", Integer),
    Column("clerk", String(64)),
    Column("reply", Text),
    Column("replied_at", DateTime(timezone=True)),
    Column("replied_by", String(64)),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),
    Index("ix_feedback_hall_due", "hall", "due_date"),
    Index("ix_feedback_hall_created", "hall", "created_at"),
)

escalations = Table(
    "escalations", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("what", Text, nullable=False),
    Column("why", Text, nullable=False),
    Column("contact", String(100)),
    Column("counter", Integer),
    Column("clerk", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolution", Text),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),
    Index("ix_escalations_hall_created", "hall", "created_at"),
)
