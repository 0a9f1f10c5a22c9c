"""The facts a case carries for the art. 22 rates, fixed when it is received (docs/kpis.md): whether its
item had a complete standard (标准化, art. 8) and whether it was accepted at a comprehensive window (综合
办理, art. 3, 5). Kept on the case, so that a later change to the catalog or to the counters does not
rewrite what past days were."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from server.store import tables as t

# A department whose windows are the centre's own: its items are taken at comprehensive windows.
COMPREHENSIVE_DEPARTMENTS = ("综合窗口", "行政服务中心")


def standard_complete(item: Mapping[str, Any]) -> bool:
    """标准化 (art. 8): the item publishes the standard the seed lists and the catalog records — its
    materials (申请材料), its time limit (审批时限: always there, 0 is 即办), its legal basis (设定依据),
    its acceptance standard (受理标准) and its fee (审批收费, "不收费" included)."""
    texts = (item.get("legal_basis"), item.get("acceptance_standard"), item.get("fee"))
    return bool(item.get("materials")) and item.get("time_limit_days") is not None \
        and all(isinstance(x, str) and x.strip() for x in texts)


def comprehensive_counters(config: Mapping[str, Any], items: Iterable[Mapping[str, Any]],
                           names: Mapping[str, str] | None = None) -> set[int]:
    """The hall's comprehensive windows (综合窗口, art. 3): a counter whose configuration says
    ``"comprehensive": true|false``; without it, one whose queues take items of more than one
    department, or of the centre itself (一窗受理) — not a department's own window (专窗)."""
    departments: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for code in item.get("departments") or [item["department"]]:
            departments[item["queue"]].add(code)
    names = names or {}
    out: set[int] = set()
    for c in config.get("counters", []):
        flag = c.get("comprehensive")
        if flag is None:
            depts = set().union(*(departments.get(q, set()) for q in c["queues"]))
            flag = len(depts) > 1 or any(k in names.get(d, d) for d in depts for k in COMPREHENSIVE_DEPARTMENTS)
        if flag:
            out.add(int(c["number"]))
    return out


def hall_comprehensive(conn: Connection, hall: str) -> set[int]:
    """The comprehensive windows of the hall as it is set up now."""
    from server.store.catalog import department_names

    config = conn.scalar(select(t.halls.c.config).where(t.halls.c.code == hall)) or {}
    items = [dict(r._mapping) for r in conn.execute(select(t.items.c.queue, t.items.c.department,
                                                           t.items.c.departments).where(t.items.c.hall == hall))]
    return comprehensive_counters(config, items, department_names(conn, hall))


def comprehensive_at(conn: Connection, hall: str, counter: int | None, channel: str) -> bool | None:
    """Whether a case received now is accepted comprehensively: at a comprehensive window, or by the
    online hall's comprehensive acceptance (art. 4(二)); None when taken at no window (unknown)."""
    if channel == "online":
        return True
    if counter is None:
        return None
    return counter in hall_comprehensive(conn, hall)


def case_facts(conn: Connection, hall: str, item: Mapping[str, Any], counter: int | None, channel: str
               ) -> dict[str, Any]:
    """The columns ``standardized`` and ``comprehensive`` of a case being received."""
    return {"standardized": standard_complete(item), "comprehensive": comprehensive_at(conn, hall, counter, channel)}
