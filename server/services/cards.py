"""An ID card read, from the agent's full card to what the kiosk may know.

The kiosk gets the CONTRACT's card fields plus ``card_token``: the same holder signed with the
server's secret, valid for a short while. The kiosk hands it back when it issues the ticket, so
the ticket carries the holder's ID hash and masked name without the kiosk being trusted with
either, in whichever server process the request lands.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from server.domain.identity import CardHolder, card_holder

CARD_TOKEN_MAX_AGE_S = 15 * 60  # a visitor at the kiosk, not a card remembered for the day
_SALT = "onewindow.card"


class InvalidCardToken(ValueError):
    pass


def holder_from_agent(secret: str, card: dict[str, Any], today: date) -> CardHolder:
    """Raises ValueError (InvalidIdNumber among them) for a card that cannot be right."""
    birth = card.get("birth_date")
    if not isinstance(birth, str):
        raise ValueError("birth_date missing")
    return card_holder(secret, name=str(card.get("name", "")), gender=str(card.get("gender", "")),
                       nation=str(card.get("nation", "")), birth=date.fromisoformat(birth),
                       id_number=str(card.get("id_number", "")), today=today)


def sign_holder(secret: str, holder: CardHolder) -> str:
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps(
        {"h": holder.id_hash, "n": holder.masked_name, "p": holder.priority_hint})


def read_card_token(secret: str, token: str) -> dict[str, str]:
    """``{"id_hash", "masked_name", "priority_hint"}``; InvalidCardToken when forged or stale."""
    try:
        data = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=CARD_TOKEN_MAX_AGE_S)
    except BadSignature:
        raise InvalidCardToken("读卡信息已失效，请重新放置身份证 (card read expired; place the card again)") from None
    return {"id_hash": str(data["h"]), "masked_name": str(data["n"]), "priority_hint": str(data["p"])}


def kiosk_card(secret: str, holder: CardHolder) -> dict[str, Any]:
    return {**holder.as_dict(), "card_token": sign_holder(secret, holder)}
