"""好差评 routes: the counter's rating tablet (its ``counter`` device token), the visitor's phone
page and the kiosk (server/services/ratings.py has the rules)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.domain.ratings import REASONS, Reason
from server.services import ratings
from server.services.ratings import Given

from .counters import PATH, counter_number
from .declare import endpoint
from .errors import JSONResponse
from .schemas import Body, Rate, TicketNumber


def _given(body: Rate | RateService) -> Given:
    return Given(body.level, list(body.reasons), body.comment)


@endpoint("POST", f"{PATH}/rating", "The counter's rating tablet rates the service just finished (好差评)",
          body=Rate, tag="counter",
          responses={201: "stored", 401: "no token", 403: "not this counter's rating tablet (counter device token)",
                     404: "unknown hall, counter or ticket",
                     409: "not this counter's just-finished service, or already rated"})
async def rate(request: Request, body: Rate) -> Response:
    principal = await require_principal(request)
    rating_id, ticket = await ratings.rate_at_counter(ctx(request), principal, request.path_params["hall"],
                                                      counter_number(request), body.ticket_id, _given(body))
    return JSONResponse({"id": rating_id, "ticket": ticket.number, "level": body.level}, status_code=201)


@endpoint("GET", f"{PATH}/rating", "The service this counter finished last, and whether it is rated yet "
          "(the counter's rating tablet)", tag="counter",
          responses={200: "{ticket: {id, number, finished_ago_s} | null, rated}", 401: "no token",
                     403: "not this counter's rating tablet (counter device token)"})
async def last_service(request: Request) -> Response:
    """For the rating tablet when it (re)loads: a service finished a moment ago is still waiting
    for its rating. The ticket number is all it tells, as on the tablet."""
    principal = await require_principal(request)
    return JSONResponse(await ratings.last_service(ctx(request), principal, request.path_params["hall"],
                                                   counter_number(request)))


# ------------------------------------------------------- the phone page and the kiosk
class RateService(Body):
    """好差评 from the visitor's own page or the kiosk: the level, and reasons for the unhappy two."""

    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意; the Chinese label is accepted too")
    reasons: Annotated[list[Reason], Field(max_length=len(REASONS))] = Field(
        default_factory=list, description="for 不满意 and 非常不满意 only: " + "、".join(REASONS))
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    _label = field_validator("level", mode="before")(Rate._label.__func__)  # type: ignore[attr-defined]
    _only_when_unhappy = field_validator("reasons")(Rate._only_when_unhappy.__func__)  # type: ignore[attr-defined]


class KioskRate(RateService):
    ticket_number: TicketNumber = Field(description="the number on the visitor's ticket, e.g. A012 (today's)")


@endpoint("GET", "/tickets/{status_token}/rating", "Whether the visitor's own service can be rated, or is rated",
          auth=False, tag="public", responses={200: "{ratable, rated}"})
async def phone_rating_state(request: Request) -> Response:
    return JSONResponse(await ratings.phone_state(ctx(request), request.path_params["status_token"]))


@endpoint("POST", "/tickets/{status_token}/rating", "The visitor rates their own finished service (好差评)",
          body=RateService, auth=False, tag="public",
          responses={201: "stored", 404: "no such ticket",
                     409: "not finished, finished more than 24 hours ago, or already rated"})
async def rate_from_phone(request: Request, body: RateService) -> Response:
    """The status token is the visitor's proof. One rating per service, shared with the tablet,
    the evaluator keypad and the kiosk."""
    rating_id, ticket = await ratings.rate_from_phone(ctx(request), request.path_params["status_token"],
                                                      _given(body))
    return JSONResponse({"id": rating_id, "ticket": ticket.number, "level": body.level}, status_code=201)


@endpoint("POST", "/halls/{hall}/ratings", "The kiosk's 服务评价: rate today's finished service by its number",
          body=KioskRate, tag="kiosk",
          responses={201: "stored", 403: "not a kiosk of this hall", 404: "no such ticket today",
                     409: "not finished, or already rated"})
async def rate_at_kiosk(request: Request, body: KioskRate) -> Response:
    principal = await require_principal(request)
    rating_id, ticket = await ratings.rate_at_kiosk(ctx(request), principal, request.path_params["hall"],
                                                    body.ticket_number, _given(body))
    return JSONResponse({"id": rating_id, "ticket": ticket.number, "level": body.level}, status_code=201)


ROUTES = [last_service, rate, phone_rating_state, rate_from_phone, rate_at_kiosk]
