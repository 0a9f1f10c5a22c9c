"""Blanking the personal data of closed cases and past bookings (PIPL retention). The rows stay, with
their statuses, times, items and timelines, so every count and report figure does too; only the
name, the phone and (cases) the ID number's keyed hash go. Synchronous Core, run through engine.write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Connection, or_, update

from .tables_appointments import appointments
from .tables_cases import cases


def purge_cases(conn: Connection, hall: str, final: Iterable[str], closed_before: datetime) -> int:
    """Cases of the hall in a final status since before ``closed_before`` (UTC; a final case changes
    no more, so ``updated_at`` is when it was closed): how many were blanked now."""
    result = conn.execute(update(cases).where(
        cases.c.hall == hall, cases.c.status.in_(list(final)), cases.c.updated_at < closed_before,
        or_(cases.c.applicant_name != "", cases.c.phone.is_not(None), cases.c.id_hash.is_not(None)),
    ).values(applicant_name="", phone=None, id_hash=None))
    return int(result.rowcount)


def purge_appointments(conn: Connection, hall: str, day_before: date) -> int:
    """Bookings of the hall for a day before ``day_before``, whatever became of them. The keyed hash
    of the ID stays: the no-show rule counts a holder's missed bookings over months."""
    result = conn.execute(update(appointments).where(
        appointments.c.hall == hall, appointments.c.day < day_before,
        or_(appointments.c.name != "", appointments.c.phone != ""),
    ).values(name="", phone=""))
    return int(result.rowcount)
