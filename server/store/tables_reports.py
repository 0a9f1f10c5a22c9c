"""Daily roll-ups of the KPIs (per hall, day, dimension and key) and report exports."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from .tables import metadata

# One row per (hall, day, dim, key): the sums of server/reports/kpis.Agg for that day, with the
# wait and service histograms (10-second buckets) that monthly percentiles are computed from.
report_daily = Table(
    "report_daily", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("dim", String(8), primary_key=True),  # hall, queue, counter, clerk, item
    Column("key", String(64), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("agg", JSON, nullable=False),
)

# Which past days have been rolled up (a day without any ticket still gets its marker).
report_days = Table(
    "report_days", metadata,
    Column("hall", String(32), ForeignKey("halls.code"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

report_exports = Table(
    "report_exports", metadata,
    Column("id", String(32), primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("params", JSON, nullable=False),  # period, date, by, format, now
    Column("status", String(16), nullable=False),  # queued, running, done, failed
    Column("progress", Integer, nullable=False, default=0),
    Column("rows", Integer),
    Column("filename", String(200)),
    Column("content", LargeBinary),
    Column("error", Text),
    Column("created_by", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_report_exports_hall", "hall", "created_at"),
)
