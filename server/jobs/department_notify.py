"""Telling the departments (前台一口受理、系统分派流转、后台限时反馈, seed art. 5): a new case for each
department that must decide it, a pre-review to do, a case due tomorrow.

``await notify_department(context, hall, department, kind, payload)`` is the one way in, for this
module's triggers and for other parts (online pre-review): it words the message in Chinese, records
it in the outbox once per key (``department_notices``), publishes it on the department's bus channel
for its open workbench, and hands it to the delivery job (server/jobs/department_delivery.py: the
department's webhook, signed, retried). It never raises for a delivery problem: a message is never
worth a failed case. Texts carry the receipt number, the item and the dates, never the applicant.

``DepartmentNotifier`` is registered by the lifespan: a case hook (new cases) and a loop, every minute,
that tells the item's department of each online application waiting for its pre-review and, on working
days from 08:30 hall time, of pre-reviews whose limit nears and of its cases due the next working day.
A pending message no job took (the queue was away) is handed over again by the same loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date, time, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

from server.channels import department_channel
from server.context import AppContext
from server.services.calendar import work_calendar
from server.services.department_notices import notice_view
from server.store import applications as applications_store
from server.store import cases as case_store
from server.store import department_notices as store

from .department_delivery import NoticeRunner, notices_for

log = logging.getLogger("onewindow.notify")

DUE_FROM = time(8, 30)  # hall time: the reminders go out in office hours
CHECK_S = 60.0  # a pre-review waiting is told within a minute (the online application knows no hook)
STALE_S = 120.0  # a pending message no job took within this long is handed over again
TOLD_MAX = 50_000


# ---------------------------------------------------------------- the texts
def _ref(payload: dict[str, Any]) -> str:
    ref = str(payload.get("receipt_no") or payload.get("ref") or payload.get("application_no") or "").strip()
    if not ref or len(ref) > 64:
        raise ValueError(f"a message needs its receipt or application number (ref): {ref!r}")
    return ref


def _item(payload: dict[str, Any]) -> str:
    item = payload.get("item_name")
    if not item and isinstance(payload.get("item"), dict):
        item = payload["item"].get("name")
    return str(item or "").strip()


def new_case_text(hall_name: str, p: dict[str, Any]) -> str:
    """【晋安区行政服务中心】新办件 JA202612050001 有限责任公司设立登记，请于 2026-12-08 前办结。"""
    joint = f"（联审联办，牵头部门：{p['lead_name']}）" if p.get("joint") and p.get("lead_name") else ""
    due = f"，请于 {p['due_at']} 前办结" if p.get("due_at") else ""
    return f"【{hall_name}】新办件 {_ref(p)} {_item(p)}{joint}{due}。"


def due_tomorrow_text(hall_name: str, p: dict[str, Any]) -> str:
    """【晋安区行政服务中心】办件 JA… 个体工商户设立登记，明天（2026-11-26）到期，请及时办结。"""
    when = "明天" if p.get("tomorrow", True) else "下一个工作日"
    return f"【{hall_name}】办件 {_ref(p)} {_item(p)}，{when}（{p['due_at']}）到期，请及时办结。"


def prereview_text(hall_name: str, p: dict[str, Any]) -> str:
    """【晋安区行政服务中心】网上预审 YS… 食品经营许可证核发，请于 2026-11-27 前完成预审。"""
    due = f"，请于 {p['due_at']} 前完成预审" if p.get("due_at") else "，请及时预审"
    return f"【{hall_name}】网上预审 {_ref(p)} {_item(p)}{due}。"


def prereview_due_text(hall_name: str, p: dict[str, Any]) -> str:
    """【晋安区行政服务中心】网上预审 YS… 食品经营许可证核发 将于 2026-11-27 到期，请尽快预审。"""
    return f"【{hall_name}】网上预审 {_ref(p)} {_item(p)} 将于 {p.get('due_at') or '近日'} 到期，请尽快预审。"


TEXTS: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "new_case": new_case_text, "due_tomorrow": due_tomorrow_text, "prereview": prereview_text,
    "prereview_due": prereview_due_text,
}


def notice_key(kind: str, department: str, payload: dict[str, Any]) -> str:
    """What makes a message itself: one new case per department, one reminder per due date."""
    key = f"dept:{kind}:{department}:{_ref(payload)}"
    if kind in ("due_tomorrow", "prereview_due"):
        key += f":{payload.get('due_at') or ''}"
    return quote(key, safe=":-_.")[:200]  # ASCII: it travels as the Idempotency-Key header


# ---------------------------------------------------------------- the way in
async def notify_department(context: AppContext, hall: str, department: str, kind: str, payload: dict[str, Any],
                            runner: NoticeRunner | None = None) -> bool:
    """Tell ``department`` of hall ``hall`` about something; True when this call recorded the message
    (False: it was told before, or recording failed, which is logged). ``kind``: new_case,
    due_tomorrow (payload: receipt_no, item_name, due_at), prereview, prereview_due (ref — the
    application's number —, item_name, due_at). ValueError for an unknown kind or a missing ref."""
    if kind not in TEXTS:
        raise ValueError(f"kind must be one of {sorted(TEXTS)}, not {kind!r}")
    facts = {k: v.isoformat() if isinstance(v, date) else v for k, v in payload.items() if k in SAFE_PAYLOAD}
    key = notice_key(kind, department, payload)
    try:
        state = await context.engine.hall(hall)
        text = TEXTS[kind](state.config.name, facts)[:500]
        now = context.clock.now()

        def record(conn: Any) -> dict[str, Any] | None:
            if not store.record(conn, hall=hall, department=department, kind=kind, ref=_ref(payload), text=text,
                                payload=facts, key=key, now=now):
                return None
            row = store.by_key(conn, key)
            return dict(row) if row is not None else None

        stored = await context.engine.write(record)
        if stored is None:
            return False
        await context.bus.publish(department_channel(hall, department),
                                  {"type": "department.notice", "notice": notice_view(stored, state)})
        await asyncio.to_thread((runner or notices_for(context.settings)).enqueue, key)
        return True
    except Exception:  # not recorded (logged), or recorded but not queued: the stale sweep hands it over
        log.exception("department notice %s could not be recorded or queued", key)
        return False


# The facts a message may carry (the webhook's ``payload``): never the applicant.
SAFE_PAYLOAD = frozenset({"receipt_no", "ref", "application_id", "application_no", "item", "item_name", "due_at",
                          "joint", "lead", "lead_name", "departments", "tomorrow"})


def case_departments(case: dict[str, Any]) -> list[str]:
    """Every department that must decide the case, the lead first: its parts, else ``departments``,
    else the lead alone."""
    parts = [p["department"] for p in case.get("parts") or [] if p.get("department")]
    if parts:
        return list(dict.fromkeys(parts))
    listed = list(case.get("departments") or [])
    lead = case.get("department") or (case.get("item") or {}).get("department")
    return list(dict.fromkeys([d for d in [lead, *listed] if d]))


def prereview_payload(application: dict[str, Any]) -> dict[str, Any]:
    """An online application (server/store/applications.py row) as a pre-review message tells it: by
    its number (``12号``), never the applicant. Whoever tells of one uses this, so that its key is one."""
    due = application["due_on"]
    return {"ref": f"{application['id']}号", "application_id": application["id"], "item": application["item_code"],
            "item_name": application["item_name"], "due_at": due.isoformat() if due else None}


def case_payload(case: dict[str, Any], departments: list[str]) -> dict[str, Any]:
    item = case.get("item") or {}
    return {"receipt_no": case["receipt_no"], "item": item.get("code"), "item_name": item.get("name"),
            "due_at": case.get("due_at"), "joint": len(departments) > 1,
            "lead": departments[0] if departments else None,
            "lead_name": case.get("department_name") or item.get("department_name"), "departments": departments}


# ---------------------------------------------------------------- the triggers
class DepartmentNotifier:
    def __init__(self, context: AppContext) -> None:
        self.context = context
        self._told: set[str] = set()  # keys recorded by this process: not asked about again
        self._loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.context.case_hooks.append(self.case_changed)
        self._loop = asyncio.create_task(self._every_minute(), name="department-notices")

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.context.case_hooks.remove(self.case_changed)
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop

    async def case_changed(self, context: AppContext, case: dict[str, Any]) -> None:
        """A case accepted (at receipt, or once its missing material came): each of its departments hears."""
        if case.get("status") != "accepted":
            return
        hall = (case.get("hall") or {}).get("code")
        departments = case_departments(case)
        if not hall or not departments:
            return
        payload = case_payload(case, departments)
        for department in departments:
            await notify_department(context, hall, department, "new_case", payload)

    async def _every_minute(self) -> None:
        while True:
            for job in (self.prereviews, self.due_tomorrow, self.resend_stale):
                try:
                    await job()
                except Exception:
                    log.exception("department notices: %s failed; tried again in %.0f s", job.__name__, CHECK_S)
            await asyncio.sleep(CHECK_S)

    async def due_tomorrow(self) -> int:
        """On a working day from 08:30 hall time: each department whose part of a pending case is due the
        next working day is told once. Returns how many messages this call recorded."""
        told = 0
        now = self.context.clock.now()
        calendar = await work_calendar(self.context)
        for hall in await self.context.engine.loaded_halls():
            local = now.astimezone(hall.tz)
            today = local.date()
            if local.time() < DUE_FROM or not calendar.is_working_day(today):
                continue
            horizon, _ = calendar.add_working_days(today, 1)
            code = hall.config.code
            for case, departments in await self.context.engine.read(partial(_due_on, hall=code, day=horizon)):
                payload = {"receipt_no": case["receipt_no"], "item": case["item_code"],
                           "item_name": case["item_name"], "due_at": horizon.isoformat(),
                           "tomorrow": horizon == today + timedelta(days=1)}
                for department in departments:
                    key = notice_key("due_tomorrow", department, payload)
                    if key in self._told:
                        continue
                    told += await notify_department(self.context, code, department, "due_tomorrow", payload)
                    self._remember(key)
        return told

    async def prereviews(self) -> int:
        """Each online application waiting for its pre-review: its department (the item's lead) is told
        once (``prereview``); on a working day from 08:30, once more when its limit (2 working days) is
        today or the next working day (``prereview_due``). Returns how many messages were recorded."""
        told = 0
        now = self.context.clock.now()
        calendar = await work_calendar(self.context)
        for hall in await self.context.engine.loaded_halls():
            local = now.astimezone(hall.tz)
            today = local.date()
            office = local.time() >= DUE_FROM and calendar.is_working_day(today)
            horizon, _ = calendar.add_working_days(today, 1)
            code = hall.config.code
            for row in await self.context.engine.read(partial(applications_store.pending, hall=code)):
                payload = prereview_payload(row)
                nearing = office and today <= row["due_on"] <= horizon
                kinds = ["prereview", *(["prereview_due"] if nearing else [])]
                for kind in kinds:
                    key = notice_key(kind, row["department"], payload)
                    if key not in self._told:
                        told += await notify_department(self.context, code, row["department"], kind, payload)
                        self._remember(key)
        return told

    def _remember(self, key: str) -> None:
        if len(self._told) > TOLD_MAX:
            self._told.clear()
        self._told.add(key)

    async def resend_stale(self) -> int:
        """Messages recorded but never taken by a job (the queue was away): handed over again."""
        # leases are real time (the delivery job's); the record's own time is the hall's clock
        wall, recorded_before = self.context.wall(), self.context.clock.now() - timedelta(seconds=STALE_S)
        keys = await self.context.engine.read(lambda conn: store.stale(conn, wall, recorded_before))
        runner = notices_for(self.context.settings)
        for key in keys:
            await asyncio.to_thread(runner.enqueue, key)
        return len(keys)


def _due_on(conn: Any, hall: str, day: date) -> list[tuple[dict[str, Any], list[str]]]:
    """The hall's cases under way and due on ``day``, each with the departments still deciding it."""
    out = []
    for row in case_store.of_hall(conn, hall, ["accepted", "in_review"]):
        if row["due_at"] != day:
            continue
        parts = case_store.parts_of(conn, row["id"])
        open_ = [p["department"] for p in parts if p["status"] in ("pending", "in_review")]
        if not parts:
            open_ = list(dict.fromkeys([row["department"], *(row.get("departments") or [])]))
        if open_:
            out.append((row, open_))
    return out
