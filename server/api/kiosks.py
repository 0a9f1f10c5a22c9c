"""Device messages for a kiosk's feed (CONTRACT "Devices").

An agent and a kiosk of the same name belong together: the agent's card reads reach that kiosk's
feed through the bus channel ``kiosk:{hall}:{name}``, which every kiosk feed of that name follows
(server/hub/routes.py), in whichever process it is served. The agent sends them over its socket
(server/agents/endpoint.py); ``POST .../kiosks/{name}/card`` does the same over HTTP, for an
agent of another make. Either way the kiosk gets the masked holder, never the ID number.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.agents.cards import kiosk_card
from server.bus import Bus
from server.domain.hall import Hall
from server.domain.identity import card_holder
from server.domain.views import iso

from .context import ctx, forbid, require_principal
from .declare import endpoint
from .errors import JSONResponse
from .schemas import CardRead

CARD_READ = "card.read"
# What a kiosk feed passes on from its agent (server/agents/endpoint.py): card reads and removals,
# the result of printing its ticket, and the state of its devices (a printer out of paper).
KIOSK_DEVICE_MESSAGES = (CARD_READ, "card.removed", "card.tap", "print.result", "device.status")


def kiosk_channel(hall: str, name: str) -> str:
    return f"kiosk:{hall}:{name}"


async def publish_card(bus: Bus, hall: Hall, name: str, card: dict[str, Any], now: Any) -> dict[str, Any]:
    """Sends a (masked) card read to every feed of kiosk ``name``; returns the message sent."""
    message = {"type": CARD_READ, "at": iso(now, hall), "card": card}
    await bus.publish(kiosk_channel(hall.config.code, name), message)
    return message


@endpoint("POST", "/halls/{hall}/kiosks/{name}/card", "A card read, to that kiosk's feed (its agent)",
          body=CardRead, tag="devices",
          responses={202: "the card.read message as the kiosk gets it", 403: "not the agent of this kiosk"})
async def post_card(request: Request, body: CardRead) -> Response:
    """Only the ``agent`` device token of the same name and hall may post. The body carries the card
    as read (the ID number with a valid check digit, else 422); the kiosk gets the masked holder."""
    context = ctx(request)
    code, name = request.path_params["hall"], request.path_params["name"]
    principal = await require_principal(request)
    hall = await context.engine.hall(code)  # 404 for an unknown hall
    if not (principal.kind == "device" and principal.role == "agent" and principal.name == name
            and principal.in_hall(code)):
        raise forbid("只有本取号机的设备代理可以发送读卡信息", "only this kiosk's agent may post card reads")
    now = context.clock.now()
    card = body.card
    holder = card_holder(context.settings.secret_key, name=card.name, gender=card.gender, nation=card.nation,
                         birth=card.birth_date, id_number=card.id_number, today=hall.local_day(now))
    message = await publish_card(context.bus, hall, name, kiosk_card(context.settings.secret_key, holder), now)
    return JSONResponse(message, status_code=202)


ROUTES = [post_card]
