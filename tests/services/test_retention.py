"""PIPL retention (server/services/retention.py), on SQLite and PostgreSQL: a case closed longer ago
than ONEWINDOW_PII_RETENTION_DAYS, and a booking whose day is further back than
ONEWINDOW_BOOKING_RETENTION_DAYS, lose the name and phone; the rows, their statuses, times and
timelines stay, and so does every report figure. A recent or still open case keeps them. A failed
purge stands as an alert on the dashboard until a later one succeeds."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text

from server.auth import Principal
from server.context import AppContext
from server.domain.cases import CaseStatus
from server.domain.clock import FakeClock
from server.services import appointments, cases, reports, retention
from server.services import audit as audit_service
from server.services.alerts import current_alerts
from server.settings import SettingsError, load_settings
from server.store import appointments as appointment_store
from server.store import cases as case_store
from server.store.tables_audit import audit_log
from tests.api.conftest import serve
from tests.api.test_appointments import idn
from tests.conftest import HALL_MORNING
from tests.services.test_days import context_on

DAY = 86400.0
MANAGER = Principal("user", "manager", "manager", "jinan")
PHONE = "13812345678"
KEY = "k" * 40  # a SECRET_KEY long enough


def short_retention(url: str, clock: FakeClock) -> AppContext:
    context = context_on(url, clock)
    context.settings = replace(context.settings, pii_retention_days=10, booking_retention_days=3)
    return context


async def closed_case(context: AppContext, close: bool = True) -> str:
    applicant = cases.Applicant("王小明", idn(7), PHONE)
    receipt = str((await cases.receive(context, MANAGER, "jinan", cases.Reception("A05", applicant)))["receipt_no"])
    if close:
        for status in (CaseStatus.REJECTED, CaseStatus.CLOSED):
            await cases.report(context, MANAGER, receipt, cases.Progress(status))
    return receipt


async def book(context: AppContext, day: date, who: int) -> str:
    made = await appointments.book_appointment(context, "jinan", appointments.Booking(
        "A", day, "16:00", "张三丰", idn(who), "13800138000"))
    return str(made["code"])


async def case_row(context: AppContext, receipt: str) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: case_store.by_receipt(conn, receipt))
    assert row is not None
    return row


async def booking_row(context: AppContext, code: str) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: appointment_store.get(conn, code))
    assert row is not None
    return row


async def purges(context: AppContext) -> list[dict[str, Any]]:
    await audit_service.flush(context)
    rows = await context.engine.read(lambda conn: conn.execute(
        select(audit_log).where(audit_log.c.action == "pii.purge")).all())
    return [dict(r._mapping) for r in rows]


def run(context: AppContext, body: Any) -> None:
    async def wrapped() -> None:
        try:
            await body()
        finally:
            await context.hub.close()
            await context.engine.close()
            context.db.dispose()

    asyncio.run(wrapped())


def test_old_closed_cases_and_past_bookings_lose_name_and_phone_and_keep_every_figure(database_url: str) -> None:
    clock = FakeClock(HALL_MORNING)  # Wednesday 2026-11-25 09:00
    context = short_retention(database_url, clock)

    async def body() -> None:
        old, still_open = await closed_case(context), await closed_case(context, close=False)
        past = await book(context, date(2026, 11, 25), 1)
        old_before = await case_row(context, old)
        clock.advance(8 * DAY)  # Thursday 2026-12-03
        recent, upcoming = await closed_case(context), await book(context, date(2026, 12, 3), 2)
        clock.advance(3 * DAY)  # Sunday 2026-12-06: `old` closed 11 days ago, `past` 11 days after its day
        report_before = await reports.report(context, MANAGER, "jinan", day="2026-11-25", by="item")

        assert await retention.purge_hall(context, "jinan") is True

        gone = await case_row(context, old)
        assert (gone["applicant_name"], gone["phone"], gone["id_hash"]) == ("", None, None)
        kept = {k: v for k, v in gone.items() if k not in ("applicant_name", "phone", "id_hash")}
        assert kept == {k: v for k, v in old_before.items() if k not in ("applicant_name", "phone", "id_hash")}
        assert [e["status"] for e in await context.engine.read(lambda conn: case_store.timeline(conn, gone["id"]))
                ] == ["accepted", "rejected", "closed"]
        for receipt in (still_open, recent):
            row = await case_row(context, receipt)
            assert (row["applicant_name"], row["phone"]) == ("王小明", PHONE) and row["id_hash"]
        booked_then = await booking_row(context, past)
        assert (booked_then["name"], booked_then["phone"]) == ("", "")
        assert booked_then["status"] == "no_show" and booked_then["id_hash"]  # the no-show rule still counts it
        assert (await booking_row(context, upcoming))["name"] == "张三丰"
        listed = await appointments.day_bookings(context, MANAGER, "jinan", "2026-11-25")
        assert [(b["name"], b["phone"]) for b in listed] == [("", "")]  # nothing masked that is not there
        assert await reports.report(context, MANAGER, "jinan", day="2026-11-25", by="item") == report_before
        assert report_before["total"]["cases"] == 2
        public = await cases.case_by_token(context, gone["status_token"])
        assert public is not None and public["status"] == "closed"  # the visitor's page still answers

        entries = await purges(context)
        assert [(e["actor"], e["hall"], e["detail"]) for e in entries] == [
            ("system", "jinan", {"cases": 1, "appointments": 1, "case_days": 10, "booking_days": 3})]
        assert await retention.purge_hall(context, "jinan") is True  # nothing left: no second entry
        assert len(await purges(context)) == 1

    run(context, body)


def test_a_failed_purge_alerts_until_one_succeeds(sqlite_url: str) -> None:
    clock = FakeClock(HALL_MORNING)
    context = short_retention(sqlite_url, clock)

    async def body() -> None:
        await context.engine.write(lambda conn: conn.execute(text("ALTER TABLE appointments RENAME TO gone")))
        assert await retention.purge_hall(context, "jinan") is False
        _, alerts = await current_alerts(context, "jinan")
        system = [a for a in alerts if a.kind == "system"]
        assert len(system) == 1 and "个人信息" in system[0].title
        await context.engine.write(lambda conn: conn.execute(text("ALTER TABLE gone RENAME TO appointments")))
        assert await retention.purge_hall(context, "jinan") is True
        _, alerts = await current_alerts(context, "jinan")
        assert not [a for a in alerts if a.kind == "system"]

    run(context, body)


def test_the_purge_runs_by_itself_every_day(sqlite_url: str) -> None:
    clock = FakeClock(HALL_MORNING)
    context = short_retention(sqlite_url, clock)

    async def body() -> None:
        old = await closed_case(context)
        clock.advance(11 * DAY)
        task = asyncio.create_task(retention.purge_daily(context, every_s=0.01))
        try:
            for _ in range(200):
                if (await case_row(context, old))["applicant_name"] == "":
                    break
                await asyncio.sleep(0.01)
            assert (await case_row(context, old))["applicant_name"] == ""
        finally:
            task.cancel()

    run(context, body)


def test_the_app_starts_the_daily_purge(sqlite_url: str) -> None:
    async def task_names() -> set[str]:
        return {task.get_name() for task in asyncio.all_tasks()}

    for client in serve(sqlite_url):
        assert client.portal is not None
        assert "pii-purge" in client.portal.call(task_names)


@pytest.mark.parametrize(("name", "value"), [("ONEWINDOW_PII_RETENTION_DAYS", "half a year"),
                                             ("ONEWINDOW_PII_RETENTION_DAYS", "0"),
                                             ("ONEWINDOW_BOOKING_RETENTION_DAYS", "-1")])
def test_a_bad_retention_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"SECRET_KEY": KEY, name: value})


def test_retention_defaults_and_overrides() -> None:
    default = load_settings({"SECRET_KEY": KEY})
    assert (default.pii_retention_days, default.booking_retention_days) == (180, 30)
    given = load_settings({"SECRET_KEY": KEY, "ONEWINDOW_PII_RETENTION_DAYS": "365",
                           "ONEWINDOW_BOOKING_RETENTION_DAYS": "7"})
    assert (given.pii_retention_days, given.booking_retention_days) == (365, 7)
