"""A kiosk's device messages (CONTRACT "Devices").

An agent and a kiosk of the same name belong together: the agent's card reads reach that kiosk's
feed through the bus channel ``kiosk:{hall}:{name}``, which every kiosk feed of that name follows
(server/hub/routes.py), in whichever process it is served. The agent sends them over its socket
(server/agents/endpoint.py), or over HTTP (``POST .../kiosks/{name}/card``) for an agent of
another make. Either way the kiosk gets the masked holder, never the ID number.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from server.auth import Principal
from server.bus import Bus
from server.channels import kiosk_channel
from server.context import AppContext
from server.domain.errors import Forbidden
from server.domain.hall import Hall
from server.domain.identity import card_holder
from server.domain.views import iso
from server.services.cards import kiosk_card

CARD_READ = "card.read"
# What a kiosk feed passes on from its agent: card reads and removals, the result of printing its
# ticket, and the state of its devices (a printer out of paper).
KIOSK_DEVICE_MESSAGES = (CARD_READ, "card.removed", "card.tap", "print.result", "device.status")


async def publish_card(bus: Bus, hall: Hall, name: str, card: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Sends a (masked) card read to every feed of kiosk ``name``; returns the message sent."""
    message = {"type": CARD_READ, "at": iso(now, hall), "card": card}
    await bus.publish(kiosk_channel(hall.config.code, name), message)
    return message


async def read_card(context: AppContext, principal: Principal, hall_code: str, kiosk: str, *, name: str,
                    gender: str, nation: str, birth: date, id_number: str) -> dict[str, Any]:
    """A card read posted by the kiosk's own agent: only the ``agent`` device of the same name and
    hall may post; the kiosk gets the masked holder. Returns the ``card.read`` message sent."""
    hall = await context.engine.hall(hall_code)  # UnknownHall first
    if not (principal.kind == "device" and principal.role == "agent" and principal.name == kiosk
            and principal.in_hall(hall_code)):
        raise Forbidden("只有本取号机的设备代理可以发送读卡信息", "only this kiosk's agent may post card reads")
    now = context.clock.now()
    holder = card_holder(context.settings.secret_key, name=name, gender=gender, nation=nation, birth=birth,
                         id_number=id_number, today=hall.local_day(now))
    return await publish_card(context.bus, hall, kiosk, kiosk_card(context.settings.secret_key, holder), now)
