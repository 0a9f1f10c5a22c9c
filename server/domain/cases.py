"""Cases (办件): what a case may become next. Pure; no I/O.

A case is received at a counter. With every material on the item's list it is ``accepted`` at
once and its promised time limit starts; with some missing it is ``incomplete`` and the applicant
gets the one-time notice (一次性告知书) naming every missing material at once.

Transitions (``TRANSITIONS``)::

    incomplete → accepted     the missing materials were supplied: the time limit starts now
               → closed       the applicant withdrew or never came back
    accepted   → in_review    the department took it up
               → approved | rejected   即办: decided at the counter at once
               → supplement   a department asked for more material (补正): the time limit stands still
    in_review  → approved | rejected | supplement
    supplement → in_review    the material arrived: the time limit runs on, the due date moved by
                              the working days it stood still
               → rejected | closed     it never came
    approved   → ready        the result waits at the pickup window (查询发证, queue L)
               → mailed       the department posts the result itself (tracking_no required)
    rejected   → ready        the rejection notice (不予许可决定书) waits at the pickup window
               → closed       nothing to hand over
    ready      → collected    handed over at a counter, to the applicant or an authorised collector
               → mailed       posted after all (tracking_no required)

``collected``, ``mailed`` and ``closed`` are final. The time limit is about the decision: a case
is *pending* (counts for 即将到期/已超期) while ``accepted`` or ``in_review``.

A case is decided by every department that must decide it (联审联办, seed art. 6), each on its own
*part* (``PartStatus``): the case is approved once every part is, rejected once one is, waits for
material while any part asked for it, and is under review once any department took it up
(``case_status_of``). A case of one department has one part.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import Conflict, InvalidInput, NotFound


class CaseStatus(StrEnum):
    INCOMPLETE = "incomplete"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    READY = "ready"
    COLLECTED = "collected"
    MAILED = "mailed"
    CLOSED = "closed"
    SUPPLEMENT = "supplement"


LABELS: dict[CaseStatus, str] = {
    CaseStatus.INCOMPLETE: "待补正材料", CaseStatus.ACCEPTED: "已受理", CaseStatus.IN_REVIEW: "审查中",
    CaseStatus.APPROVED: "已批准", CaseStatus.REJECTED: "不予批准", CaseStatus.READY: "待领取",
    CaseStatus.COLLECTED: "已领取", CaseStatus.MAILED: "已邮寄", CaseStatus.CLOSED: "已结束",
    CaseStatus.SUPPLEMENT: "补正中",
}

S = CaseStatus
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.INCOMPLETE: frozenset({S.ACCEPTED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.IN_REVIEW, S.APPROVED, S.REJECTED, S.SUPPLEMENT}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.SUPPLEMENT}),
    S.SUPPLEMENT: frozenset({S.IN_REVIEW, S.REJECTED, S.CLOSED}),
    S.APPROVED: frozenset({S.READY, S.MAILED}),
    S.REJECTED: frozenset({S.READY, S.CLOSED}),
    S.READY: frozenset({S.COLLECTED, S.MAILED}),
    S.COLLECTED: frozenset(),
    S.MAILED: frozenset(),
    S.CLOSED: frozenset(),
}

FINAL = frozenset({S.COLLECTED, S.MAILED, S.CLOSED})
PENDING = frozenset({S.ACCEPTED, S.IN_REVIEW})  # the time limit is running
# What a department may report; everything else is done at a counter (receiving, supplying
# materials, handing over, closing).
DEPARTMENT_MAY_SET = frozenset({S.IN_REVIEW, S.APPROVED, S.REJECTED, S.SUPPLEMENT, S.READY, S.MAILED})
DECIDING = frozenset({S.ACCEPTED, S.IN_REVIEW, S.SUPPLEMENT})  # the departments' parts still count


class PartStatus(StrEnum):
    """One department's part of a case."""
    PENDING = "pending"
    IN_REVIEW = "in_review"
    SUPPLEMENT = "supplement"
    APPROVED = "approved"
    REJECTED = "rejected"


