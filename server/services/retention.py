"""PIPL retention: the counter and the SMS need the visitors' names and phones while a case is open
or a booking is to come, not for ever. Once a case has been closed (collected, mailed or closed:
server/domain/cases.py FINAL) for ``pii_retention_days``, and ``booking_retention_days`` after a
booking's day, they are blanked (server/store/retention.py); rows, statuses, times and every
report figure stay. Online applications (网上预审) go with them: once decided or withdrawn that long ago
(or their case is final that long), their applicant and their uploaded files are removed
(server/services/applications.py ``purge_personal_data``).

It runs by itself once a day for every hall (the lifespan starts ``purge_daily``). Each run is in
the log with its counts, and in the audit trail when it blanked anything; a failure is logged with
its traceback and stands as an alert on the hall's dashboard (``context.problems``) until a later
run succeeds, as server/services/days.py does for the day's end.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, timedelta

from server.context import AppContext
from server.domain.cases import FINAL
from server.store import repo
from server.store import retention as store

from .applications import purge_personal_data
from .audit import record

log = logging.getLogger("onewindow")
PURGE_CHECK_S = 3600.0  # how often the task looks whether a hall's purge is due (once a day each)
TASK = "pii_purge"


async def purge_daily(context: AppContext, every_s: float = PURGE_CHECK_S) -> None:
    """Runs for the life of the app: every ``every_s``, purges each hall not yet purged today (UTC);
    a hall whose purge failed is tried again at the next look."""
    done: dict[str, date] = {}
    while True:
        await asyncio.sleep(every_s)
        today = context.clock.now().astimezone(UTC).date()
        try:
            codes = await context.engine.read(repo.hall_codes)
        except Exception:
            log.exception("personal data purge: the halls could not be read; tried again in %.0f s", every_s)
            continue
        for code in codes:
            if done.get(code) != today and await purge_hall(context, code):
                done[code] = today


async def purge_hall(context: AppContext, code: str) -> bool:
    """Blanks what is due in one hall; False (logged, alert raised) if that failed."""
    now = context.clock.now().astimezone(UTC)
    case_days, booking_days = context.settings.pii_retention_days, context.settings.booking_retention_days
    closed_before = now - timedelta(days=case_days)
    day_before = now.date() - timedelta(days=booking_days)  # to a day: halls' local days differ by hours
    try:
        counts = await context.engine.write(lambda conn: (
            store.purge_cases(conn, code, sorted(FINAL), closed_before),
            store.purge_appointments(conn, code, day_before)))
        applications = await purge_personal_data(context, code, closed_before)
    except Exception:
        log.exception("hall %s: the personal data purge failed; it will be tried again", code)
        context.report_problem(code, TASK, "个人信息到期清除失败（已办结办件、过期预约、网上申请中的姓名和电话）")
        return False
    context.problem_solved(code, TASK)
    cases, bookings = counts
    log.info("hall %s: personal data purged from %d cases closed before %s, %d bookings before %s and %d online "
             "applications", code, cases, closed_before.date(), bookings, day_before, applications)
    if cases or bookings or applications:
        detail = {"cases": cases, "appointments": bookings, "case_days": case_days, "booking_days": booking_days}
        if applications:
            detail["applications"] = applications
        await record(context, actor="system", kind="system", action="pii.purge", hall=code, detail=detail)
    return True
