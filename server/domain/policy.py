"""Calling policies: which waiting ticket a counter calls next, within one queue.

A policy sees only the head (oldest by ``order_at``) of each calling class in the queue and the
calling counter's streak of non-walk-in calls, so choosing is O(1) whatever the queue length.
docs/calling-policy.md describes each policy and the guarantees the tests prove.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .model import APPOINTMENT_CLASS, PRIORITY_CLASS, WALK_IN_CLASS, PolicyConfig, Ticket

Heads = Mapping[int, Ticket]  # calling class -> oldest waiting ticket of that class
Chooser = Callable[[Heads, int, float], Ticket | None]  # (heads, streak, now) -> ticket


def _first_by_class(heads: Heads) -> Ticket | None:
    for cls in (APPOINTMENT_CLASS, PRIORITY_CLASS, WALK_IN_CLASS):
        if cls in heads:
            return heads[cls]
    return None


def strict(config: PolicyConfig) -> Chooser:
    """Appointments, then priority groups, then walk-ins; walk-ins wait as long as it takes."""

    def choose(heads: Heads, streak: int, now: float) -> Ticket | None:
        return _first_by_class(heads)

    return choose


def guarded(config: PolicyConfig) -> Chooser:
    """Strict order, except that the oldest walk-in goes next when the counter has made K
    non-walk-in calls in a row *and* that walk-in has waited T seconds or more.

    Both, not either: in a busy hall every walk-in at the head has waited T, so "or" would put
    the special groups (seed art. 13: served first) behind every walk-in. The guard only keeps
    walk-ins from starving when priority visitors never stop coming."""

    def choose(heads: Heads, streak: int, now: float) -> Ticket | None:
        walk_in = heads.get(WALK_IN_CLASS)
        if walk_in is not None and (
            streak >= config.max_priority_streak and now - walk_in.order_at >= config.walk_in_max_wait_s
        ):
            return walk_in
        return _first_by_class(heads)

    return choose


def ratio(config: PolicyConfig) -> Chooser:
    """N:1 — after N non-walk-in calls in a row, one walk-in (if any waits)."""

    def choose(heads: Heads, streak: int, now: float) -> Ticket | None:
        walk_in = heads.get(WALK_IN_CLASS)
        if walk_in is not None and streak >= config.max_priority_streak:
            return walk_in
        return _first_by_class(heads)

    return choose


def weighted(config: PolicyConfig) -> Chooser:
    """Weighted ageing: appointments first; otherwise the longest effective wait, where a
    priority ticket's waited time counts w times."""

    def choose(heads: Heads, streak: int, now: float) -> Ticket | None:
        if APPOINTMENT_CLASS in heads:
            return heads[APPOINTMENT_CLASS]
        prio, walk_in = heads.get(PRIORITY_CLASS), heads.get(WALK_IN_CLASS)
        if prio is None or walk_in is None:
            return prio or walk_in
        if (now - prio.order_at) * config.priority_weight >= now - walk_in.order_at:
            return prio
        return walk_in

    return choose


POLICIES: dict[str, Callable[[PolicyConfig], Chooser]] = {
    "guarded": guarded,
    "strict": strict,
    "ratio": ratio,
    "weighted": weighted,
}


def make_chooser(config: PolicyConfig) -> Chooser:
    try:
        return POLICIES[config.kind](config)
    except KeyError:
        raise ValueError(f"unknown calling policy {config.kind!r}; choose one of {sorted(POLICIES)}") from None
