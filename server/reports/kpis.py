"""The KPI formulas, pure: what a day's tickets, ratings and cases add up to (docs/kpis.md).

An ``Agg`` holds only sums and histograms, so that days add up: a month is the sum of its days,
and its percentiles come from the summed histograms (10-second buckets: exact to 10 s).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

BUCKET_S = 10  # histogram bucket width
MAX_BUCKET = 24 * 360 - 1  # a whole day; longer waits land in the last bucket
SATISFIED = frozenset({5, 4})  # 非常满意, 满意 (基本满意 counts toward good_rate only)
GOOD = frozenset({5, 4, 3})
DECIDED = frozenset({"approved", "rejected", "ready", "collected", "mailed"})
PART_DECIDED = frozenset({"approved", "rejected"})  # a department's own decision on its part
SL_15, SL_30 = 15 * 60, 30 * 60

COUNTS = ("tickets", "served", "no_shows", "cancelled", "called", "abandoned", "within_15", "within_30",
          "wait_sum", "service_n", "service_sum", "served_comprehensive", "ratings", "satisfied", "good",
          "applications", "online", "cases", "immediate", "joint", "paperless", "standard",
          "facts", "paperless_known", "standard_known", "comprehensive", "comprehensive_known")
# The art. 22 numerators as roll-ups written before issue 20 counted them (other definitions): such a
# roll-up (no "facts" in it) gives them as unknown, not as 0 (docs/kpis.md).
ART22_V1 = ("online", "immediate", "joint", "paperless", "standard")


def bucket(seconds: float) -> int:
    return min(max(int(seconds // BUCKET_S), 0), MAX_BUCKET)


@dataclass
class Agg:
    """Sums over a set of tickets, ratings and cases; ``+`` combines two sets."""

    tickets: int = 0  # issued
    served: int = 0  # done
    no_shows: int = 0
    cancelled: int = 0
    called: int = 0  # tickets with a call: their wait is known
    abandoned: int = 0  # never called (cancelled at day end or still waiting): count against service level
    within_15: int = 0
    within_30: int = 0
    wait_sum: float = 0.0
    service_n: int = 0
    service_sum: float = 0.0
    served_comprehensive: int = 0
    ratings: int = 0
    satisfied: int = 0
    good: int = 0
    applications: int = 0  # cases received (any status)
    cases: int = 0  # cases accepted
    # the art. 22 rates (docs/kpis.md): each numerator with the accepted cases whose fact is known
    facts: int = 0  # accepted cases with the facts of issue 20 (channel, departments, decision day)
    online: int = 0  # of ``facts``: channel online (网上办理)
    immediate: int = 0  # of ``facts``: decided on the day they were accepted (即办)
    joint: int = 0  # of ``facts``: more than one deciding department (联合办理)
    paperless: int = 0
    paperless_known: int = 0  # accepted cases whose paper question was answered (无纸化)
    standard: int = 0
    standard_known: int = 0  # accepted cases whose item's standard was recorded at receipt (标准化)
    comprehensive: int = 0
    comprehensive_known: int = 0  # accepted cases taken at a window or online (综合办理)
    wait_hist: dict[int, int] = field(default_factory=dict)
    service_hist: dict[int, int] = field(default_factory=dict)

    def __iadd__(self, other: Agg) -> Agg:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.wait_hist, other.wait_hist), (self.service_hist, other.service_hist)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        return self

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in COUNTS}
        out["wait_hist"] = {str(k): v for k, v in self.wait_hist.items()}
        out["service_hist"] = {str(k): v for k, v in self.service_hist.items()}
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Agg:
        agg = cls(**{name: data.get(name, 0) for name in COUNTS})
        if "facts" not in data:  # a roll-up from before issue 20: its art. 22 counts meant something else
            for name in ART22_V1:
                setattr(agg, name, 0)
        agg.wait_hist = {int(k): int(v) for k, v in (data.get("wait_hist") or {}).items()}
        agg.service_hist = {int(k): int(v) for k, v in (data.get("service_hist") or {}).items()}
        return agg

    # ------------------------------------------------------------------ adding one thing
    def add_ticket(self, status: str, wait_s: float | None, service_s: float | None, comprehensive: bool) -> None:
        """``wait_s``: issued → first call, None if never called; ``service_s``: start (or call) →
        finish for a done ticket."""
        self.tickets += 1
        if status == "done":
            self.served += 1
            self.served_comprehensive += comprehensive
        elif status == "no_show":
            self.no_shows += 1
        elif status == "cancelled":
            self.cancelled += 1
        if wait_s is None:
            if status in ("cancelled", "waiting"):
                self.abandoned += 1
        else:
            wait_s = max(wait_s, 0.0)
            self.called += 1
            self.wait_sum += wait_s
            self.within_15 += wait_s <= SL_15
            self.within_30 += wait_s <= SL_30
            b = bucket(wait_s)
            self.wait_hist[b] = self.wait_hist.get(b, 0) + 1
        if status == "done" and service_s is not None:
            service_s = max(service_s, 0.0)
            self.service_n += 1
            self.service_sum += service_s
            b = bucket(service_s)
            self.service_hist[b] = self.service_hist.get(b, 0) + 1

    def add_rating(self, level: int) -> None:
        self.ratings += 1
        self.satisfied += level in SATISFIED
        self.good += level in GOOD

    def add_application(self) -> None:
        self.applications += 1

    def add_case(self, immediate: bool, joint: bool, paperless: bool | None, standard: bool | None,
                 online: bool = False, comprehensive: bool | None = None) -> None:
        """One accepted case; a fact given as None is unknown (recorded neither way): it is left out
        of its rate's denominator."""
        self.cases += 1
        self.facts += 1
        self.immediate += immediate
        self.joint += joint
        self.online += online
        for name, fact in (("paperless", paperless), ("standard", standard), ("comprehensive", comprehensive)):
            if fact is not None:
                setattr(self, f"{name}_known", getattr(self, f"{name}_known") + 1)
                setattr(self, name, getattr(self, name) + bool(fact))


