"""``POST .../kiosks/{name}/card``: a card read, over HTTP, from an agent of another make
(server/services/kiosks.py has the rules)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.services import kiosks

from .declare import endpoint
from .errors import JSONResponse
from .schemas import CardRead


@endpoint("POST", "/halls/{hall}/kiosks/{name}/card", "A card read, to that kiosk's feed (its agent)",
          body=CardRead, tag="devices",
          responses={202: "the card.read message as the kiosk gets it", 403: "not the agent of this kiosk"})
async def post_card(request: Request, body: CardRead) -> Response:
    """Only the ``agent`` device token of the same name and hall may post. The body carries the card
    as read (the ID number with a valid check digit, else 422); the kiosk gets the masked holder."""
    principal = await require_principal(request)
    card = body.card
    message = await kiosks.read_card(ctx(request), principal, request.path_params["hall"],
                                     request.path_params["name"], name=card.name, gender=card.gender,
                                     nation=card.nation, birth=card.birth_date, id_number=card.id_number)
    return JSONResponse(message, status_code=202)


ROUTES = [post_card]
