"""代办 (assisted service, seed art. 13) as pure rules: the usual steps, and who may assist. No I/O."""

from __future__ import annotations

from .errors import Conflict, NotFound

# The steps a guide's desk offers as buttons; any other short step may be recorded too.
STEPS = ("接待", "代为取号", "陪同办理", "代为递交材料", "代领结果", "电话回访")
ASSISTANTS = frozenset({"guide", "clerk", "manager", "admin"})  # the staff who assist; a 代办员 has the guide role
STATUSES = ("open", "closed")
MAX_NAME = 32
MAX_STEP = 20
MAX_NOTE = 500


class UnknownMatter(NotFound):
    code = "unknown_assisted"


class MatterClosed(Conflict):
    code = "assisted_closed"


def status(closed: bool) -> str:
    return "closed" if closed else "open"