PART_LABELS: dict[PartStatus, str] = {
    PartStatus.PENDING: "待审查", PartStatus.IN_REVIEW: "审查中", PartStatus.SUPPLEMENT: "待补正",
    PartStatus.APPROVED: "已同意", PartStatus.REJECTED: "不同意",
}
P = PartStatus
PART_TRANSITIONS: dict[PartStatus, frozenset[PartStatus]] = {
    P.PENDING: frozenset({P.IN_REVIEW, P.SUPPLEMENT, P.APPROVED, P.REJECTED}),
    P.IN_REVIEW: frozenset({P.SUPPLEMENT, P.APPROVED, P.REJECTED}),
    P.SUPPLEMENT: frozenset({P.IN_REVIEW, P.REJECTED}),
    P.APPROVED: frozenset(),
    P.REJECTED: frozenset(),
}


def check_part(current: str, target: PartStatus) -> PartStatus:
    """``target`` when a department's part may move there from ``current``; else IllegalTransition."""
    now = PartStatus(current)
    if target not in PART_TRANSITIONS[now]:
        raise IllegalTransition(f"本部门的审查意见为「{PART_LABELS[now]}」，不能再改为「{PART_LABELS[target]}」",
                                f"this department's part is {now.value}; it cannot become {target.value}")
    return target


def case_status_of(parts: list[PartStatus], current: CaseStatus) -> CaseStatus:
    """Where the case stands once its parts stand so: one rejection rejects it, all approvals
    approve it, a request for material holds it, any review puts it under review."""
    if current not in DECIDING or not parts:
        return current
    if P.REJECTED in parts:
        return S.REJECTED
    if all(p == P.APPROVED for p in parts):
        return S.APPROVED
    if P.SUPPLEMENT in parts:
        return S.SUPPLEMENT
    if any(p in (P.IN_REVIEW, P.APPROVED) for p in parts):
        return S.IN_REVIEW
    return current


class IllegalTransition(Conflict):
    code = "illegal_transition"


class UnknownCase(NotFound):
    """An unknown receipt, a wrong check and a missing one alike: the one answer tells nothing."""

    code = "unknown_case"

    def __init__(self) -> None:
        super().__init__("没有这个办件，或查询码不正确", "no such case, or the check does not match")


class UnknownItem(NotFound):
    code = "unknown_item"
    field = "item"


class CaseNotReady(Conflict):
    code = "case_not_ready"


class NoNotice(Conflict):
    code = "no_notice"


class NotAccepted(Conflict):
    code = "not_accepted"


class CollectorMismatch(InvalidInput):
    code = "collector_mismatch"
    field = "collector.id_number"


def label(status: str) -> str:
    try:
        return LABELS[CaseStatus(status)]
    except ValueError:
        return status


STEP_LABELS = {"in_review": "开始审查", "approved": "同意", "rejected": "不同意", "supplement": "要求补正"}


def step_label(status: str) -> str:
    """A department's step of a joint case, as its timeline reads it."""
    return STEP_LABELS.get(status) or label(status)


def part_label(status: str) -> str:
    try:
        return PART_LABELS[PartStatus(status)]
    except ValueError:
        return status


def check_transition(current: str, target: str) -> CaseStatus:
    """``target`` as a status when the case may move there from ``current``; else IllegalTransition,
    whose message names the current state in Chinese."""
    now, to = CaseStatus(current), CaseStatus(target)
    if to not in TRANSITIONS[now]:
        allowed = "、".join(f"{LABELS[s]}({s.value})" for s in sorted(TRANSITIONS[now])) or "无（已办结）"
        raise IllegalTransition(
            f"办件当前状态为「{LABELS[now]}」，不能改为「{LABELS[to]}」；可改为：{allowed}",
            f"the case is {now.value}; it cannot become {to.value}")
    return to


def may_move(current: str, target: str) -> bool:
    try:
        check_transition(current, target)
    except (IllegalTransition, ValueError):
        return False
    return True


def missing_notice_text(item_name: str, missing: list[str]) -> str:
    """The one-time notice (一次性告知): every missing material at once, numbered."""
    lines = [f"您申请办理的「{item_name}」尚缺以下材料，请一次性补齐后再次提交："]
    lines += [f"{n}. {m}" for n, m in enumerate(missing, 1)]
    lines.append("材料补齐后，请凭本告知书及受理编号回到窗口继续办理。")
    return "\n".join(lines)
