"""KPI reports, their exports and the dashboard's charts (issue 9; formulas in docs/kpis.md).

Managers (and the admin) of the hall only; the rules are server/services/reports.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.services import case_register, reports

from .declare import choice, day, endpoint
from .errors import JSONResponse
from .schemas import Body

SVG = "image/svg+xml; charset=utf-8"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@endpoint("GET", "/halls/{hall}/reports", "KPI report: ?period=day|week|month&date=YYYY-MM-DD&by=hall|queue|"
          "counter|clerk|item|department", tag="reports",
          query={"period": choice("day", "day", "week", "month"), "date": day("a day of the period (today)"),
                 "by": choice("hall", "hall", "queue", "counter", "clerk", "item", "department")})
async def get_report(request: Request) -> Response:
    """Rows per key of the dimension and the hall's total; rates are 0..1 or null when their
    denominator is zero; times in seconds. Past days come from the daily roll-ups. ``by=department``:
    each department's cases of the period as they stand now (art. 22, docs/kpis.md)."""
    principal = await require_principal(request)
    q = request.query_params
    return JSONResponse(await reports.report(ctx(request), principal, request.path_params["hall"],
                                             period=q.get("period"), day=q.get("date"), by=q.get("by")))


class CaseFilters(Body):
    """The case register's filters (办件台账), as ``GET /halls/{hall}/cases`` takes them."""

    department: str | None = Field(default=None, max_length=32)
    status: str | None = Field(default=None, max_length=200, description="comma-separated case statuses")
    item: str | None = Field(default=None, max_length=32)
    q: str | None = Field(default=None, max_length=100)
    from_: str | None = Field(default=None, alias="from", max_length=10, description="YYYY-MM-DD")
    to: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")


class CreateExport(Body):
    kind: Literal["report", "cases"] = Field(default="report", description="a KPI report, or the case register "
                                                                            "(办件台账) with its filters")
    period: Literal["day", "week", "month"] = "day"
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD; today if absent")
    by: Literal["hall", "queue", "counter", "clerk", "item", "department"] = "hall"
    format: Literal["xlsx", "csv"] = "xlsx"
    filters: CaseFilters | None = Field(default=None, description="kind cases: what to export")


@endpoint("POST", "/halls/{hall}/reports/exports", "Start an export of a report (xlsx or csv)", body=CreateExport,
          responses={202: "queued"}, tag="reports")
async def create_export(request: Request, body: CreateExport) -> Response:
    """Built by a background job (a thread, or rq with REDIS_URL); poll its progress."""
    assert isinstance(body, CreateExport)
    principal = await require_principal(request)
    if body.kind == "cases":
        f = body.filters or CaseFilters()
        query = case_register.criteria(request.path_params["hall"], department=f.department, status=f.status,
                                       item=f.item, q=f.q, first=f.from_, last=f.to, prefix="filters.")
        queued = await case_register.create_export(ctx(request), principal, query, body.format)
        return JSONResponse(queued, status_code=202)
    given = reports.ExportRequest(period=body.period, day=body.date, by=body.by, format=body.format)
    queued = await reports.create_export(ctx(request), principal, request.path_params["hall"], given)
    return JSONResponse(queued, status_code=202)


@endpoint("GET", "/halls/{hall}/reports/exports/{export_id}", "An export's status and progress", tag="reports")
async def get_export(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await reports.export(ctx(request), principal, request.path_params["hall"],
                                             request.path_params["export_id"]))


@endpoint("GET", "/halls/{hall}/reports/exports/{export_id}/file", "The exported file", tag="reports",
          produces=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"))
async def get_export_file(request: Request) -> Response:
    principal = await require_principal(request)
    file = await reports.export_file(ctx(request), principal, request.path_params["hall"],
                                     request.path_params["export_id"])
    return Response(file.content, media_type=CSV if file.filename.endswith(".csv") else XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{file.filename}"'})


# ---------------------------------------------------------------------- charts
def _svg(body: str) -> Response:
    return Response(body, media_type=SVG, headers={"Cache-Control": "no-store"})


@endpoint("GET", "/halls/{hall}/charts/arrivals.svg", "Arrivals and services per hour today vs the weekday's "
          "average over the last 8 weeks (SVG)", tag="reports", produces=("image/svg+xml",))
async def arrivals_svg(request: Request) -> Response:
    principal = await require_principal(request)
    return _svg(await reports.arrivals_chart(ctx(request), principal, request.path_params["hall"]))


@endpoint("GET", "/halls/{hall}/charts/waits.svg", "Today's wait-time distribution (SVG)", tag="reports",
          produces=("image/svg+xml",))
async def waits_svg(request: Request) -> Response:
    principal = await require_principal(request)
    return _svg(await reports.waits_chart(ctx(request), principal, request.path_params["hall"]))


@endpoint("GET", "/halls/{hall}/charts/load.svg", "Per-counter services today (SVG)", tag="reports",
          produces=("image/svg+xml",))
async def load_svg(request: Request) -> Response:
    principal = await require_principal(request)
    return _svg(await reports.load_chart(ctx(request), principal, request.path_params["hall"]))


ROUTES: list[BaseRoute] = [get_report, create_export, get_export, get_export_file, arrivals_svg, waits_svg, load_svg]
