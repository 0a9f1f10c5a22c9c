"""好差评: the visitor's rating of one finished service. Plain data, no I/O.

Five levels, as the national 好差评 system has them; a reason list for the two unhappy ones.
"""

from __future__ import annotations

from typing import Literal, get_args

LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
LEVEL_BY_LABEL = {label: level for level, label in LEVELS.items()}
UNHAPPY = 2  # this level and below may give reasons
Reason = Literal["等候时间长", "服务态度差", "业务不熟练", "材料要求不清", "其他"]
REASONS: tuple[str, ...] = get_args(Reason)
