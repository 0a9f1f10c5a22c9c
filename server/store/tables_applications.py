"""Online pre-review (网上预审): the applications visitors submit from their phones and the files of
their materials. The ID number itself is never stored: only its keyed hash and its last four
characters, as for cases. The files live on disk (``ONEWINDOW_UPLOAD_DIR``) under random names;
a row here holds what the file is (the material, the type its content proved, size, SHA-256)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

applications = Table(
    "applications", metadata,
    Column("id", Integer, primary_key=True),
    Column("hall", String(32), ForeignKey("halls.code"), nullable=False),
    Column("day", Date, nullable=False),  # hall-local day submitted
    Column("item_code", String(32), nullable=False),
    Column("item_name", String(200), nullable=False),
    Column("department", String(32), nullable=False),  # the item's lead department (code) when submitted
    Column("department_name", String(100)),
    Column("star", Integer),  # the item's star level when submitted: 4 and 5 make a pass the acceptance
    Column("applicant_name", String(64), nullable=False),  # "" once purged (retention)
    Column("id_hash", String(64)),
    Column("id_last4", String(4)),
    Column("phone", String(32)),
    Column("status", String(16), nullable=False),  # submitted, passed, failed, withdrawn
    Column("due_on", Date, nullable=False),  # the pre-review's limit: 2 working days
    Column("due_provisional", Boolean, nullable=False, default=False),  # counted in a provisional year
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("reviewed_on", Date),  # hall-local day of the decision: on time when not after due_on
    Column("reviewer", String(64)),
    Column("note", Text),
    Column("missing", JSON, nullable=False),  # the one-time notice's materials of a failed pre-review
    Column("receipt_no", String(32)),  # the case a pass on a 4- or 5-star item became
    Column("delivery", String(16)),  # postal or pickup (art. 15(六))
    Column("address", Text),  # for postal delivery
    Column("status_token", String(64), nullable=False, unique=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_applications_hall_status", "hall", "status", "due_on"),
    Index("ix_applications_hall_day", "hall", "day"),
)

application_files = Table(
    "application_files", metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=False),
    Column("material", String(200), nullable=False),  # the item's material this file is for
    Column("stored_name", String(64), nullable=False, unique=True),  # random; never the visitor's file name
    Column("content_type", String(32), nullable=False),  # as its first bytes proved it
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Index("ix_application_files_application", "application_id"),
)
