"""What a simulation gives back: every visit, the counters' use and the day's timeline, with the
figures a manager reads (waits per queue and per group, service within 15 and 30 minutes,
utilisation, abandonment) as a terminal table, JSON or SVG charts.

Waits are from issuing to the first call, as docs/kpis.md counts them; a visitor never called (still
waiting when the day ended) counts against "within 15/30 minutes" and has no wait.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.domain.model import PolicyConfig
from server.reports import charts as svg

GROUPS = ("walk_in", "priority", "appointment")
GROUP_NAMES = {"walk_in": "普通", "priority": "优先", "appointment": "预约"}
POLICY_NAMES = {"guarded": "保护等候", "strict": "严格优先", "ratio": "比例 N:1", "weighted": "加权等候"}


@dataclass(slots=True)
class Visit:
    """One ticket's life in the simulation."""

    ticket: str  # the Hall's ticket id
    number: str
    day: date
    queue: str
    group: str  # walk_in, priority or appointment (the calling class)
    priority: str
    channel: str
    item: str | None
    issued_at: datetime
    eta_s: int | None  # the estimate the ticket showed when issued (Hall.ticket_eta_s); None if carried
    ahead: int | None  # Hall.ahead at issuing
    queue_waiting: int  # others waiting in its queue at issuing, any class (the naive estimate's "ahead")
    queue_counters: int  # open, unpaused counters listing its queue at issuing
    called_at: datetime | None = None  # the first call
    counter: int | None = None
    finished_at: datetime | None = None
    status: str = "waiting"  # done, no_show, or unserved (still waiting when its day ended)
    reinstated: bool = False
    carried: bool = False  # already in the hall when the run started (``start=``)

    @property
    def wait_s(self) -> float | None:
        return (self.called_at - self.issued_at).total_seconds() if self.called_at else None


@dataclass(slots=True)
class CounterUse:
    number: int
    open_s: float = 0.0  # open and not paused
    busy_s: float = 0.0  # from a call to the visitor's leaving (done or 过号)
    served: int = 0
    no_shows: int = 0

    @property
    def utilisation(self) -> float | None:
        return self.busy_s / self.open_s if self.open_s > 0 else None


@dataclass(frozen=True, slots=True)
class Sample:
    """The hall every 15 minutes: who waits in each queue, how many counters are open (not paused)."""

    at: datetime
    waiting: dict[str, int]
    counters_open: int


@dataclass
class Result:
    hall: str
    hall_name: str
    timezone: str
    queues: tuple[tuple[str, str], ...]  # (code, name), in the hall's order
    profile: str
    first_day: date
    days: int
    seed: int
    policy: PolicyConfig
    visits: list[Visit] = field(default_factory=list)
    counters: dict[int, CounterUse] = field(default_factory=dict)
    timeline: list[Sample] = field(default_factory=list)
    started_at: datetime | None = None  # a run from a hall's state: the moment it started

    # ------------------------------------------------------------------ figures
    def select(self, queue: str | None = None, group: str | None = None) -> list[Visit]:
        return [v for v in self.visits if (queue is None or v.queue == queue) and (group is None or v.group == group)]

    def mean_wait_s(self, queue: str | None = None, group: str | None = None) -> float | None:
        """The mean wait of those called (the figure a what-if compares)."""
        waits = [w for v in self.select(queue, group) if (w := v.wait_s) is not None]
        return sum(waits) / len(waits) if waits else None

    def figures(self, queue: str | None = None, group: str | None = None) -> dict[str, Any]:
        return figures(self.select(queue, group))

    # ------------------------------------------------------------------ shapes
    def as_json(self) -> dict[str, Any]:
        """Everything as JSON-ready data: seconds for times, shares 0–1, ISO times with the offset."""
        tz = ZoneInfo(self.timezone)
        return {
            "hall": self.hall, "profile": self.profile, "first_day": self.first_day.isoformat(), "days": self.days,
            "seed": self.seed, "policy": policy_json(self.policy),
            "started_at": self.started_at.astimezone(tz).isoformat() if self.started_at else None,
            "total": self.figures(),
            "queues": [{"queue": code, "name": name, **self.figures(queue=code)} for code, name in self.queues],
            "groups": [{"group": g, "name": GROUP_NAMES[g], **self.figures(group=g)} for g in GROUPS],
            "counters": [{"number": c.number, "open_s": round(c.open_s), "busy_s": round(c.busy_s),
                          "utilisation": _round(c.utilisation, 4), "served": c.served, "no_shows": c.no_shows}
                         for c in sorted(self.counters.values(), key=lambda c: c.number)],
            "timeline": [{"at": s.at.astimezone(tz).isoformat(timespec="minutes"), "waiting": s.waiting,
                          "counters_open": s.counters_open} for s in self.timeline],
        }

    def as_table(self) -> str:
        """The figures for a terminal, in Chinese, columns aligned for full-width characters."""
        policy = POLICY_NAMES.get(self.policy.kind, self.policy.kind)
        start = self.started_at.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M") \
            if self.started_at else self.first_day.isoformat()
        lines = [f"模拟：{self.hall_name}（{self.profile or self.hall}），自 {start} 起 {self.days} 天，"
                 f"随机种子 {self.seed}，叫号规则 {policy}", ""]
        head = ["", "人数", "平均等候", "中位数", "P90", "最长", "15分钟内", "30分钟内", "过号", "未叫到"]
        rows = [[f"{code} {name}", *_cells(self.figures(queue=code))] for code, name in self.queues]
        rows += [[f"{GROUP_NAMES[g]}", *_cells(self.figures(group=g))] for g in GROUPS]
        rows.append(["合计", *_cells(self.figures())])
        lines += _aligned([["队列 / 分组", *head[1:]], *rows], split=(len(self.queues), len(GROUPS)))
        lines += ["", "（等候：取号到首次叫号，分钟；15/30分钟内：占取号人数之比，未叫到的计为超时）", ""]
        crows = [[f"{c.number}号窗口", _minutes_h(c.open_s), _percent(c.utilisation), str(c.served), str(c.no_shows)]
                 for c in sorted(self.counters.values(), key=lambda c: c.number)]
        lines += _aligned([["窗口", "开放时长", "忙碌占比", "办结", "过号"], *crows], split=())
        return "\n".join(lines)

    def charts(self) -> dict[str, str]:
        """SVG charts (server/reports/charts.py) by file name: the waits per queue, the waiting timeline."""
        labels = [code for code, _ in self.queues]
        stats = [self.figures(queue=code)["wait_s"] for code in labels]
        waits = svg.bars("模拟：各队列等候时长（分钟）", labels,
                         [("平均", [round((s["mean"] or 0) / 60, 1) for s in stats]),
                          ("P90", [round((s["p90"] or 0) / 60, 1) for s in stats])], x_title="队列")
        tz = ZoneInfo(self.timezone)
        first = [s for s in self.timeline if s.at.astimezone(tz).date() == self.timeline[0].at.astimezone(tz).date()] \
            if self.timeline else []
        timeline = svg.bars("模拟：等候人数与开放窗口（首日，每15分钟）",
                            [s.at.astimezone(tz).strftime("%H:%M") for s in first],
                            [("等候人数", [sum(s.waiting.values()) for s in first])],
                            ("开放窗口", [s.counters_open for s in first]), x_title="时刻")
        return {"waits.svg": waits, "timeline.svg": timeline}


