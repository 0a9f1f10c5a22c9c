"""Case statuses and their transitions (server/domain/cases.py)."""

from __future__ import annotations

import pytest

from server.domain.cases import (
    FINAL,
    TRANSITIONS,
    CaseStatus,
    IllegalTransition,
    check_transition,
    may_move,
    missing_notice_text,
)
from server.domain.errors import Conflict

HAPPY_PATHS = [
    ["incomplete", "accepted", "in_review", "approved", "ready", "collected"],
    ["accepted", "in_review", "approved", "ready", "mailed"],
    ["accepted", "in_review", "rejected", "ready", "collected"],
    ["accepted", "in_review", "approved", "mailed"],
    ["accepted", "approved", "ready", "collected"],  # 即办
    ["incomplete", "closed"],
    ["accepted", "in_review", "rejected", "closed"],
]


@pytest.mark.parametrize("path", HAPPY_PATHS)
def test_the_usual_paths_are_allowed(path: list[str]) -> None:
    for current, target in zip(path, path[1:], strict=False):
        assert check_transition(current, target) == CaseStatus(target)


@pytest.mark.parametrize(("current", "target"), [
    ("incomplete", "in_review"), ("accepted", "ready"), ("accepted", "collected"), ("in_review", "ready"),
    ("approved", "collected"), ("ready", "approved"), ("collected", "mailed"), ("mailed", "collected"),
    ("accepted", "accepted"),
])
def test_everything_else_is_illegal_and_names_the_current_state(current: str, target: str) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(current, target)
    assert isinstance(refused.value, Conflict) and refused.value.code == "illegal_transition"  # 409 at the edge
    assert "当前状态" in refused.value.zh
    assert not may_move(current, target)


def test_final_statuses_go_nowhere() -> None:
    assert all(not TRANSITIONS[s] for s in FINAL)
    assert set(TRANSITIONS) == set(CaseStatus)


def test_the_notice_lists_every_missing_material() -> None:
    text = missing_notice_text("食品经营许可证核发", ["营业执照", "经营场所平面图", "食品安全管理制度"])
    assert "1. 营业执照" in text and "2. 经营场所平面图" in text and "3. 食品安全管理制度" in text
