"""The working calendar the hall counts due dates and open days by (server/domain/workdays.py).

chinesecalendar carries the State Council's notices up to its last release. For a later year an
admin loads that year's notice here, once, when it is published (usually in November); until then
that year counts Monday–Friday and every date computed in it is marked provisional.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.context import AppContext, ctx, forbid, require_principal
from server.domain.errors import InvalidInput, NotFound
from server.domain.workdays import HolidayTable
from server.services.calendar import load_year, work_calendar

from .declare import endpoint
from .errors import JSONResponse
from .schemas import Body


class YearNotice(Body):
    holidays: list[date] = Field(description="days off that would otherwise be working days (Mon–Fri)")
    workdays: list[date] = Field(default_factory=list, description="weekend days worked instead (调休上班)")
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="the notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知")


def _year(request: Request) -> int:
    raw = request.path_params["year"]
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise NotFound.coded("unknown_year", f"没有 {raw} 年的日历 (no calendar for {raw!r})")
    return int(raw)


@endpoint("GET", "/calendar/{year}", "A year's working calendar: where it comes from and its exceptions",
          auth=False, tag="public")
async def get_year(request: Request) -> Response:
    return await _year_view(ctx(request), _year(request))


async def _year_view(context: AppContext, year: int) -> Response:
    calendar = await work_calendar(context)
    loaded = calendar.tables.get(year)
    first = date(year, 1, 1)
    source = "loaded" if loaded else "chinesecalendar" if calendar.knows(first) else "provisional"
    days = [date.fromordinal(n) for n in range(first.toordinal(), date(year, 12, 31).toordinal() + 1)]
    holidays = [d for d in days if d.weekday() < 5 and not calendar.is_working_day(d)]
    workdays = [d for d in days if d.weekday() >= 5 and calendar.is_working_day(d)]
    return JSONResponse({"year": year, "source": source, "provisional": source == "provisional",
                         "holidays": [d.isoformat() for d in holidays],
                         "workdays": [d.isoformat() for d in workdays]})


@endpoint("PUT", "/calendar/{year}", "Load a year's holiday notice (admins)", body=YearNotice, tag="admin",
          responses={200: "the year as now counted", 403: "not an admin", 422: "a date outside the year, "
                     "a holiday on a weekend or a worked day on a weekday"})
async def put_year(request: Request, body: YearNotice) -> Response:
    context = ctx(request)
    year = _year(request)
    principal = await require_principal(request)
    if principal.kind != "user" or principal.role != "admin":
        raise forbid("只有系统管理员可以导入节假日安排", "only admins load holiday notices")
    for name, days, weekend in (("holidays", body.holidays, False), ("workdays", body.workdays, True)):
        for day in days:
            if day.year != year:
                raise InvalidInput.coded("invalid_field", f"{day} 不在 {year} 年 (not in {year})", name)
            if (day.weekday() >= 5) != weekend:
                what = "调休上班日应为周末" if weekend else "放假日应为工作日（周末本就休息）"
                raise InvalidInput.coded("invalid_field", f"{day}：{what} ({name} on the wrong kind of day)", name)
    table = HolidayTable(year, frozenset(body.holidays), frozenset(body.workdays))
    await load_year(context, table, body.source, principal.name)
    return await _year_view(context, year)


ROUTES = [get_year, put_year]