# ---------------------------------------------------------------------------------------- figures
def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest rank of an ascending list."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def figures(visits: Iterable[Visit]) -> dict[str, Any]:
    chosen = list(visits)
    waits = sorted(w for v in chosen if (w := v.wait_s) is not None)
    n = len(chosen)
    no_shows = sum(1 for v in chosen if v.status == "no_show")
    called = len(waits)
    return {
        "visitors": n, "called": called, "served": sum(1 for v in chosen if v.status == "done"),
        "no_shows": no_shows, "unserved": sum(1 for v in chosen if v.status == "unserved"),
        "no_show_rate": _round(no_shows / called, 4) if called else None,
        "wait_s": {"mean": _round(sum(waits) / called, 1) if called else None,
                   "p50": _round(percentile(waits, 0.5), 1), "p90": _round(percentile(waits, 0.9), 1),
                   "max": _round(waits[-1], 1) if waits else None},
        "within_15": _round(sum(1 for w in waits if w <= 900) / n, 4) if n else None,
        "within_30": _round(sum(1 for w in waits if w <= 1800) / n, 4) if n else None,
    }


def policy_json(policy: PolicyConfig) -> dict[str, Any]:
    return {"kind": policy.kind, "max_priority_streak": policy.max_priority_streak,
            "walk_in_max_wait_s": policy.walk_in_max_wait_s, "priority_weight": policy.priority_weight}


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------------------------------- the table
def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"


def _minutes_h(seconds: float) -> str:
    return f"{int(seconds // 3600)}时{int(seconds % 3600 // 60):02d}分"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _cells(f: dict[str, Any]) -> list[str]:
    w = f["wait_s"]
    return [str(f["visitors"]), _minutes(w["mean"]), _minutes(w["p50"]), _minutes(w["p90"]), _minutes(w["max"]),
            _percent(f["within_15"]), _percent(f["within_30"]), str(f["no_shows"]), str(f["unserved"])]


def width(text: str) -> int:
    """Columns a terminal gives the text: two for a full-width (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(rows: list[list[str]], split: Sequence[int]) -> list[str]:
    """The first column left-aligned, the others right-aligned; a rule under the heading and
    after each block of ``split`` rows."""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: list[str]) -> str:
        cells = [row[0] + " " * (widths[0] - width(row[0]))]
        cells += [" " * (widths[i] - width(cell)) + cell for i, cell in enumerate(row[1:], start=1)]
        return "  ".join(cells).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    out = [line(rows[0]), rule]
    breaks, total = set(), 0
    for size in split:
        total += size
        breaks.add(total)
    for i, row in enumerate(rows[1:], start=1):
        out.append(line(row))
        if i in breaks and i < len(rows) - 1:
            out.append(rule)
    return out
