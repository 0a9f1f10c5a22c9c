"""A hall's settings as the settings page shows them (issue 18): their JSON form, their bounds, how a
partial change merges, what is refused, and the audit trail's Chinese words for a change. Pure.

The JSON form (``public``) is what ``GET /halls/{hall}/settings`` answers (with the name and the
alert thresholds besides), what ``hall.changed`` carries under ``settings``, and what the hall's
config keeps under the same keys (server/store/repo.py)::

    {"phone": "0591-87711892", "notice": "…" | null,
     "opening_hours": {"workday": [{"start": "09:00", "end": "12:00"}, …], "rest_day": [],
                       "stop_issuing_min": 30},
     "policy": {"kind": "guarded", "max_priority_streak": 3, "walk_in_max_wait_s": 900, "priority_weight": 3},
     "reinstate_places": 2, "no_show_after_calls": 1, "reinstate_within_min": 0,
     "display_languages": ["zh", "en"]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .errors import InvalidInput
from .model import HallConfig, OpeningHours, PolicyConfig, minute_of_day
from .policy import POLICIES

# Whole-number and decimal settings: (lowest, highest), the one place the page, the API and the hall read them.
BOUNDS: dict[str, tuple[int, int]] = {
    "max_priority_streak": (1, 20),  # K
    "walk_in_max_wait_s": (60, 7200),  # T: 1 minute to 2 hours
    "priority_weight": (1, 10),  # w
    "reinstate_places": (0, 50),
    "no_show_after_calls": (1, 5),
    "reinstate_within_min": (0, 480),
    "stop_issuing_min": (0, 120),
}
NAME_MAX, NOTICE_MAX, PERIODS_MAX = 60, 200, 4
PHONE = re.compile(r"^[0-9][0-9 ()+-]{2,39}$")  # as PUT /halls/{hall}/phone takes it
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
POLICY_NAMES = {"guarded": "保护等候", "strict": "严格优先", "ratio": "比例", "weighted": "加权等候"}
LANGUAGES = {"zh": "中文", "en": "英文"}
DAYS = {"workday": "工作日", "rest_day": "休息日"}
KEYS = ("name", "phone", "notice", "opening_hours", "policy", "reinstate_places", "no_show_after_calls",
        "reinstate_within_min", "display_languages")
POLICY_KEYS = ("kind", "max_priority_streak", "walk_in_max_wait_s", "priority_weight")
HOURS_KEYS = ("workday", "rest_day", "stop_issuing_min")
GROUPS = ("policy", "opening_hours")  # merged key by key: {"policy": {"kind": "strict"}} keeps K, T and w


UNITS = {"max_priority_streak": " 位", "walk_in_max_wait_s": " 秒（1 至 120 分钟）", "priority_weight": " 倍",
         "reinstate_places": " 人", "no_show_after_calls": " 次", "reinstate_within_min": " 分钟",
         "stop_issuing_min": " 分钟"}
DECIMAL = ("walk_in_max_wait_s", "priority_weight")  # the others are whole numbers


def bounds_text(name: str) -> str:
    """应为 1 至 20 位之间的整数: the bounds in the page's units."""
    low, high = BOUNDS[name]
    return f"应为 {low} 至 {high}{UNITS[name]}之间的{'数' if name in DECIMAL else '整数'}"


# ---------------------------------------------------------------- the JSON form
def public(config: HallConfig, notice: str | None) -> dict[str, Any]:
    """Every setting the hall itself holds, as the page and the screens read them (no personal data)."""
    hours, policy = config.opening_hours, config.policy
    return {
        "phone": config.phone, "notice": notice,
        "opening_hours": {"workday": _periods(hours.workday), "rest_day": _periods(hours.rest_day),
                          "stop_issuing_min": hours.stop_issuing_min},
        "policy": {"kind": policy.kind, "max_priority_streak": policy.max_priority_streak,
                   "walk_in_max_wait_s": _number(policy.walk_in_max_wait_s),
                   "priority_weight": _number(policy.priority_weight)},
        "reinstate_places": config.reinstate_places, "no_show_after_calls": config.no_show_after_calls,
        "reinstate_within_min": config.reinstate_within_min, "display_languages": list(config.display_languages),
    }


