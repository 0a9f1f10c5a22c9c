"""Reading and writing online pre-review applications and their files' rows (the files themselves are
on disk: server/services/applications.py). Synchronous Core, run through engine.read/write.

Times are stored in UTC; SQLite hands them back naive, so every read puts UTC back on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from .tables_applications import application_files, applications
from .tables_cases import cases

TIMES = ("submitted_at", "reviewed_at", "updated_at")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row._mapping)
    for name in TIMES:
        out[name] = _utc(out[name])
    out["missing"] = list(out["missing"] or [])
    out["due_provisional"] = bool(out["due_provisional"])
    return out


def _rows(result: Iterable[Any]) -> list[dict[str, Any]]:
    return [r for r in (_row(row) for row in result) if r is not None]


def insert_application(conn: Connection, values: dict[str, Any], files: list[dict[str, Any]]) -> int:
    key = conn.execute(insert(applications).values(**values)).inserted_primary_key
    assert key is not None
    application_id = int(key[0])
    if files:
        conn.execute(insert(application_files), [{**f, "application_id": application_id} for f in files])
    return application_id


def by_id(conn: Connection, application_id: int) -> dict[str, Any] | None:
    return _row(conn.execute(select(applications).where(applications.c.id == application_id)).first())


def by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    return _row(conn.execute(select(applications).where(applications.c.status_token == token)).first())


def files_of(conn: Connection, application_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(application_files).where(application_files.c.application_id == application_id)
                        .order_by(application_files.c.id))
    return [dict(r._mapping) for r in rows]


def of_hall(conn: Connection, hall: str, status: str | None, department: str | None,
            limit: int) -> list[dict[str, Any]]:
    """The hall's applications (of one status, of one department's items), those waiting for their
    pre-review first, earliest due first; the decided ones newest first."""
    query = select(applications).where(applications.c.hall == hall)
    if status is not None:
        query = query.where(applications.c.status == status)
    if department is not None:
        query = query.where(applications.c.department == department)
    waiting = applications.c.status != "submitted"
    query = query.order_by(waiting, applications.c.due_on, applications.c.submitted_at.desc(), applications.c.id)
    return _rows(conn.execute(query.limit(limit)))


def file_counts(conn: Connection, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = conn.execute(select(application_files.c.application_id).where(application_files.c.application_id.in_(ids)))
    counts: dict[int, int] = {}
    for (application_id,) in rows:
        counts[application_id] = counts.get(application_id, 0) + 1
    return counts


def change(conn: Connection, application_id: int, expected_status: str, values: dict[str, Any]) -> bool:
    """Only while the application is still in ``expected_status`` (two reviewers at once: one wins)."""
    result = conn.execute(update(applications).where(applications.c.id == application_id,
                                                     applications.c.status == expected_status).values(**values))
    return bool(result.rowcount)


def set_values(conn: Connection, application_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(applications).where(applications.c.id == application_id).values(**values))


def case_token(conn: Connection, receipt_no: str) -> str | None:
    value = conn.scalar(select(cases.c.status_token).where(cases.c.receipt_no == receipt_no))
    return str(value) if value else None


def pending(conn: Connection, hall: str) -> list[dict[str, Any]]:
    """Applications of the hall still waiting for their pre-review, earliest due first."""
    return _rows(conn.execute(select(applications).where(applications.c.hall == hall,
                                                         applications.c.status == "submitted")
                              .order_by(applications.c.due_on, applications.c.id)))


def of_days(conn: Connection, hall: str, day_from: date, day_to: date) -> list[dict[str, Any]]:
    """What the figures count of the applications submitted on those hall-local days."""
    rows = conn.execute(select(applications.c.department, applications.c.department_name, applications.c.status,
                               applications.c.due_on, applications.c.reviewed_on)
                        .where(applications.c.hall == hall, applications.c.day >= day_from,
                               applications.c.day <= day_to))
    return [dict(r._mapping) for r in rows]


def purge(conn: Connection, hall: str, final_case_statuses: Iterable[str], closed_before: datetime
          ) -> tuple[int, list[str]]:
    """Blanks the applicant of the hall's applications done with since before ``closed_before``: a
    decided or withdrawn application that became no case, or whose case is final since then. Their
    files' rows go; returns how many applications were blanked and the files' stored names (for the
    caller to delete from disk once this is committed)."""
    closed_case = select(cases.c.receipt_no).where(cases.c.status.in_(list(final_case_statuses)),
                                                   cases.c.updated_at < closed_before)
    done = and_(
        applications.c.hall == hall, applications.c.status != "submitted", applications.c.updated_at < closed_before,
        or_(applications.c.receipt_no.is_(None), applications.c.receipt_no.in_(closed_case)),
        or_(applications.c.applicant_name != "", applications.c.phone.is_not(None),
            applications.c.id_hash.is_not(None), applications.c.address.is_not(None),
            applications.c.id.in_(select(application_files.c.application_id))),
    )
    ids = list(conn.scalars(select(applications.c.id).where(done)))
    if not ids:
        return 0, []
    names = list(conn.scalars(select(application_files.c.stored_name)
                              .where(application_files.c.application_id.in_(ids))))
    conn.execute(delete(application_files).where(application_files.c.application_id.in_(ids)))
    conn.execute(update(applications).where(applications.c.id.in_(ids))
                 .values(applicant_name="", phone=None, id_hash=None, address=None))
    return len(ids), names
