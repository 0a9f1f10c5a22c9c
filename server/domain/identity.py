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

from stdnum import numdb
from stdnum.cn import ric
from stdnum.util import isdigits

ELDERLY_AGE = 60
MAJORITY_NATION = "汉"
OLDEST_BIRTH_YEAR = 1880


class InvalidIdNumber(ValueError):
    """The number fails what it proves by itself; the message names the failing part (its length,
    check digit, birth date or province code), never the number."""


def validate_id_number(number: str, today: date | None = None, *, check_province: bool = True) -> str:
    """The 18-character ID number, upper-cased, when what it proves by itself holds: its length,
    the GB 11643 check digit, a real birth date not in the future, a province code that exists.

    Not whether its six-digit region code existed in the holder's birth year (as
    ``stdnum.cn.ric.validate`` checks): the code records where the number was first issued, from
    the mid-1980s on, not where the holder was born, so that check refuses elderly residents of
    districts renamed or founded since (350111 晋安区, 350181 福清市). A card read by a SAM reader
    was authenticated by its security module: pass ``check_province=False``."""
    number = ric.compact(number)
    if len(number) != 18 or not isdigits(number[:17]) or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("身份证号码应为18位（17位数字加校验位）(the ID number must be 18 characters)")
    if number[17] != ric.calc_check_digit(number):
        raise InvalidIdNumber("身份证号码校验位不正确，请核对 (the ID number's check digit is wrong)")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("身份证号码中的出生日期无效 (the ID number's birth date is not a date)") from None
    if birth.year < OLDEST_BIRTH_YEAR or birth > (today or date.today()):
        raise InvalidIdNumber("身份证号码中的出生日期不可能 (the ID number's birth date is impossible)")
    if check_province and not province_exists(number[:2]):
        raise InvalidIdNumber("身份证号码的前两位不是有效的省级行政区划代码 "
                              "(the ID number's province code does not exist)")
    return number


def province_exists(code: str) -> bool:
    """A GB/T 2260 province-level code (北京 11 … 澳门 82), from stdnum's region catalog."""
    return any(info.get("province") for _, info in numdb.get("cn/loc").info(code)[:1])


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
    number = validate_id_number(id_number, today, check_province=False)  # read by the SAM reader
    age = age_on(birth, today)
    return CardHolder(mask_name(name), gender, nation, age, id_hash(secret, number), priority_hint(age, nation))
