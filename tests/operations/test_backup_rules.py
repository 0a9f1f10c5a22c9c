"""The rules of backups and restores, without I/O (server/domain/backups.py) and their alert."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.demo import JINAN
from server.domain import backups as rules
from server.domain.alerts import backup_problems
from server.domain.hall import Hall
from server.domain.model import Event
from server.settings import Backups, SettingsError, load_settings

CHINA = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 15:30 in the hall


def test_a_restored_seq_lands_past_the_lost_history_and_past_an_earlier_restore() -> None:
    assert rules.restored_seq(1234, datetime(1970, 1, 1, tzinfo=UTC)) == 1234 + 1_000_000
    first = rules.restored_seq(1234, NOW)
    assert first > 1234 + 1_000_000
    # The same copy restored again an hour later, after the first new history made 100,000 events.
    assert rules.restored_seq(1234, NOW + timedelta(hours=1)) > first + 100_000


def test_today_s_numbers_continue_from_a_round_hundred_past_a_busy_day() -> None:
    assert rules.number_floor(50, 312) == 400  # A050 in the copy, 312 on the busiest day: from A401
    assert rules.number_floor(0, 0) == 100  # a quiet queue still skips a hundred
    assert rules.number_floor(50, 312, skip=0) == 50  # --skip-numbers 0: straight on from A051
    assert rules.number_floor(50, 312, skip=30) == 100


def test_last_numbers_per_day_and_queue() -> None:
    day = date(2026, 11, 25)
    got = rules.last_numbers([(day, "A009"), (day, "A010"), (day, "B002"), (day - timedelta(days=1), "A120"),
                              (day, "odd")])
    assert got == {day: {"A": 10, "B": 2}, day - timedelta(days=1): {"A": 120}}


def test_the_latest_slot_and_the_files_kept() -> None:
    assert rules.last_slot(NOW, time(2, 0), CHINA) == datetime(2026, 11, 25, 2, 0, tzinfo=CHINA)
    assert rules.last_slot(NOW, time(16, 0), CHINA) == datetime(2026, 11, 24, 16, 0, tzinfo=CHINA)
    assert rules.backup_name(NOW.astimezone(CHINA), "sqlite") == "onewindow-20261125-153000.sqlite3"
    names = [f"onewindow-202611{d:02d}-020000.pgdump" for d in range(1, 11)] + ["notes.txt", "onewindow.db"]
    assert rules.to_prune(names, 3) == [f"onewindow-202611{d:02d}-020000.pgdump" for d in range(7, 0, -1)]


def test_a_restore_event_raises_today_s_serials() -> None:
    hall = Hall(JINAN, seq=10)
    event = Event("hall.restored", 2_000_000, NOW, extra={"day": "2026-11-25", "serials": {"A": 400}})
    hall.apply(event)
    assert hall.seq == 2_000_000
    (issued,) = hall.issue("A", NOW + timedelta(minutes=1), "token-1")
    assert issued.ticket is not None and issued.ticket.number == "A401"
    assert issued.seq == 2_000_001


def test_a_failed_or_missing_scheduled_backup_is_an_alert_until_one_succeeds() -> None:
    hall = Hall(JINAN)
    slot = datetime(2026, 11, 25, 2, 0, tzinfo=CHINA)
    failed = {"ok": False, "at": slot, "detail": {"error": "no folder /srv/backups"}}
    (alert,) = backup_problems(hall, NOW, {"slot": slot, "last": failed})
    assert (alert.id, alert.kind, alert.severity) == ("backup_failed:20261125", "backup_failed", "critical")
    assert alert.title == "11月25日 02:00 的自动备份失败：no folder /srv/backups"
    assert "ONEWINDOW_BACKUP_DIR" in alert.action
    assert backup_problems(hall, NOW, {"slot": slot, "last": {"ok": True, "at": NOW, "detail": {}}}) == []
    assert backup_problems(hall, NOW, None) == []  # no scheduled backups set up
    assert backup_problems(hall, slot + timedelta(minutes=30), {"slot": slot, "last": None}) == []  # running
    (missing,) = backup_problems(hall, NOW, {"slot": slot, "last": None})
    assert missing.title.startswith("11月25日 02:00 的自动备份没有完成")


def test_the_backup_settings_are_read_and_checked() -> None:
    base = {"SECRET_KEY": "s" * 40}
    assert load_settings(base).backups == Backups(None, 7, time(2, 0))
    assert load_settings({**base, "ONEWINDOW_BACKUP_DIR": "/srv/b", "ONEWINDOW_BACKUP_KEEP": "14",
                          "ONEWINDOW_BACKUP_AT": "23:30"}).backups == Backups("/srv/b", 14, time(23, 30))
    for name, value in (("ONEWINDOW_BACKUP_KEEP", "0"), ("ONEWINDOW_BACKUP_KEEP", "many"),
                        ("ONEWINDOW_BACKUP_AT", "2am"), ("ONEWINDOW_BACKUP_AT", "25:00")):
        with pytest.raises(SettingsError, match=name):
            load_settings({**base, name: value})