def percentile(hist: dict[int, int], q: float) -> float | None:
    """The q-quantile (nearest rank) from a histogram, as its bucket's midpoint; None when empty."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = max(1, -(-int(q * total * 1000) // 1000))  # ceil(q·n) without float surprises
    seen = 0
    for k in sorted(hist):
        seen += hist[k]
        if seen >= rank:
            return k * BUCKET_S + BUCKET_S / 2
    return max(hist) * BUCKET_S + BUCKET_S / 2


def rate(numerator: float, denominator: float) -> float | None:
    """A share in 0..1, rounded to 4 places; None (shown as "—") when the denominator is zero."""
    return None if denominator == 0 else round(numerator / denominator, 4)


def _mean(total: float, n: int) -> float | None:
    return None if n == 0 else round(total / n, 1)


def is_immediate(accepted_day: Any, decided_days: Iterable[Any]) -> bool:
    """即办 (art. 18, 22): decided on the hall-local day it was accepted — what was done, not what the
    item promises (an item of time limit 0 left undecided that day is not 即办)."""
    return any(d == accepted_day for d in decided_days)


def row(key: str, label: str, agg: Agg) -> dict[str, Any]:
    """One report row as the API gives it."""
    return {
        "key": key, "label": label,
        "tickets": agg.tickets, "served": agg.served, "no_shows": agg.no_shows, "cancelled": agg.cancelled,
        "avg_wait_s": _mean(agg.wait_sum, agg.called), "p90_wait_s": percentile(agg.wait_hist, 0.9),
        "avg_service_s": _mean(agg.service_sum, agg.service_n), "p90_service_s": percentile(agg.service_hist, 0.9),
        "within_15": rate(agg.within_15, agg.called + agg.abandoned),
        "within_30": rate(agg.within_30, agg.called + agg.abandoned),
        "no_show_rate": rate(agg.no_shows, agg.served + agg.no_shows),
        "ratings": agg.ratings, "satisfaction_rate": rate(agg.satisfied, agg.ratings),
        "good_rate": rate(agg.good, agg.ratings),
        "applications": agg.applications, "cases": agg.cases, **art22(agg),
    }


def art22(agg: Agg) -> dict[str, float | None]:
    """The six rates of art. 22 over the accepted cases whose fact is known (docs/kpis.md)."""
    return {
        "immediate_rate": rate(agg.immediate, agg.facts),
        "online_rate": rate(agg.online, agg.facts),
        "comprehensive_rate": rate(agg.comprehensive, agg.comprehensive_known),
        "joint_rate": rate(agg.joint, agg.facts),
        "paperless_rate": rate(agg.paperless, agg.paperless_known),
        "standard_rate": rate(agg.standard, agg.standard_known),
    }


def case_decision(status: str, events: list[tuple[str, str | None, Any]], updated_at: Any) -> Any:
    """When the case was decided, or None while it is not: its own approval or rejection; else the
    first department's rejection or the last approval (which decided it); else its first later step."""
    if status not in DECIDED:
        return None
    own = [at for s, d, at in events if d is None and s in PART_DECIDED]
    if own:
        return own[0]
    rejected = [at for s, d, at in events if d is not None and s == "rejected"]
    if rejected:
        return rejected[0]
    approved = [at for s, d, at in events if d is not None and s == "approved"]
    if approved:
        return approved[-1]
    later = [at for s, _, at in events if s in DECIDED]
    return later[0] if later else updated_at
