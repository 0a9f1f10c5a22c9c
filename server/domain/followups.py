"""整改: the follow-up a 不满意 or 非常不满意 rating opens. Plain data, no I/O.

A follow-up is due a number of working days after the rating (5 unless the hall says otherwise).
It is closed by a manager once the visitor has been called back and the fix is written down;
until then, past its due date, it is overdue (an alert on the dashboard).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .errors import Conflict, NotFound
from .ratings import UNHAPPY

DEFAULT_DUE_DAYS = 5
MAX_DUE_DAYS = 60
STATUSES = ("open", "overdue", "closed")


class UnknownFollowup(NotFound):
    """An unknown follow-up and another hall's alike."""

    code = "unknown_followup"

    def __init__(self, raw: object) -> None:
        shown = repr(raw) if isinstance(raw, str) else raw
        super().__init__(f"没有整改单 {raw}", f"no follow-up {shown}")


class FollowupClosed(Conflict):
    code = "followup_closed"


class NotReadyToClose(Conflict):
    code = "not_ready_to_close"


def opens_followup(level: int) -> bool:
    """不满意 (2) and 非常不满意 (1) open a follow-up."""
    return level <= UNHAPPY


def status(due: date, closed: bool, today: date) -> str:
    """``closed``, ``overdue`` (past its due day and not closed) or ``open``."""
    if closed:
        return "closed"
    return "overdue" if today > due else "open"


def close_blockers(row: Any) -> list[str]:
    """What is missing before the follow-up may be closed: the call-back, the fix, or nothing."""
    missing = []
    if row["callback_at"] is None:
        missing.append("callback")
    if row["fix_at"] is None:
        missing.append("fix")
    return missing
