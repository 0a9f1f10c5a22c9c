"""KPI reports, their exports and the dashboard's charts (issue 9; formulas in docs/kpis.md).

Managers (and the admin) of the hall only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import AppContext, ctx, forbid, require_principal
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.reports import charts
from server.reports.jobs import exports_for
from server.reports.report import PERIODS, UnknownHallError, build_report
from server.reports.rollup import DIMS, HallInfo, compute_day, ensure_days, hall_info
from server.store import reports as store
from server.store import tables as t

from .declare import endpoint
from .errors import JSONResponse
from .schemas import Body

SVG = "image/svg+xml; charset=utf-8"


async def _manager_hall(request: Request) -> tuple[AppContext, HallInfo]:
    principal = await require_principal(request)
    code = request.path_params["hall"]
    if not (principal.is_manager and principal.in_hall(code)):
        raise forbid("仅本大厅的管理人员可查看报表", "managers of this hall only")
    context = ctx(request)
    info = await context.engine.read(lambda conn: hall_info(conn, code))
    if info is None:
        raise NotFound.coded("unknown_hall", f"没有大厅 {code} (no hall {code!r})", "hall")
    return context, info


def _choice(value: str | None, name: str, choices: tuple[str, ...], default: str) -> str:
    value = default if value is None or value == "" else value
    if value not in choices:
        raise InvalidInput.coded("invalid_field", f"字段 {name} 应为 {'|'.join(choices)} "
                                 f"(field {name!r} must be one of {', '.join(choices)})", name)
    return value


def _date(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput.coded("invalid_field", "字段 date 应为 YYYY-MM-DD (field 'date' must be YYYY-MM-DD)",
                       "date") from None


@endpoint("GET", "/halls/{hall}/reports", "KPI report: ?period=day|week|month&date=YYYY-MM-DD&by=hall|queue|"
          "counter|clerk|item", tag="reports")
async def get_report(request: Request) -> Response:
    """Rows per key of the dimension and the hall's total; rates are 0..1 or null when their
    denominator is zero; times in seconds. Past days come from the daily roll-ups."""
    context, info = await _manager_hall(request)
    q = request.query_params
    period = _choice(q.get("period"), "period", PERIODS, "day")
    by = _choice(q.get("by"), "by", DIMS, "hall")
    now = context.clock.now()
    day = _date(q.get("date"), info.local_day(now))
    try:
        report = await context.engine.read(lambda conn: build_report(context.db, info.code, period, day, by, now))
    except UnknownHallError:
        raise NotFound.coded("unknown_hall", "没有这个大厅 (no such hall)", "hall") from None
    return JSONResponse(report)


class CreateExport(Body):
    period: Literal["day", "week", "month"] = "day"
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD; today if absent")
    by: Literal["hall", "queue", "counter", "clerk", "item"] = "hall"
    format: Literal["xlsx", "csv"] = "xlsx"


def _export_view(hall: str, row: dict[str, Any]) -> dict[str, Any]:
    done = row["status"] == "done"
    return {"id": row["id"], "status": row["status"], "progress": row["progress"], "rows": row["rows"],
            "params": {k: v for k, v in row["params"].items() if k != "now"}, "error": row["error"],
            "file_url": f"/api/v1/halls/{hall}/reports/exports/{row['id']}/file" if done else None}


@endpoint("POST", "/halls/{hall}/reports/exports", "Start an export of a report (xlsx or csv)", body=CreateExport,
          responses={202: "queued"}, tag="reports")
async def create_export(request: Request, body: CreateExport) -> Response:
    """Built by a background job (a thread, or rq with REDIS_URL); poll its progress."""
    assert isinstance(body, CreateExport)
    context, info = await _manager_hall(request)
    now = context.clock.now()
    day = _date(body.date, info.local_day(now))
    principal = await require_principal(request)
    export_id = context.new_token(12)  # 16 URL-safe characters
    values = {"id": export_id, "hall": info.code, "status": "queued", "progress": 0, "created_by": principal.name,
              "params": {"period": body.period, "date": day.isoformat(), "by": body.by, "format": body.format,
                         "now": now.astimezone(UTC).isoformat()},
              "created_at": now.astimezone(UTC), "updated_at": datetime.now(UTC)}
    await context.engine.write(lambda conn: store.create_export(conn, values))
    runner = exports_for(context.settings)
    await context.engine.read(lambda conn: runner.enqueue(export_id))
    return JSONResponse({"id": export_id, "status": "queued", "progress": 0}, status_code=202)


async def _export(request: Request, content: bool = False) -> tuple[HallInfo, dict[str, Any]]:
    context, info = await _manager_hall(request)
    export_id = request.path_params["export_id"]
    row = await context.engine.read(lambda conn: store.get_export(conn, info.code, export_id, content))
    if row is None:
        raise NotFound.coded("unknown_export", "没有这个导出任务 (no such export)", "export_id")
    return info, row


@endpoint("GET", "/halls/{hall}/reports/exports/{export_id}", "An export's status and progress", tag="reports")
async def get_export(request: Request) -> Response:
    info, row = await _export(request)
    return JSONResponse(_export_view(info.code, row))


@endpoint("GET", "/halls/{hall}/reports/exports/{export_id}/file", "The exported file", tag="reports")
async def get_export_file(request: Request) -> Response:
    _, row = await _export(request, content=True)
    if row["status"] != "done" or row["content"] is None:
        raise Conflict.coded("export_not_ready", "导出尚未完成 (the export is not finished)")
    filename: str = row["filename"] or "report"
    media = "text/csv; charset=utf-8" if filename.endswith(".csv") else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(bytes(row["content"]), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------------- charts
def _svg(body: str) -> Response:
    return Response(body, media_type=SVG, headers={"Cache-Control": "no-store"})


@endpoint("GET", "/halls/{hall}/charts/arrivals.svg", "Arrivals and services per hour today vs the weekday's "
          "average over the last 8 weeks (SVG)", tag="reports")
async def arrivals_svg(request: Request) -> Response:
    context, info = await _manager_hall(request)
    now = context.clock.now()
    today = info.local_day(now)
    weeks = [today - timedelta(days=7 * i) for i in range(1, 9)]

    def load(conn: Any) -> str:
        ensure_days(context.db, info, weeks, now)
        _, hours = compute_day(conn, info, today)
        past = store.hall_hours(conn, info.code, weeks)
        average = [sum(d.get("arrivals_h", [0] * 24)[h] for d in past.values()) / len(weeks) for h in range(24)]
        return charts.arrivals_chart(hours["arrivals_h"], hours["served_h"], average)

    return _svg(await context.engine.read(load))


@endpoint("GET", "/halls/{hall}/charts/waits.svg", "Today's wait-time distribution (SVG)", tag="reports")
async def waits_svg(request: Request) -> Response:
    context, info = await _manager_hall(request)
    now = context.clock.now()
    day = info.local_day(now)

    def load(conn: Any) -> list[float]:
        rows = conn.execute(select(t.tickets.c.issued_at, t.tickets.c.called_at)
                            .where(t.tickets.c.hall == info.code, t.tickets.c.day == day,
                                   t.tickets.c.called_at.is_not(None)))
        return [(_aware(r.called_at) - _aware(r.issued_at)).total_seconds() for r in rows]

    return _svg(charts.waits_chart(await context.engine.read(load)))


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


@endpoint("GET", "/halls/{hall}/charts/load.svg", "Per-counter services today (SVG)", tag="reports")
async def load_svg(request: Request) -> Response:
    context, info = await _manager_hall(request)
    day = info.local_day(context.clock.now())
    result, _ = await context.engine.read(lambda conn: compute_day(conn, info, day))
    served = [(name, result[("counter", str(n))].served if ("counter", str(n)) in result else 0)
              for n, name in sorted(info.counters.items())]
    return _svg(charts.load_chart(served))


ROUTES: list[BaseRoute] = [get_report, create_export, get_export, get_export_file, arrivals_svg, waits_svg, load_svg]
