"""Fees (收费, seed art. 3(二), 12): what a clerk charged for a case, at acceptance or pickup, and how it
was settled. The item's fee standard (收费标准) stays in the catalog (``items.fee``); a case may carry
several charges. Amounts are whole fen (分), never floats."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

case_fees = Table(
    "case_fees", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("day", Date, nullable=False),  # hall-local day charged: the daily summary's day
    Column("item_code", String(32), nullable=False),
    Column("counter", Integer),  # where it was charged (null: a manager away from a counter)
    Column("stage", String(16), nullable=False),  # acceptance | pickup
    Column("amount_fen", Integer, nullable=False),  # collected, or (waived) the amount let off
    Column("settlement", String(16), nullable=False),  # window | online | waived
    Column("waived_reason", String(200)),
    Column("note", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Index("ix_case_fees_case", "case_id"),
    Index("ix_case_fees_hall_day", "hall", "day"),
)
