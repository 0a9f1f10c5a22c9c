"""The Chinese working calendar: statutory holidays closed, adjusted working weekends open."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.workdays import HolidayTable, WorkCalendar


@pytest.mark.parametrize(("start", "days", "due"), [
    (date(2025, 9, 30), 3, date(2025, 10, 11)),  # National Day week off, Saturday 10-11 worked
    (date(2025, 1, 24), 5, date(2025, 2, 7)),  # Spring Festival; Sunday 01-26 worked
    (date(2026, 2, 13), 2, date(2026, 2, 24)),  # Spring Festival 2026; Saturday 02-14 worked
])
def test_the_three_vectors(start: date, days: int, due: date) -> None:
    assert WorkCalendar().add_working_days(start, days) == (due, False)


def test_zero_days_is_the_same_day() -> None:
    assert WorkCalendar().add_working_days(date(2026, 11, 25), 0) == (date(2026, 11, 25), False)


def test_an_unknown_year_counts_monday_to_friday_and_is_provisional() -> None:
    day, provisional = WorkCalendar().add_working_days(date(2027, 3, 5), 3)  # a Friday
    assert day == date(2027, 3, 10) and provisional is True
    assert WorkCalendar().add_working_days(date(2026, 12, 30), 3) == (date(2027, 1, 4), True)
    assert WorkCalendar().add_working_days(date(2099, 1, 1), 400)[1] is True


def test_a_loaded_table_makes_a_year_known() -> None:
    table = HolidayTable(2027, holidays=frozenset({date(2027, 3, 8)}), workdays=frozenset({date(2027, 3, 6)}))
    assert WorkCalendar({2027: table}).add_working_days(date(2027, 3, 5), 3) == (date(2027, 3, 10), False)
