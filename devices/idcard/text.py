"""The card's 256-byte text block (pure): UCS-2LE fixed-width fields padded with spaces.

Everything here is personal data. ``IdCard`` therefore hides its fields in ``repr`` (logs and
tracebacks show only that a card was there), and ``BadCard`` messages name the field, never
its content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from stdnum.cn import ric

TEXT_LENGTH = 256

# (field, bytes) in block order; the 36 bytes after valid_to are reserved.
LAYOUT: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("gender", 2),
    ("nation", 4),
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("authority", 30),
    ("valid_from", 16),
    ("valid_to", 16),
)

GENDERS: dict[str, str] = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}

# GB 3304 codes of the 56 nationalities, plus the two codes cards carry beyond them.
NATIONS: dict[str, str] = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤",
    "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西", "28": "景颇",
    "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌", "34": "布朗",
    "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌", "40": "普米",
    "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春",
    "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士",
}
NATION_CODES: dict[str, str] = {name: code for code, name in NATIONS.items()}
GENDER_CODES: dict[str, str] = {name: code for code, name in GENDERS.items()}

NO_END = "长期"  # valid_to of a card that does not expire


class BadCard(ValueError):
    """The card's text is not a valid resident ID card. The message never holds card data."""


@dataclass(frozen=True, repr=False)
class IdCard:
    name: str
    gender: str  # 男 / 女 / 未知 / 未说明
    nation: str  # 汉, 回, … (the name, not the code)
    birth_date: date
    address: str
    id_number: str
    authority: str
    valid_from: date
    valid_to: date | None  # None: 长期, no end
    photo: bytes = field(default=b"")  # vendor-encoded (wlt), passed through undecoded

    def __repr__(self) -> str:
        return f"IdCard(<personal data hidden>, photo={len(self.photo)} bytes)"

    __str__ = __repr__


def _date(text: str, what: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise BadCard(f"{what} is not a YYYYMMDD date")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise BadCard(f"{what} is not a valid date") from None


def decode_text(block: bytes, photo: bytes) -> IdCard:
    if len(block) != TEXT_LENGTH:
        raise BadCard(f"text block is {len(block)} bytes, not {TEXT_LENGTH}")
    fields: dict[str, str] = {}
    offset = 0
    for name, size in LAYOUT:
        try:
            value = block[offset : offset + size].decode("utf-16-le")
        except UnicodeDecodeError:
            raise BadCard(f"{name} is not UCS-2 text") from None
        fields[name] = value.rstrip(" \x00")  # padding is spaces; some readers leave NULs
        offset += size
    gender = GENDERS.get(fields["gender"])
    if gender is None:
        raise BadCard("unknown gender code")
    nation = NATIONS.get(fields["nation"])
    if nation is None:
        raise BadCard("unknown nation code")
    birth_date = _date(fields["birth_date"], "birth date")
    number = fields["id_number"]
    # Only the canonical form (no separators, no lower-case x) and the GB 11643 check digit. Not
    # stdnum's ric.validate: it also wants the region code to have existed in the birth year, but
    # that code is where the number was first issued (from the mid-1980s), so it refuses older
    # residents of districts renamed since. The SAM module authenticated the card anyway.
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        raise BadCard("ID number is not 18 characters in canonical form")
    if number[17] != ric.calc_check_digit(number):
        raise BadCard("ID number has a bad check digit")
    if number[6:14] != _yyyymmdd(birth_date):
        raise BadCard("birth date does not match the ID number")
    valid_to = None if fields["valid_to"] == NO_END else _date(fields["valid_to"], "valid-to date")
    if not fields["name"]:
        raise BadCard("name is empty")
    return IdCard(
        name=fields["name"], gender=gender, nation=nation, birth_date=birth_date,
        address=fields["address"], id_number=number, authority=fields["authority"],
        valid_from=_date(fields["valid_from"], "valid-from date"), valid_to=valid_to, photo=photo,
    )


def _yyyymmdd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"  # strftime drops leading zeros of years < 1000


def encode_text(card: IdCard) -> bytes:
    """The inverse of ``decode_text`` (for the emulator). Raises ValueError on a field too long."""
    values = {
        "name": card.name,
        "gender": GENDER_CODES[card.gender],
        "nation": NATION_CODES[card.nation],
        "birth_date": _yyyymmdd(card.birth_date),
        "address": card.address,
        "id_number": card.id_number,
        "authority": card.authority,
        "valid_from": _yyyymmdd(card.valid_from),
        "valid_to": NO_END if card.valid_to is None else _yyyymmdd(card.valid_to),
    }
    block = b""
    for name, size in LAYOUT:
        raw = values[name].encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"{name} does not fit in {size} bytes")
        block += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    return block + " ".encode("utf-16-le") * ((TEXT_LENGTH - len(block)) // 2)
