"""整改: an unhappy rating (不满意, 非常不满意) opens a follow-up, due N working days later, wherever
the rating came from. The lifespan registers ``open_for_rating`` among the context's rating hooks."""

from __future__ import annotations

import contextlib

from sqlalchemy.exc import IntegrityError

from server.context import AppContext
from server.domain import followups as domain
from server.store import followups as store

from .calendar import work_calendar
from .ratings import StoredRating


async def open_for_rating(context: AppContext, rating: StoredRating) -> None:
    """The rating hook: an unhappy rating opens a follow-up (once), due N working days later."""
    if not domain.opens_followup(rating.level):
        return
    hall = await context.engine.hall(rating.hall)
    days = await context.engine.read(lambda conn: store.due_days(conn, rating.hall))
    calendar = await work_calendar(context)
    due, provisional = calendar.add_working_days(hall.local_day(rating.at), days)
    with contextlib.suppress(IntegrityError):  # already opened for this rating
        await context.engine.write(lambda conn: store.add(
            conn, hall=rating.hall, rating_id=rating.id, ticket_id=rating.ticket.id,
            ticket_number=rating.ticket.number, counter=rating.counter, clerk=rating.ticket.served_by,
            level=rating.level, opened_at=rating.at, due_date=due, due_provisional=provisional))
