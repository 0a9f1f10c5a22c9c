"""好差评 to the province, the managers' side: the day's file, as the daily job writes it (its records
built from the same facts, docs/kpis.md "好差评 to the province"). Managers of the hall and the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from server import params
from server.auth import Principal
from server.context import AppContext
from server.domain import rating_export as national
from server.domain.errors import InvalidInput
from server.store import rating_exports as store

from .reports import manager_hall


@dataclass(frozen=True)
class DayFile:
    filename: str
    media_type: str
    content: bytes


async def day_file(context: AppContext, principal: Principal, hall: str, day: str | None,
                   fmt: str | None) -> DayFile:
    """The hall's ratings of ``day`` (YYYY-MM-DD, the hall's today if absent) as ``fmt`` csv|jsonl (csv)."""
    info = await manager_hall(context, principal, hall)
    fmt = fmt or "csv"
    if fmt not in national.FORMATS:
        raise InvalidInput.coded("invalid_field", "字段 format 应为 csv|jsonl (field 'format' must be csv or jsonl)",
                                 "format")
    when = params.day(day, "date") if day else info.local_day(context.clock.now())
    start = datetime.combine(when, time(0), info.tz).astimezone(UTC)
    end = datetime.combine(when + timedelta(days=1), time(0), info.tz).astimezone(UTC)
    facts = await context.engine.read(lambda conn: store.facts_between(conn, info.code, info.name, start, end))
    records = [national.national_record(f, context.settings.hcp.region, info.tz) for f in facts]
    media_type, render = national.FORMATS[fmt]
    return DayFile(national.file_name(info.code, when, fmt), media_type, render(records))
