"""The back office deciding a case (前台一口受理、系统分派流转、后台限时反馈, seed art. 5 and 6).

Each department that must decide a case decides its own part (``case_parts``): takes it into review,
approves it with a note, rejects it with a reason, or asks for more material (补正) naming exactly
what is missing. The case follows its parts (server/domain/cases.py ``case_status_of``): approved
once every department approved, rejected once one rejected, waiting for material while one asks for
it. While it waits the time limit stands still; when the material arrives at a counter the case goes
back under review and its due date moves on by the working days it stood still (补正时间不计入承诺时限).

A department account acts for its own department, on cases it is part of; a clerk or manager of the
hall may act for a named department, or for all at once (即办: decided at the counter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from sqlalchemy import Connection

from server.auth import Principal
from server.context import AppContext, forbid
from server.domain import cases as domain
from server.domain.cases import CaseStatus, PartStatus, UnknownCase
from server.domain.errors import InvalidInput
from server.domain.workdays import WorkCalendar
from server.store import cases as store

from .calendar import work_calendar
from .cases import Progress, case_changed, report, with_timeline

MAX_MISSING = 30


@dataclass(frozen=True)
class Decision:
    part: PartStatus  # in_review, approved, rejected, supplement
    note: str | None = None  # the note of an approval, the reason of a rejection
    missing: tuple[str, ...] = ()  # 补正: exactly what is missing


PART_STEPS = {CaseStatus.IN_REVIEW: PartStatus.IN_REVIEW, CaseStatus.APPROVED: PartStatus.APPROVED,
              CaseStatus.REJECTED: PartStatus.REJECTED, CaseStatus.SUPPLEMENT: PartStatus.SUPPLEMENT}


async def progress(context: AppContext, principal: Principal, receipt_no: str, step: Progress,
                   missing: tuple[str, ...] = (), department: str | None = None) -> dict[str, Any]:
    """``POST /cases/{receipt_no}/events``: a decision goes to the parts, the material asked for to
    ``supplied``, everything else (supplied at receipt, ready, mailed, collected, closed) to the case."""
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None:
        raise UnknownCase()
    if step.status == CaseStatus.IN_REVIEW and row["status"] == CaseStatus.SUPPLEMENT.value:
        return await supplied(context, principal, receipt_no, step.note)
    if step.status in PART_STEPS and row["status"] in domain.DECIDING:
        return await decide(context, principal, receipt_no, Decision(PART_STEPS[step.status], step.note, missing),
                            department)
    return await report(context, principal, receipt_no, step)


def acting_for(principal: Principal, row: dict[str, Any], parts: list[dict[str, Any]],
               department: str | None) -> list[str]:
    """The departments whose parts this caller decides: a department account its own (which must
    be one of the case's); hall staff the one named, or every part still open."""
    codes = [p["department"] for p in parts]
    if principal.kind == "user" and principal.role == "department":
        own = principal.department
        if own is None or own not in codes or (principal.hall is not None and principal.hall != row["hall"]):
            raise forbid("此办件不需要本部门审批，您的账号不能操作", "this case is not one your department decides")
        if department is not None and department != own:
            raise forbid("部门账号只能填写本部门的审查意见", "a department account decides only its own part")
        return [own]
    if principal.kind != "user" or principal.role not in ("clerk", "manager", "admin") \
            or not principal.in_hall(row["hall"]):
        raise forbid("只有承办部门或本大厅的工作人员可以审批办件", "only the case's departments or the hall's staff")
    if department is not None:
        if department not in codes:
            raise InvalidInput(f"此办件没有部门 {department} 的审批环节", f"the case has no part for {department!r}",
                               "department")
        return [department]
    return [p["department"] for p in parts if p["status"] not in ("approved", "rejected")]


def _checked(decision: Decision) -> Decision:
    note = (decision.note or "").strip() or None
    if decision.part == PartStatus.REJECTED and not note:
        raise InvalidInput("不予批准须写明理由", "a rejection needs its reason in note", "note")
    missing = tuple(dict.fromkeys(m.strip() for m in decision.missing if m.strip()))
    if decision.part == PartStatus.SUPPLEMENT and not missing:
        raise InvalidInput("请逐项列出需要补正的材料", "list what is missing in missing", "missing")
    if len(missing) > MAX_MISSING or any(len(m) > 200 for m in missing):
        raise InvalidInput(f"补正材料最多 {MAX_MISSING} 项，每项不超过 200 字", "too many or too long", "missing")
    return Decision(decision.part, note, missing)


def _note(decision: Decision) -> str:
    if decision.part == PartStatus.SUPPLEMENT:
        said = "需补正：" + "、".join(decision.missing)
        return f"{said}（{decision.note}）" if decision.note else said
    default = {PartStatus.IN_REVIEW: "开始审查", PartStatus.APPROVED: "同意", PartStatus.REJECTED: "不同意"}
    return decision.note or default[decision.part]


async def decide(context: AppContext, principal: Principal, receipt_no: str, decision: Decision,
                 department: str | None = None) -> dict[str, Any]:
    """One department's decision on its part (or the hall staff's on one or every part); the case
    follows. Every step is an event of the timeline, carrying the department."""
    decision = _checked(decision)
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None:
        raise UnknownCase()
    parts = await context.engine.read(lambda conn: store.parts_of(conn, row["id"]))
    mine = acting_for(principal, row, parts, department)
    hall = await context.engine.hall(row["hall"])
    now = context.clock.now()
    today = hall.local_day(now)

    def write(conn: Connection) -> None:
        current = store.by_receipt(conn, receipt_no)
        assert current is not None
        status = CaseStatus(current["status"])
        if status not in domain.DECIDING:
            raise domain.IllegalTransition(f"办件当前状态为「{domain.LABELS[status]}」，不能再审批",
                                           f"the case is {status.value}: nothing to decide")
        if not mine:
            raise domain.IllegalTransition("各部门均已作出决定", "every department has decided")
        stand = {p["department"]: PartStatus(p["status"]) for p in store.parts_of(conn, current["id"])}
        for code in mine:
            stand[code] = domain.check_part(stand[code], decision.part)
        after = domain.case_status_of(list(stand.values()), status)
        changes: dict[str, Any] = {"updated_at": now.astimezone(UTC)}
        if after != status:
            domain.check_transition(status.value, after.value)
            changes["status"] = after.value
        if decision.part == PartStatus.SUPPLEMENT:
            changes["materials_missing"] = list(dict.fromkeys([*current["materials_missing"], *decision.missing]))
            if current["paused_on"] is None:
                changes["paused_on"] = today
        if not store.update_case(conn, current["id"], status.value, changes):
            raise domain.IllegalTransition("办件状态刚刚已被更新，请刷新后重试", "the case changed meanwhile; reload")
        at = now.astimezone(UTC)
        for code in mine:
            store.set_part(conn, current["id"], code, decision.part.value, _note(decision), at, principal.name)
            store.add_event(conn, current["id"], decision.part.value, at, _note(decision), principal.name, code)
        if after != status and len(stand) > 1 and after in (CaseStatus.APPROVED, CaseStatus.REJECTED):
            said = "各审批部门均已同意" if after == CaseStatus.APPROVED else "有审批部门不同意，办件不予批准"
            store.add_event(conn, current["id"], after.value, at, said, principal.name)

    await context.engine.write(write)
    return await _changed(context, receipt_no)


async def supplied(context: AppContext, principal: Principal, receipt_no: str, note: str | None = None
                   ) -> dict[str, Any]:
    """The material a department asked for arrived (at a counter): the case and the parts that asked
    go back under review, and the due date moves on by the working days the case stood still."""
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    if row is None:
        raise UnknownCase()
    parts = await context.engine.read(lambda conn: store.parts_of(conn, row["id"]))
    acting_for(principal, row, parts, None)  # the case's departments and the hall's staff
    hall = await context.engine.hall(row["hall"])
    calendar = await work_calendar(context)
    now = context.clock.now()
    today = hall.local_day(now)

    def write(conn: Connection) -> int:
        current = store.by_receipt(conn, receipt_no)
        assert current is not None
        domain.check_transition(current["status"], CaseStatus.IN_REVIEW.value)
        stood = stood_still(calendar, current["paused_on"], today)
        changes: dict[str, Any] = {"status": CaseStatus.IN_REVIEW.value, "paused_on": None,
                                   "materials_missing": [], "updated_at": now.astimezone(UTC)}
        if current["due_at"] is not None and stood:
            changes["due_at"], changes["due_provisional"] = calendar.add_working_days(current["due_at"], stood)
        if not store.update_case(conn, current["id"], current["status"], changes):
            raise domain.IllegalTransition("办件状态刚刚已被更新，请刷新后重试", "the case changed meanwhile; reload")
        at = now.astimezone(UTC)
        for part in store.parts_of(conn, current["id"]):
            if part["status"] == PartStatus.SUPPLEMENT.value:
                store.set_part(conn, current["id"], part["department"], PartStatus.IN_REVIEW.value,
                               "补正材料已收到", at, principal.name)
        moved = f"，办结期限顺延 {stood} 个工作日" if stood and current["due_at"] is not None else ""
        store.add_event(conn, current["id"], CaseStatus.IN_REVIEW.value, at,
                        (note or "补正材料已收齐，继续审查") + moved, principal.name)
        return stood

    await context.engine.write(write)
    return await _changed(context, receipt_no)


def stood_still(calendar: WorkCalendar, paused_on: date | None, today: date) -> int:
    """The working days after the day the material was asked for, up to and including today: the
    days the time limit stood still (asked and brought the same day: none)."""
    if paused_on is None or today <= paused_on:
        return 0
    count, day = 0, paused_on
    while day < today:
        day = date.fromordinal(day.toordinal() + 1)
        count += calendar.is_working_day(day)
    return count


async def _changed(context: AppContext, receipt_no: str) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: store.by_receipt(conn, receipt_no))
    assert row is not None
    case = await with_timeline(context, row)
    await case_changed(context, case)
    return case
