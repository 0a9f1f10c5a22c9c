"""Backups and restores, the rules without I/O (docs/operations.md).

A restore starts a new history. The copy ends at some ``seq`` and some ticket number; the hall
that died went on past both before it was lost. So a restored hall

- jumps its ``seq`` well past anything the lost history can have reached (:func:`restored_seq`):
  a screen resuming with ``?since=`` from the lost part finds no event that follows on from it and
  gets a fresh snapshot, never events of another history under numbers it already holds;
- continues today's ticket numbers from a round number above the copy's (:func:`number_floor`),
  so that a number issued again cannot be one a visitor holds on paper from the lost part.

The scheduled backups run once a day at a set local time (:func:`last_slot`), as dated files of
which the newest few are kept (:func:`backup_name`, :func:`to_prune`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo

SEQ_JUMP = 1_000_000
MIN_NUMBER_SKIP = 100  # today's numbers jump by at least this many (and by a busy day's issuing)
NUMBER_ROUND = 100  # and to a round hundred, so a manager can say "from A401 on: after the restore"
HISTORY_DAYS = 30  # the busiest day is looked for in the copy's last 30 days
KINDS = {"sqlite": "sqlite3", "postgresql": "pgdump"}  # database kind: backup file suffix
_NAME = re.compile(r"^onewindow-\d{8}-\d{6}\.(sqlite3|pgdump)$")


def restored_seq(copy_seq: int, at: datetime) -> int:
    """The seq a restored hall jumps to: the larger of the copy's seq and the restore's time in
    milliseconds since 1970, plus a million. The million covers the lost part of this history;
    the clock covers a history that itself began with a restore (restoring the same copy twice:
    the second jump lands past the first history's, as no hall makes an event per millisecond)."""
    return max(copy_seq, int(at.timestamp() * 1000)) + SEQ_JUMP


def number_floor(last_today: int, busiest_day: int, skip: int | None = None) -> int:
    """The serial after which a restored queue's numbers continue today: the copy's last number
    today, plus ``skip`` (by default the most the queue issued in one day of the copy, at least
    100), rounded up to a hundred. ``skip`` 0: straight on from the copy."""
    step = max(busiest_day, MIN_NUMBER_SKIP) if skip is None else skip
    if step <= 0:
        return last_today
    return -(-(last_today + step) // NUMBER_ROUND) * NUMBER_ROUND


def serial_of(number: str) -> tuple[str, int] | None:
    """``A050`` → (``A``, 50): the queue's letters and the day's serial; None for anything else."""
    prefix = number.rstrip("0123456789")
    digits = number[len(prefix):]
    return (prefix, int(digits)) if prefix and digits else None


def last_numbers(numbers: Iterable[tuple[date, str]]) -> dict[date, dict[str, int]]:
    """Each day's highest serial per queue, from (day, number) pairs."""
    out: dict[date, dict[str, int]] = {}
    for day, number in numbers:
        parsed = serial_of(number)
        if parsed is None:
            continue
        prefix, serial = parsed
        per_day = out.setdefault(day, {})
        per_day[prefix] = max(per_day.get(prefix, 0), serial)
    return out


def last_slot(now: datetime, at: time, tz: tzinfo) -> datetime:
    """The latest scheduled time at or before ``now`` (``at`` o'clock, local to ``tz``)."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), at, tzinfo=tz)
    return slot if slot <= local else slot - timedelta(days=1)


def backup_name(at: datetime, kind: str) -> str:
    """``onewindow-20261125-020000.sqlite3``: the local time it was taken, then the format."""
    return f"onewindow-{at:%Y%m%d-%H%M%S}.{KINDS[kind]}"


def to_prune(names: Iterable[str], keep: int) -> list[str]:
    """The scheduled backups beyond the newest ``keep`` (other files in the folder are never touched)."""
    ours = sorted((n for n in names if _NAME.match(n)), reverse=True)
    return ours[max(keep, 1):]
