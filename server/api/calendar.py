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

from server.context import ctx, require_principal
from server.services import calendar

from .declare import endpoint
from .errors import JSONResponse
from .schemas import Body


class YearNotice(Body):
    holidays: list[date] = Field(description="days off that would otherwise be working days (Mon–Fri)")
    workdays: list[date] = Field(default_factory=list, description="weekend days worked instead (调休上班)")
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="the notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知")


@endpoint("GET", "/calendar/{year}", "A year's working calendar: where it comes from and its exceptions",
          auth=False, tag="public")
async def get_year(request: Request) -> Response:
    return JSONResponse(await calendar.year_view(ctx(request), calendar.year_of(request.path_params["year"])))


@endpoint("PUT", "/calendar/{year}", "Load a year's holiday notice (admins)", body=YearNotice, tag="admin",
          responses={200: "the year as now counted", 403: "not an admin", 422: "a date outside the year, "
                     "a holiday on a weekend or a worked day on a weekday"})
async def put_year(request: Request, body: YearNotice) -> Response:
    year = calendar.year_of(request.path_params["year"])
    principal = await require_principal(request)
    return JSONResponse(await calendar.load_year(ctx(request), principal, year, list(body.holidays),
                                                 list(body.workdays), body.source))


ROUTES = [get_year, put_year]
