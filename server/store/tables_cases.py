"""Cases (办件) and their timeline; the department a department user reports for.

The applicant's ID number is never stored: only its keyed hash (to check a collector) and its
last four characters (the public lookup's check). The phone is kept for notifications, its last
four for the check; the name is shown masked on every public page.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata, users

if "department" not in users.c:
    users.append_column(Column("department", String(100)))  # role "department": the one it reports for

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("receipt_no", String(32), nullable=False, unique=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("day", Date, nullable=False),  # hall-local day received
    Column("item_code", String(32), nullable=False),
    Column("item_name", String(200), nullable=False),
    Column("department", String(100), nullable=False),  # the lead department's code
    # its name when the case was received: what the receipt printed, kept when the department is renamed
    Column("department_name", String(100)),
    Column("time_limit_days", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_token", String(64), nullable=False, unique=True),
    Column("applicant_name", String(64), nullable=False),
    Column("id_hash", String(64)),
    Column("id_last4", String(4)),
    Column("phone", String(32)),
    Column("phone_last4", String(4)),
    Column("materials_missing", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True)),
    Column("due_at", Date),
    Column("due_provisional", Boolean, nullable=False, default=False),
    Column("ticket_id", String(64)),
    Column("ticket_number", String(16)),
    Column("counter", Integer),  # where it was received
    Column("received_by", String(64)),
    Column("tracking_no", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # KPIs (issue 9, docs/kpis.md): all nullable, absent on cases received before migration 0010
    Column("channel", String(16)),  # counter (default) or online: 网上办理率
    Column("departments", JSON),  # further departments involved besides the item's own: 联合办理率
    Column("paperless", Boolean),  # 无纸化率
    Column("standardized", Boolean),  # the item had a published standard when received: 标准化率
    # accepted at a comprehensive window (or by the online hall), as the hall was set up then: 综合办理率
    Column("comprehensive", Boolean),  # (migration 0025; null on older cases: unknown)
    # 补正 (a department asked for more material): the time limit stands still from this hall-local day
    # until the material arrives, then the due date moves on by the working days it stood still
    Column("paused_on", Date),
    Index("ix_cases_hall_status", "hall", "status"),
    Index("ix_cases_hall_day", "hall", "day"),
)

# The timeline: one row per status (the first is the receiving itself).
case_events = Table(
    "case_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    Column("actor", String(64)),
    Column("department", String(32)),  # the department whose step this is (联审联办); null: the case's own
    Index("ix_case_events_case", "case_id"),
)

# Each department that must decide a case (联审联办, seed art. 6; one row for a case of one
# department): its own part and where it stands. The case is approved once every part is, rejected
# once one is. Also what a department's workbench and the register filter a hall's cases by.
case_parts = Table(
    "case_parts", metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    Column("department", String(32), primary_key=True),
    Column("lead", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False),  # pending, in_review, supplement, approved, rejected
    Column("note", Text),  # the decision's note or reason, the materials asked for
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64)),
    Index("ix_case_parts_department", "department", "status"),
)
