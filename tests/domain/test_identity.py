"""ID numbers are validated by what they prove by themselves (issue 14): the GB 11643 check digit,
a real birth date not in the future, a province that exists, and never the region code's history,
which refused elderly residents of 晋安区 (350111) and 福清市 (350181)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import stdnum.cn
from stdnum.cn import ric

from server.domain.identity import InvalidIdNumber, card_holder, validate_id_number

TODAY = date(2026, 11, 25)


def number(region: str, birth: str, sequence: str = "123") -> str:
    body = f"{region}{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def catalog_regions() -> list[str]:
    """Every six-digit county code in stdnum's region catalog (cn/loc.dat)."""
    codes, province, prefecture = [], "", ""
    for line in (Path(stdnum.cn.__file__).parent / "loc.dat").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        key = line.split()[0]
        if not line.startswith(" "):
            province = key
        elif key.endswith("00"):
            prefecture = key
        else:
            codes.append(province + key)
    assert len(codes) > 3000 and prefecture
    return codes


@pytest.mark.parametrize("region", ["350111", "350181"])
@pytest.mark.parametrize("birth", ["19500312", "19600101"])
def test_older_residents_of_districts_named_since_are_accepted(region: str, birth: str) -> None:
    valid = number(region, birth)
    assert not ric.is_valid(valid)  # what stdnum's validate says: the region did not exist in their birth year
    assert validate_id_number(valid, TODAY) == valid


def test_every_region_of_the_catalog_is_accepted_whatever_the_birth_year() -> None:
    refused = [region for region in catalog_regions() for birth in ("19300101", "19500312", "20000229")
               if not _accepted(number(region, birth))]
    assert refused == []


def _accepted(value: str) -> bool:
    try:
        validate_id_number(value, TODAY)
    except InvalidIdNumber:
        return False
    return True


@pytest.mark.parametrize(("bad", "part"), [
    (number("350111", "19500312")[:17], "18位"),
    (number("350111", "19500312")[:16] + "A" + "X", "18位"),
    (number("350111", "19500312")[:17] + ("0" if number("350111", "19500312")[17] != "0" else "1"), "校验位"),
    (number("350111", "19500230"), "出生日期无效"),
    (number("350111", "20271125"), "出生日期不可能"),
    (number("350111", "18000101"), "出生日期不可能"),
    (number("990111", "19500312"), "省级行政区划"),
])
def test_the_message_names_the_failing_part_and_never_the_number(bad: str, part: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        validate_id_number(bad, TODAY)
    assert part in str(caught.value) and bad not in str(caught.value)


def test_a_card_the_reader_authenticated_is_never_refused_for_its_region() -> None:
    holder = card_holder("s", name="林阿婆", gender="女", nation="汉", birth=date(1950, 3, 12),
                         id_number=number("990111", "19500312"), today=TODAY)
    assert holder.age == 76 and holder.priority_hint == "elderly"


def test_a_lower_case_x_and_surrounding_spaces_are_forgiven_in_typed_numbers() -> None:
    valid = next(n for n in (number("350111", "19500312", f"{i:03d}") for i in range(100)) if n.endswith("X"))
    assert validate_id_number(f" {valid.lower()} ", TODAY) == valid
