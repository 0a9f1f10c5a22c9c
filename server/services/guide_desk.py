"""The guide's desk card reader (issue 20, "The guide's desk").

A desk is a named place with its own device agent: an ``agent`` token named as the desk (导办台1,
desk1), issued in the 设备 tab like a kiosk's, bound to no counter. Its card reads take the kiosk's
path (server/services/kiosks.py): validated, masked and signed, then published on the bus channel
``kiosk:{hall}:{desk}``; no kiosk of that name is needed. The guide's page follows that channel
through ``/ws/halls/{hall}/guide/{desk}`` (server/hub/guide.py) and gets, of what goes by:

- ``{"type": "card.read", "at", "card": {masked_name, gender, nation, age, priority_hint, card_token}}``:
  the masked holder and the signed token the ticket is issued with, never the ID number (nor its hash);
- ``{"type": "card.removed", "at"}``;
- ``{"type": "reader", "desk", "agent", "idcard"}``: whether the desk's agent and its reader are there
  (``ok``, ``offline``… as the agent last reported, or null when never seen), on connecting and
  whenever the agent reports. No personal data.

Nothing else on the channel (print results, other devices) reaches the guide. These messages have no
``seq``: they are not hall events and are not replayed on resumption.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Forbidden, InvalidInput
from server.services.devices import NAME_MAX, NOT_IN_NAMES
from server.services.kiosks import CARD_READ
from server.store import devices as store_devices

CARD_REMOVED = "card.removed"
DEVICE_STATUS = "device.status"
READER = "reader"
DESK_ROLES = ("guide", "manager", "admin")
CARD_FIELDS = ("masked_name", "gender", "nation", "age", "priority_hint", "card_token")
READER_DEVICES = ("agent", "idcard")


@dataclass(frozen=True)
class Desk:
    hall: str
    name: str


def _desk_name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > NAME_MAX or any(c in NOT_IN_NAMES or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise InvalidInput("导办台名称无效", "not a desk name", "desk")
    return name


async def follower(context: AppContext, principal: Principal | None, hall_code: str, desk: str) -> Desk:
    """The desk a guide's page may follow: the hall's guides, managers and admins, signed in as people
    (no device token: the card holder is for the person at the desk)."""
    await context.engine.hall(hall_code)  # UnknownHall first
    if principal is None:
        raise Forbidden("导办台需要登录", "sign in first")
    if principal.kind != "user" or principal.role not in DESK_ROLES or not principal.in_hall(hall_code):
        raise Forbidden("导办台读卡仅限本大厅导办员和管理人员", "the hall's guides and managers only")
    return Desk(hall_code, _desk_name(desk))


def for_desk(desk: Desk, message: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the guide's page gets of a message on the desk's channel; None for what it does not."""
    kind = message.get("type")
    if kind == CARD_READ and isinstance(message.get("card"), Mapping):
        card = message["card"]
        return {"type": CARD_READ, "at": message.get("at"), "card": {k: card.get(k) for k in CARD_FIELDS}}
    if kind == CARD_REMOVED:
        return {"type": CARD_REMOVED, "at": message.get("at")}
    if kind == DEVICE_STATUS and isinstance(message.get("devices"), Mapping):
        return _reader(desk, message["devices"])
    return None


def _reader(desk: Desk, devices: Mapping[str, Any]) -> dict[str, Any]:
    def state(device: str) -> str | None:
        found = devices.get(device)
        return str(found["state"]) if isinstance(found, Mapping) and "state" in found else None

    return {"type": READER, "desk": desk.name, **{device: state(device) for device in READER_DEVICES}}


async def reader(context: AppContext, desk: Desk) -> dict[str, Any]:
    """The desk's agent and reader as last reported (the page's first message)."""
    rows = await context.engine.read(lambda conn: store_devices.states(conn, desk.hall, desk.name))
    return _reader(desk, {str(row["device"]): {"state": row["state"]} for row in rows})