def _periods(periods: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"start": start, "end": end} for start, end in periods]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def config_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The HallConfig fields of those settings ``data`` holds (a config's JSON, or ``public``'s)."""
    out: dict[str, Any] = {}
    if "policy" in data:
        out["policy"] = PolicyConfig(**data["policy"])
    if "opening_hours" in data:
        hours = data["opening_hours"]
        out["opening_hours"] = OpeningHours(
            tuple((p["start"], p["end"]) for p in hours.get("workday", ())),
            tuple((p["start"], p["end"]) for p in hours.get("rest_day", ())), int(hours.get("stop_issuing_min", 0)))
    if "display_languages" in data:
        out["display_languages"] = tuple(data["display_languages"])
    for key in ("phone", "reinstate_places", "no_show_after_calls", "reinstate_within_min"):
        if key in data:
            out[key] = data[key]
    return out


def configured(config: HallConfig, name: str, settings: Mapping[str, Any]) -> HallConfig:
    return replace(config, name=name, **config_values(settings))


def merged(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with ``changes`` laid over it; text trimmed, an empty notice none."""
    out = dict(current)
    for key, value in changes.items():
        if key in GROUPS and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    for key in ("name", "phone", "notice"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    out["notice"] = out.get("notice") or None
    return out


# ---------------------------------------------------------------- what is refused
LABELS = {
    "name": "大厅名称", "phone": "咨询电话", "notice": "公告", "opening_hours": "开放时间", "policy": "叫号策略",
    "policy.max_priority_streak": "连续优先呼叫数 K", "policy.walk_in_max_wait_s": "普通号最长等候 T（秒）",
    "policy.priority_weight": "优先倍数 w", "reinstate_places": "回呼位置", "no_show_after_calls": "过号前呼叫次数",
    "reinstate_within_min": "回呼时限（分钟）", "display_languages": "显示屏语言", "alerts": "预警阈值",
    "opening_hours.stop_issuing_min": "提前停止取号（分钟）",
}


def label(field: str) -> str:
    """A field's name on the page: policy.max_priority_streak → 连续优先呼叫数 K; the nearest named part."""
    parts = field.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LABELS:
            return LABELS[".".join(parts[:end])]
    return "设置"


@dataclass(frozen=True)
class Problem:
    field: str
    zh: str
    en: str


class InvalidSettings(InvalidInput):
    """One or more settings refused, each named: the error carries ``fields: [{field, message}]``
    beside the first ``field``, for the page to show each refusal beside its field."""

    def __init__(self, problems: list[Problem]) -> None:
        zh = "；".join(f"{label(p.field)}（{p.field}）{p.zh}" for p in problems)
        en = "; ".join(f"{p.field}: {p.en}" for p in problems)
        super().__init__(f"设置有误：{zh}", f"invalid settings: {en}", problems[0].field)
        self.problems = [{"field": p.field, "message": p.zh} for p in problems]

    def details(self) -> dict[str, object]:
        return {"fields": self.problems}


def check(data: Mapping[str, Any]) -> None:
    """Raises InvalidSettings naming every bad field of a whole set of settings (``merged``'s)."""
    found = problems(data)
    if found:
        raise InvalidSettings(found)


def problems(data: Mapping[str, Any]) -> list[Problem]:
    out = _unknown("", data, KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name or len(name) > NAME_MAX:
        out.append(Problem("name", f"大厅名称不能为空，最多 {NAME_MAX} 个字", f"1 to {NAME_MAX} characters"))
    phone = data.get("phone")
    if not isinstance(phone, str) or (phone and not PHONE.match(phone)):
        out.append(Problem("phone", "咨询电话只能含数字、空格、括号、加号和连字符，例如 0591-87711892",
                           "digits, spaces, brackets, + and -, e.g. 0591-87711892"))
    notice = data.get("notice")
    if notice is not None and (not isinstance(notice, str) or len(notice) > NOTICE_MAX):
        out.append(Problem("notice", f"公告最多 {NOTICE_MAX} 个字", f"at most {NOTICE_MAX} characters"))
    out += _policy_problems(data.get("policy"))
    for key in ("reinstate_places", "no_show_after_calls", "reinstate_within_min"):
        out += _whole(key, key, data.get(key))
    out += _hours_problems(data.get("opening_hours"))
    out += _language_problems(data.get("display_languages"))
    return out


def _unknown(prefix: str, data: Mapping[str, Any], known: tuple[str, ...]) -> list[Problem]:
    return [Problem(f"{prefix}{key}", "没有这项设置", "unknown setting") for key in data if key not in known]


def _whole(field: str, bound: str, value: Any) -> list[Problem]:
    low, high = BOUNDS[bound]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [Problem(field, bounds_text(bound), f"a whole number from {low} to {high}")]
    return []


def _policy_problems(policy: Any) -> list[Problem]:
    if not isinstance(policy, Mapping):
        return [Problem("policy", "叫号策略有误", "an object")]
    out = _unknown("policy.", policy, POLICY_KEYS)
    if policy.get("kind") not in POLICIES:
        choices = "、".join(f"{kind}（{POLICY_NAMES[kind]}）" for kind in POLICIES)
        out.append(Problem("policy.kind", f"应为 {choices} 之一", f"one of {', '.join(POLICIES)}"))
    out += _whole("policy.max_priority_streak", "max_priority_streak", policy.get("max_priority_streak"))
    for key in ("walk_in_max_wait_s", "priority_weight"):
        value = policy.get(key)
        low, high = BOUNDS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            out.append(Problem(f"policy.{key}", bounds_text(key), f"a number from {low} to {high}"))
    return out


def _hours_problems(hours: Any) -> list[Problem]:
    if not isinstance(hours, Mapping):
        return [Problem("opening_hours", "开放时间有误", "an object")]
    out = _unknown("opening_hours.", hours, HOURS_KEYS)
    out += _whole("opening_hours.stop_issuing_min", "stop_issuing_min", hours.get("stop_issuing_min"))
    for day in DAYS:
        periods = hours.get(day)
        where = f"opening_hours.{day}"
        if not isinstance(periods, list) or len(periods) > PERIODS_MAX:
            out.append(Problem(where, f"每天最多 {PERIODS_MAX} 个时段", f"at most {PERIODS_MAX} periods"))
            continue
        previous_end = -1
        for i, period in enumerate(periods):
            if isinstance(period, Mapping) and set(period) - {"start", "end"}:
                out.append(Problem(f"{where}.{i}", "时段只有 start 和 end", "start and end only"))
                continue
            bad = [k for k in ("start", "end") if not isinstance(period, Mapping)
                   or not isinstance(period.get(k), str) or not HHMM.match(period[k])]
            if bad:
                out += [Problem(f"{where}.{i}.{k}", "时间应为 HH:MM，例如 09:00", "a time as HH:MM") for k in bad]
                continue
            start, end = minute_of_day(period["start"]), minute_of_day(period["end"])
            if start >= end:
                out.append(Problem(f"{where}.{i}", f"{period['start']} 应早于 {period['end']}", "start before end"))
            elif start < previous_end:
                out.append(Problem(f"{where}.{i}", "时段应按先后排列，且不能重叠", "periods in order, not overlapping"))
            elif isinstance(hours.get("stop_issuing_min"), int) and end - start <= hours["stop_issuing_min"]:
                out.append(Problem("opening_hours.stop_issuing_min", "提前停止取号的分钟数不能长于开放时段",
                                   "longer than a period"))
            previous_end = max(previous_end, end)
    return out


def _language_problems(languages: Any) -> list[Problem]:
    if not isinstance(languages, list):
        return [Problem("display_languages", "显示语言有误", "a list")]
    out = [Problem(f"display_languages.{i}", "只能选择 zh（中文）或 en（英文）", "zh or en")
           for i, code in enumerate(languages) if code not in LANGUAGES]
    if "zh" not in languages:
        out.append(Problem("display_languages", "显示屏须显示中文（语音播报为中文）", "must include zh"))
    elif len(set(languages)) != len(languages) or languages[0] != "zh":
        out.append(Problem("display_languages", "中文在前，每种语言只选一次", "zh first, each once"))
    return out


# ---------------------------------------------------------------- the audit trail's words
def policy_text(policy: Mapping[str, Any]) -> str:
    """叫号策略 in a few words: 保护等候（连续 3 位优先、普通号等满 15 分钟）, 严格优先, 比例 3:1,
    加权等候（优先人群等候按 3 倍计）."""
    kind = policy.get("kind")
    k, t, w = policy.get("max_priority_streak"), policy.get("walk_in_max_wait_s", 0), policy.get("priority_weight", 1)
    if kind == "guarded":
        return f"保护等候（连续 {k} 位优先、普通号等满 {_minutes(float(t))} 分钟）"
    if kind == "ratio":
        return f"比例 {k}:1"
    if kind == "weighted":
        return f"加权等候（优先人群等候按 {_number(float(w))} 倍计）"
    return POLICY_NAMES.get(str(kind), str(kind))


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}"


def hours_text(hours: Mapping[str, Any]) -> str:
    """工作日 09:00–12:00、13:30–17:00，休息日不开放，结束前 30 分钟停止取号; 未设置."""
    if not hours.get("workday") and not hours.get("rest_day"):
        return "未设置"
    days = []
    for key, label in DAYS.items():
        periods = "、".join(f"{p['start']}–{p['end']}" for p in hours.get(key) or ())
        days.append(f"{label} {periods}" if periods else f"{label}不开放")
    stop = hours.get("stop_issuing_min") or 0
    return "，".join(days) + (f"，结束前 {stop} 分钟停止取号" if stop else "")


def _text(value: Any) -> str:
    return "（无）" if value in (None, "") else str(value)


SAID: dict[str, tuple[str, Any]] = {
    "name": ("大厅名称", _text),
    "phone": ("咨询电话", _text),
    "notice": ("公告", _text),
    "opening_hours": ("开放时间", hours_text),
    "policy": ("叫号策略", policy_text),
    "no_show_after_calls": ("过号", lambda n: f"呼叫 {n} 次未到"),
    "reinstate_places": ("回呼位置", lambda n: f"排第 {n + 1} 位"),
    "reinstate_within_min": ("回呼时限", lambda n: f"过号后 {n} 分钟内" if n else "当天内"),
    "display_languages": ("显示屏语言", lambda codes: "、".join(LANGUAGES.get(c, c) for c in codes)),
}


def changes_said(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """One line per setting that changed, before → after: 叫号策略：严格优先 → 比例 3:1."""
    out = []
    for key, (label, say) in SAID.items():
        if key in before and key in after and before[key] != after[key]:
            out.append(f"{label}：{say(before[key])} → {say(after[key])}")
    return out


def _targets(targets: Mapping[str, int]) -> str:
    return "、".join(("默认" if key == "default" else f"{key} 类") + f" {minutes} 分钟"
                    for key, minutes in targets.items())


ALERTS_SAID: dict[str, tuple[str, Any]] = {
    "wait_target_min": ("等候目标", _targets),
    "crowded_per_counter": ("拥挤预警", lambda n: f"每个窗口等候超过 {n} 人"),
    "pause_max_min": ("暂停预警", lambda n: f"暂停超过 {n} 分钟"),
}


def alerts_said(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The alert thresholds' changes, as ``changes_said`` says the others'."""
    return [f"{label}：{say(before[key])} → {say(after[key])}" for key, (label, say) in ALERTS_SAID.items()
            if before.get(key) != after.get(key)]
