"""A resident ID card, as much of it as each place may know. Pure; no I/O.

The device agent sends the full card to the server over its authenticated socket; from here on
the ID number exists only as a keyed hash (``id_hash``), and a kiosk or staff screen gets the
masked name (张*三), age, gender, nation and the priority the card suggests.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

ELDERLY_AGE = 60
MAJORITY_NATION = "汉"


class InvalidIdNumber(ValueError):
    """The number fails the GB 11643 check digit (or its birth date / length)."""


def validate_id_number(number: str) -> str:
    """The 18-character ID number, upper-cased, when its GB 11643 check digit holds."""
    try:
        return str(ric.validate(number.strip().upper()))
    except ValidationError:
        raise InvalidIdNumber("身份证号码校验位不正确 (the ID number's check digit is wrong)") from None


def mask_name(name: str) -> str:
    """First and last characters kept: 张三丰 → 张*丰, 张三 → 张*, 欧阳娜娜 → 欧**娜."""
    name = name.strip()
    if len(name) <= 1:
        return (name or "*") + "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def priority_hint(age: int, nation: str) -> str:
    """What the kiosk offers by itself: the visitor still chooses (CONTRACT "Devices")."""
    if age >= ELDERLY_AGE:
        return "elderly"
    if nation and nation.strip() not in (MAJORITY_NATION, "汉族"):
        return "minority"
    return "none"


def id_hash(secret: str, id_number: str) -> str:
    """Keyed, so a list of hashes cannot be reversed by hashing every possible ID number."""
    return hmac.new(secret.encode(), b"id-card:" + id_number.upper().encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class CardHolder:
    """The card as the hall may remember it today."""

    masked_name: str
    gender: str
    nation: str
    age: int
    id_hash: str
    priority_hint: str

    def as_dict(self) -> dict[str, object]:
        return {"masked_name": self.masked_name, "gender": self.gender, "nation": self.nation, "age": self.age,
                "id_hash": self.id_hash, "priority_hint": self.priority_hint}


def card_holder(secret: str, *, name: str, gender: str, nation: str, birth: date, id_number: str,
                today: date) -> CardHolder:
    number = validate_id_number(id_number)
    age = age_on(birth, today)
    return CardHolder(mask_name(name), gender, nation, age, id_hash(secret, number), priority_hint(age, nation))
