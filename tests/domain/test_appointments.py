"""The booking rules, pure: slots, the arrival window, bookable days and the no-show ban."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.domain.appointments import (
    CODE_ALPHABET,
    AppointmentRefused,
    AppointmentRules,
    AppointmentSettings,
    Slot,
    arrival_window,
    ban_until,
    bookable_days,
    check_booking,
    check_in_timing,
    new_code,
    slots_of,
)
from server.domain.errors import InvalidInput
from server.domain.workdays import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
RULES = AppointmentRules()
CAL = WorkCalendar()
WEDNESDAY_9 = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)


def test_default_slots_cover_the_morning_and_the_afternoon() -> None:
    slots = slots_of(RULES)
    assert [s.name for s in slots] == ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
                                       "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00"]
    assert slots[-1].end_name == "17:30"


def test_a_short_tail_is_not_a_slot() -> None:
    rules = AppointmentRules(hours=((time(9, 0), time(10, 50)),), slot_minutes=40)
    assert [(s.name, s.end_name) for s in slots_of(rules)] == [("09:00", "09:40"), ("09:40", "10:20")]


def test_the_window_opens_15_minutes_early_and_closes_with_the_slot() -> None:
    window = arrival_window(date(2026, 11, 25), Slot(time(10, 0), time(10, 30)), TZ, 15)
    assert window == (datetime(2026, 11, 25, 9, 45, tzinfo=TZ), datetime(2026, 11, 25, 10, 30, tzinfo=TZ))
    second = timedelta(seconds=1)
    assert check_in_timing(window[0] - second, window) == "early"
    assert check_in_timing(window[0], window) == "on_time"
    assert check_in_timing(window[1], window) == "on_time"
    assert check_in_timing(window[1] + second, window) == "late"


def test_bookable_days_skip_weekends_and_holidays() -> None:
    days = bookable_days(RULES, CAL, WEDNESDAY_9)
    assert days == [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30),
                    date(2026, 12, 1), date(2026, 12, 2)]
    late_evening = datetime(2026, 11, 25, 17, 5, tzinfo=TZ)
    assert bookable_days(RULES, CAL, late_evening)[0] == date(2026, 11, 26)
    national_day = bookable_days(RULES, CAL, datetime(2026, 9, 30, 9, tzinfo=TZ))
    assert all(not (date(2026, 10, 1) <= d <= date(2026, 10, 7)) for d in national_day)
    assert date(2026, 10, 10) in bookable_days(RULES, CAL, datetime(2026, 10, 8, 9, tzinfo=TZ))  # 调休


@pytest.mark.parametrize(("day", "slot", "field", "code"), [
    (date(2026, 11, 24), "10:00", "date", "date_past"),
    (date(2026, 12, 3), "10:00", "date", "date_too_far"),
    (date(2026, 11, 29), "10:00", "date", "day_closed"),
    (date(2026, 11, 26), "12:00", "slot", "invalid_slot"),
    (date(2026, 11, 25), "09:00", "slot", "slot_past"),
])
def test_check_booking_refuses_with_the_field(day: date, slot: str, field: str, code: str) -> None:
    with pytest.raises(AppointmentRefused) as refused:
        check_booking(RULES, CAL, day, slot, WEDNESDAY_9)
    assert isinstance(refused.value, InvalidInput)  # 422 at the edge
    assert (refused.value.field, refused.value.code) == (field, code)


def test_check_booking_accepts_a_later_slot_today_and_the_last_day() -> None:
    assert check_booking(RULES, CAL, date(2026, 11, 25), "09:30", WEDNESDAY_9).name == "09:30"
    assert check_booking(RULES, CAL, date(2026, 12, 2), "17:00", WEDNESDAY_9).end_name == "17:30"


def test_three_no_shows_in_six_months_ban_for_30_days_from_the_last() -> None:
    today = date(2026, 11, 30)
    two = [date(2026, 11, 25), date(2026, 11, 26)]
    assert ban_until(two, today, RULES) is None
    three = [*two, date(2026, 11, 27)]
    assert ban_until(three, today, RULES) == date(2026, 12, 28)
    assert ban_until(three, date(2026, 12, 27), RULES) == date(2026, 12, 28)
    assert ban_until(three, date(2026, 12, 28), RULES) is None
    old = [date(2026, 1, 5), date(2026, 11, 26), date(2026, 11, 27)]  # one is older than 6 months
    assert ban_until(old, today, RULES) is None


def test_settings_default_to_queues_a_to_d_and_take_overrides() -> None:
    default = AppointmentSettings.from_json(None)
    assert default.queues == ("A", "B", "C", "D") and default.rules_for("L") is None
    settings = AppointmentSettings.from_json({"queues": ["A", "L"], "rules": {"capacity": 2},
                                              "per_queue": {"L": {"slot_minutes": 60,
                                                                  "hours": [["09:00", "11:00"]]}}})
    assert settings.rules_for("A") == AppointmentRules(capacity=2)
    l_rules = settings.rules_for("L")
    assert l_rules is not None and l_rules.capacity == 2 and [s.name for s in slots_of(l_rules)] == ["09:00", "10:00"]
    assert AppointmentSettings.from_json(settings.to_json()) == settings


def test_codes_are_six_unambiguous_characters() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) > 190
    assert all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("01OIL5S2Z8B") & set(CODE_ALPHABET)
