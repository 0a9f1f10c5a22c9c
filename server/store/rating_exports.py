"""好差评 to the province (tables_rating_exports.py): a hall's ratings with the facts their national
records need, and the delivery rows: enrolled once per rating, claimed by one delivery at a time
(claim and lease), every attempt counted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.domain.rating_export import CaseFacts, RatingFacts

from .repo import utc
from .tables import halls, ratings, users
from .tables_cases import cases
from .tables_rating_exports import rating_exports as exports

PENDING, SENT, FAILED = "pending", "sent", "failed"
ERROR_MAX = 500


def hall_zone(conn: Connection, hall: str) -> tuple[str, ZoneInfo] | None:
    """The hall's name and time zone; None for an unknown hall."""
    row = conn.execute(select(halls.c.name, halls.c.config).where(halls.c.code == hall)).first()
    if row is None:
        return None
    return str(row.name), ZoneInfo((row.config or {}).get("timezone", "Asia/Shanghai"))


def facts_between(conn: Connection, hall: str, hall_name: str, start: datetime, end: datetime) -> list[RatingFacts]:
    """The hall's ratings given in [start, end), oldest first, each with its clerk and its ticket's cases."""
    stmt = (select(ratings, users.c.display_name, users.c.staff_no)
            .select_from(ratings.outerjoin(users, users.c.username == ratings.c.clerk))
            .where(ratings.c.hall == hall, ratings.c.at >= start, ratings.c.at < end)
            .order_by(ratings.c.at, ratings.c.id))
    rows = conn.execute(stmt).mappings().all()
    by_ticket = _cases_of(conn, {str(r["ticket_id"]) for r in rows})
    return [RatingFacts(
        rating_id=int(r["id"]), hall=hall, hall_name=hall_name, at=utc(r["at"]), level=int(r["level"]),
        reasons=tuple(r["reasons"] or ()), comment=r["comment"], source=str(r["source"]), counter=int(r["counter"]),
        clerk=r["clerk"], clerk_name=r["display_name"], staff_no=r["staff_no"],
        cases=by_ticket.get(str(r["ticket_id"]), ())) for r in rows]


def _cases_of(conn: Connection, tickets: set[str]) -> dict[str, tuple[CaseFacts, ...]]:
    out: dict[str, list[CaseFacts]] = {}
    if not tickets:
        return {}
    stmt = (select(cases.c.ticket_id, cases.c.receipt_no, cases.c.item_code, cases.c.item_name,
                   cases.c.department, cases.c.department_name)
            .where(cases.c.ticket_id.in_(sorted(tickets))).order_by(cases.c.received_at, cases.c.id))
    for row in conn.execute(stmt):
        out.setdefault(str(row.ticket_id), []).append(
            CaseFacts(row.receipt_no, row.item_code, row.item_name, row.department, row.department_name))
    return {ticket: tuple(found) for ticket, found in out.items()}


# ---------------------------------------------------------------- deliveries
def _dialect(conn: Connection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def enroll(conn: Connection, hall: str, records: Iterable[tuple[int, date, dict[str, Any]]], now: datetime) -> int:
    """A pending row for each (rating id, day, record) not enrolled yet; how many were new."""
    added = 0
    for rating_id, day, record in records:
        stmt = (_dialect(conn).insert(exports)
                .values(rating_id=rating_id, hall=hall, day=day, record=record, status=PENDING, attempts=0,
                        created_at=now)
                .on_conflict_do_nothing(index_elements=["rating_id"]))
        added += conn.execute(stmt).rowcount
    return added


def pending_days(conn: Connection, hall: str, last: date) -> list[date]:
    """The days up to ``last`` with ratings still to send, oldest first."""
    stmt = (select(exports.c.day).where(exports.c.hall == hall, exports.c.status == PENDING, exports.c.day <= last)
            .distinct().order_by(exports.c.day))
    return list(conn.scalars(stmt))


def claim(conn: Connection, hall: str, day: date, token: str, now: datetime,
          lease_until: datetime) -> list[tuple[int, dict[str, Any]]]:
    """Take the day's pending rows no other delivery holds; (rating id, record) of each taken, by id.
    One atomic UPDATE: of two deliveries at once, each row goes to one of them."""
    conn.execute(update(exports)
                 .where(and_(exports.c.hall == hall, exports.c.day == day, exports.c.status == PENDING,
                             or_(exports.c.lease_until.is_(None), exports.c.lease_until < now)))
                 .values(claim=token, lease_until=lease_until))
    rows = conn.execute(select(exports.c.rating_id, exports.c.record).where(exports.c.claim == token)
                        .order_by(exports.c.rating_id))
    return [(int(r.rating_id), dict(r.record)) for r in rows]


def attempted(conn: Connection, token: str, *, status: str, error: str | None, now: datetime,
              lease_until: datetime | None) -> None:
    """One attempt at the claimed rows and its outcome; a row that is no longer held is let go."""
    values: dict[str, Any] = {"status": status, "attempts": exports.c.attempts + 1,
                              "last_error": error[:ERROR_MAX] if error else None, "lease_until": lease_until}
    if status == SENT:
        values["sent_at"] = now
    if lease_until is None:
        values["claim"] = None
    conn.execute(update(exports).where(exports.c.claim == token).values(**values))


def of_hall(conn: Connection, hall: str) -> list[dict[str, Any]]:
    """Every delivery row of the hall, by rating id; times in UTC."""
    out = []
    for row in conn.execute(select(exports).where(exports.c.hall == hall).order_by(exports.c.rating_id)).mappings():
        item = dict(row)
        for key in ("created_at", "sent_at", "lease_until"):
            item[key] = utc(row[key]) if row[key] is not None else None
        out.append(item)
    return out
