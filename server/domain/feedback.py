"""意见建议/投诉 (art. 15, 21) and 窗口无否决权 (art. 27). Plain data, no I/O.

A visitor's suggestion or complaint is due a number of working days after it was given (a
complaint 5, a suggestion 10); a manager categorises it by line, level and person (条线、层次、人员),
replies and closes it; open past its due day it is overdue (an alert on the dashboard).
What a window cannot settle is recorded by the clerk and goes up to the managers, who resolve it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .errors import Conflict, NotFound

KINDS = {"suggestion": "意见建议", "complaint": "投诉"}
DUE_DAYS = {"complaint": 5, "suggestion": 10}
LEVELS = ("窗口", "科室", "中心")
STATUSES = ("open", "overdue", "closed")
STATUS_LABELS = {"open": "处理中", "overdue": "处理中（已超期）", "closed": "已办结"}
REPEAT_DAYS = 30  # repeat matters about one counter or clerk are counted over this many days


class UnknownFeedback(NotFound):
    """An unknown item and another hall's alike."""

    code = "unknown_feedback"

    def __init__(self, raw: object) -> None:
        super().__init__(f"没有编号为 {str(raw)[:20]} 的意见建议或投诉", f"no feedback {str(raw)[:20]!r}", "id")


class UnknownEscalation(NotFound):
    code = "unknown_escalation"

    def __init__(self, raw: object) -> None:
        super().__init__(f"没有编号为 {str(raw)[:20]} 的上报事项", f"no escalation {str(raw)[:20]!r}", "id")


class AlreadyClosed(Conflict):
    code = "already_closed"


class ReplyMissing(Conflict):
    code = "reply_missing"


def status(due: date, closed: bool, today: date) -> str:
    """``closed``, ``overdue`` (past its due day and not closed) or ``open``."""
    if closed:
        return "closed"
    return "overdue" if today > due else "open"


def repeats(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """How many matters name each counter and each clerk (most first): repeat matters stand out."""
    rows = list(rows)
    counters = Counter(int(r["counter"]) for r in rows if r.get("counter") is not None)
    clerks = Counter(str(r["clerk"]) for r in rows if r.get("clerk"))
    return {"counters": [{"counter": c, "count": n} for c, n in sorted(counters.items(), key=lambda x: (-x[1], x[0]))],
            "clerks": [{"clerk": c, "count": n} for c, n in sorted(clerks.items(), key=lambda x: (-x[1], x[0]))]}


def counts_by(rows: Iterable[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
    """Escalations per counter or clerk: ``[{key, count, open}]``, most first (none named last)."""
    total: Counter[Any] = Counter()
    still: Counter[Any] = Counter()
    for row in rows:
        total[row[key]] += 1
        if row["closed_at"] is None:
            still[row[key]] += 1
    order = sorted(total, key=lambda k: (k is None, -total[k], str(k)))
    return [{key: k, "count": total[k], "open": still[k]} for k in order]
