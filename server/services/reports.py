"""KPI reports, their exports and the dashboard's charts (issue 9; formulas in docs/kpis.md): who may
see them (managers and the admin of the hall), the parameters they take, the exports' life (queued
for a background job, polled, downloaded once done). The report code itself is server/reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from server import params
from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.reports import charts
from server.reports.jobs import exports_for
from server.reports.report import PERIODS, UnknownHallError, build_report
from server.reports.rollup import DIMS, HallInfo, compute_day, ensure_days, hall_info
from server.store import reports as store
from server.store import tables as t

FORMATS = ("xlsx", "csv")


async def manager_hall(context: AppContext, principal: Principal, code: str) -> HallInfo:
    """The hall, for a manager (or the admin) of it: anyone else is refused before the hall is looked up."""
    if not principal.manages(code):
        raise Forbidden("仅本大厅的管理人员可查看报表", "managers of this hall only")
    info = await context.engine.read(lambda conn: hall_info(conn, code))
    if info is None:
        raise NotFound.coded("unknown_hall", f"没有大厅 {code} (no hall {code!r})", "hall")
    return info


def _choice(value: str | None, name: str, choices: tuple[str, ...], default: str) -> str:
    value = default if value is None or value == "" else value
    if value not in choices:
        raise InvalidInput.coded("invalid_field", f"字段 {name} 应为 {'|'.join(choices)} "
                                 f"(field {name!r} must be one of {', '.join(choices)})", name)
    return value


def _date(value: str | None, default: date) -> date:
    return params.day(value, "date") if value else default


async def report(context: AppContext, principal: Principal, hall: str, *, period: str | None = None,
                 day: str | None = None, by: str | None = None) -> dict[str, Any]:
    """Rows per key of the dimension and the hall's total: ``period`` day|week|month (day), ``day``
    YYYY-MM-DD (the hall's today), ``by`` hall|queue|counter|clerk|item (hall)."""
    info = await manager_hall(context, principal, hall)
    period = _choice(period, "period", PERIODS, "day")
    by = _choice(by, "by", DIMS, "hall")
    now = context.clock.now()
    when = _date(day, info.local_day(now))
    try:
        built: dict[str, Any] = await context.engine.read(
            lambda conn: build_report(context.db, info.code, period, when, by, now))
    except UnknownHallError:
        raise NotFound.coded("unknown_hall", "没有这个大厅 (no such hall)", "hall") from None
    return built


# ------------------------------------------------------------------ exports
@dataclass(frozen=True)
class ExportRequest:
    """What to export: the report's period, day (YYYY-MM-DD; None: today), dimension and the file's format."""

    period: str = "day"
    day: str | None = None
    by: str = "hall"
    format: str = "xlsx"


@dataclass(frozen=True)
class ExportFile:
    """A finished export: its file name (``….xlsx`` or ``….csv``) and bytes."""

    filename: str
    content: bytes


def export_view(hall: str, row: dict[str, Any]) -> dict[str, Any]:
    done = row["status"] == "done"
    return {"id": row["id"], "status": row["status"], "progress": row["progress"], "rows": row["rows"],
            "params": {k: v for k, v in row["params"].items() if k != "now"}, "error": row["error"],
            "file_url": f"/api/v1/halls/{hall}/reports/exports/{row['id']}/file" if done else None}


async def create_export(context: AppContext, principal: Principal, hall: str, given: ExportRequest) -> dict[str, Any]:
    """Queues an export, built by a background job (a thread, or rq with REDIS_URL): {id, status, progress}."""
    info = await manager_hall(context, principal, hall)
    period = _choice(given.period, "period", PERIODS, "day")
    by = _choice(given.by, "by", DIMS, "hall")
    fmt = _choice(given.format, "format", FORMATS, "xlsx")
    now = context.clock.now()
    day = _date(given.day, info.local_day(now))
    export_id = context.new_token(12)  # 16 URL-safe characters
    values = {"id": export_id, "hall": info.code, "status": "queued", "progress": 0, "created_by": principal.name,
              "params": {"period": period, "date": day.isoformat(), "by": by, "format": fmt,
                         "now": now.astimezone(UTC).isoformat()},
              "created_at": now.astimezone(UTC), "updated_at": datetime.now(UTC)}
    await context.engine.write(lambda conn: store.create_export(conn, values))
    runner = exports_for(context.settings)
    await context.engine.read(lambda conn: runner.enqueue(export_id))
    return {"id": export_id, "status": "queued", "progress": 0}


async def _export(context: AppContext, principal: Principal, hall: str, export_id: str,
                  content: bool = False) -> tuple[HallInfo, dict[str, Any]]:
    info = await manager_hall(context, principal, hall)
    row = await context.engine.read(lambda conn: store.get_export(conn, info.code, export_id, content))
    if row is None:
        raise NotFound.coded("unknown_export", "没有这个导出任务 (no such export)", "export_id")
    return info, row


async def export(context: AppContext, principal: Principal, hall: str, export_id: str) -> dict[str, Any]:
    """An export's status and progress, with the file's URL once done."""
    info, row = await _export(context, principal, hall, export_id)
    return export_view(info.code, row)


async def export_file(context: AppContext, principal: Principal, hall: str, export_id: str) -> ExportFile:
    """The exported file, once the export is done."""
    _, row = await _export(context, principal, hall, export_id, content=True)
    if row["status"] != "done" or row["content"] is None:
        raise Conflict.coded("export_not_ready", "导出尚未完成 (the export is not finished)")
    return ExportFile(row["filename"] or "report", bytes(row["content"]))


# ------------------------------------------------------------------ charts (SVG text)
async def arrivals_chart(context: AppContext, principal: Principal, hall: str) -> str:
    """Arrivals and services per hour today vs the weekday's average over the last 8 weeks."""
    info = await manager_hall(context, principal, hall)
    now = context.clock.now()
    today = info.local_day(now)
    weeks = [today - timedelta(days=7 * i) for i in range(1, 9)]

    def load(conn: Any) -> str:
        ensure_days(context.db, info, weeks, now)
        _, hours = compute_day(conn, info, today)
        past = store.hall_hours(conn, info.code, weeks)
        average = [sum(d.get("arrivals_h", [0] * 24)[h] for d in past.values()) / len(weeks) for h in range(24)]
        return charts.arrivals_chart(hours["arrivals_h"], hours["served_h"], average)

    svg: str = await context.engine.read(load)
    return svg


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


async def waits_chart(context: AppContext, principal: Principal, hall: str) -> str:
    """Today's wait-time distribution."""
    info = await manager_hall(context, principal, hall)
    day = info.local_day(context.clock.now())

    def load(conn: Any) -> list[float]:
        rows = conn.execute(select(t.tickets.c.issued_at, t.tickets.c.called_at)
                            .where(t.tickets.c.hall == info.code, t.tickets.c.day == day,
                                   t.tickets.c.called_at.is_not(None)))
        return [(_aware(r.called_at) - _aware(r.issued_at)).total_seconds() for r in rows]

    return charts.waits_chart(await context.engine.read(load))


async def load_chart(context: AppContext, principal: Principal, hall: str) -> str:
    """Per-counter services today."""
    info = await manager_hall(context, principal, hall)
    day = info.local_day(context.clock.now())
    result, _ = await context.engine.read(lambda conn: compute_day(conn, info, day))
    served = [(name, result[("counter", str(n))].served if ("counter", str(n)) in result else 0)
              for n, name in sorted(info.counters.items())]
    return charts.load_chart(served)
