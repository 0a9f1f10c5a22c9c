"""The case register (办件台账, CONTRACT v2 "The back office") and the ID-card lookups of a person's
cases: at a counter's reader and at the kiosk. The rules are server/services/case_register.py.

``GET /halls/{hall}/cases`` is the register; with ``?due=soon|overdue`` it is still the v1 list of
the cases due that managers have (CONTRACT "Cases and appointments").
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.params import query_number
from server.services import case_register as register

from .counters import counter_number
from .declare import Param, choice, day, endpoint, whole
from .errors import JSONResponse
from .schemas import Body, CardRead

CARD_TOKEN = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


def _text(description: str, longest: int) -> Param:
    return Param(description, {"type": "string", "maxLength": longest})


REGISTER_QUERY = {
    "department": _text("a department's code: the cases it handles, as the lead or deciding a part (联审联办)",
                        register.MAX_CODE),
    "status": Param("one or several case statuses, comma-separated (accepted,in_review)",
                    {"type": "string", "pattern": "^[a-z_]+(,[a-z_]+)*$"}),
    "item": _text("an item code of the hall's catalog", register.MAX_CODE),
    "q": _text("a receipt number (or its beginning) or part of the applicant's name", register.MAX_TEXT),
    "from": day("the first hall-local acceptance day"),
    "to": day("the last hall-local acceptance day"),
    "limit": whole("cases per page (50)", 1, register.MAX_LIMIT),
    "offset": whole("cases to skip (0)", 0, register.MAX_OFFSET),
    "due": choice("v1, managers: the pending cases due within one working day, or past due (the other "
                  "parameters do not apply)", "soon", "overdue"),
}


@endpoint("GET", "/halls/{hall}/cases", "The case register (办件台账): the hall's cases found, newest first",
          tag="cases", query=REGISTER_QUERY,
          responses={200: "{total, cases: [case object with the applicant's name, phone and id_last4]}; with due: "
                          "case objects earliest due first",
                     403: "not staff of this hall (due: not a manager)"})
async def list_cases(request: Request) -> Response:
    """Clerks, guides, managers and admins of the hall see its cases; a department account those its
    department handles, whatever ``department`` it asks for. ``from``/``to`` are hall-local
    acceptance days; ``q`` a receipt number's beginning or part of the applicant's name."""
    given = request.query_params
    principal = await require_principal(request)
    hall = request.path_params["hall"]
    if "due" in given:
        return JSONResponse(await register.due(ctx(request), principal, hall, given["due"]))
    query = register.criteria(hall, department=given.get("department"), status=given.get("status"),
                              item=given.get("item"), q=given.get("q"), first=given.get("from"),
                              last=given.get("to"))
    limit = query_number(given.get("limit"), "limit", 1, register.MAX_LIMIT, register.DEFAULT_LIMIT)
    offset = query_number(given.get("offset"), "offset", 0, register.MAX_OFFSET, 0)
    return JSONResponse(await register.search(ctx(request), principal, query, limit, offset))


@endpoint("GET", "/halls/{hall}/cases/by-card", "The cases of the ID card just read at the kiosk (办件查询)",
          tag="cases", query={"card_token": Param("from the kiosk feed's card.read", required=True)},
          responses={200: "{total, cases: [case object, the name masked]}, newest first",
                     403: "not a kiosk (or its agent) of this hall"})
async def cases_by_card(request: Request) -> Response:
    """Matched by the keyed hash of the card's number, which the signed ``card_token`` carries."""
    principal = await require_principal(request)
    return JSONResponse(await register.by_card(ctx(request), principal, request.path_params["hall"],
                                               request.query_params.get("card_token", "")))


class PickupByCard(Body):
    card_token: CARD_TOKEN = Field(description="from the kiosk feed's card.read: stands for the lookup's check")
    receipt_no: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1,
                                                 max_length=32)]


@endpoint("POST", "/halls/{hall}/cases/by-card/pickup-ticket", "A 查询发证 (L) ticket for a ready case found by "
          "ID card", body=PickupByCard, tag="cases",
          responses={201: "the L ticket, linked to the case (case_receipt)",
                     404: "no such case of this card holder", 429: "too many wrong lookups",
                     409: "not ready yet, or its L ticket still waits (with that ticket)"})
async def pickup_by_card(request: Request, body: PickupByCard) -> Response:
    principal = await require_principal(request)
    result = await register.pickup_by_card(ctx(request), principal, request.path_params["hall"], body.card_token,
                                           body.receipt_no, request.client.host if request.client else "unknown",
                                           str(request.base_url))
    if result.held is not None:
        return JSONResponse({"error": {"code": result.held.code, "message": result.held.message},
                             "ticket": result.ticket}, status_code=409)
    return JSONResponse(result.ticket, status_code=201)


@endpoint("POST", "/halls/{hall}/counters/{number}/card", "A card read on a counter's reader: the clerk sees "
          "that person's cases in the hall", body=CardRead, tag="devices",
          responses={202: "{type: card.cases, counter, holder, total}: what the counter's page was told",
                     403: "not an agent driving this counter", 404: "unknown hall or counter"})
async def counter_card(request: Request, body: CardRead) -> Response:
    """Only an ``agent`` token of the hall that drives the counter (``--counter N``, or given it by
    the hall). The number is checked and hashed; the page gets the cases, never the number."""
    principal = await require_principal(request)
    card = body.card
    read = register.CardRead(card.name, card.gender, card.nation, card.birth_date, card.id_number)
    sent = await register.read_at_counter(ctx(request), principal, request.path_params["hall"],
                                          counter_number(request), read)
    return JSONResponse(sent, status_code=202)


ROUTES: list[BaseRoute] = [list_cases, cases_by_card, pickup_by_card, counter_card]
