"""What a hall day looks like to the simulator: arrivals, visitors, service times, counters and
clerks. Plain frozen data, read from TOML and checked key by key (docs/simulation.md lists every
key with its unit; docs/simulation/jinan.toml is the demo hall's).

Times of day are minutes after the hall-local midnight (``"08:30"`` → 510); rates are visitors per
hour; durations carry their unit in the key (``median_min``, ``call_pause_s``); shares are 0–1.
"""

from __future__ import annotations

import math
import random
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from server.domain.model import CounterConfig, HallConfig, PolicyConfig, QueueConfig
from server.domain.policy import POLICIES

HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


class ProfileError(ValueError):
    """A profile that cannot be simulated; the message names the key (``queues.A.service.sigma``)."""


@dataclass(frozen=True, slots=True)
class Lognormal:
    """A lognormal duration: half the draws are under ``median_s``; ``sigma`` is the spread of its log
    (0.5: the slowest tenth take about 1.9 × the median or more)."""

    median_s: float
    sigma: float

    def draw(self, rnd: random.Random) -> float:
        return rnd.lognormvariate(math.log(self.median_s), self.sigma) if self.sigma > 0 else self.median_s

    @property
    def mean_s(self) -> float:
        return self.median_s * math.exp(self.sigma * self.sigma / 2)


@dataclass(frozen=True, slots=True)
class Item:
    """A service item (事项) of a queue with its own service time; ``share`` of the queue's visitors."""

    code: str
    share: float
    service: Lognormal


@dataclass(frozen=True, slots=True)
class QueueProfile:
    code: str
    name: str
    # (minute of day, visitors per hour from then on), ascending; none arrive before the first
    arrivals: tuple[tuple[int, float], ...]
    service: Lognormal
    priority_share: float = 0.0  # 优先: elderly, disabled, pregnant, military …
    appointment_share: float = 0.0  # booked visitors (their own calling class)
    no_show_share: float = 0.0  # called, never came (过号)
    return_share: float = 0.0  # of the no-shows, those who come back and are reinstated (回呼)
    items: tuple[Item, ...] = ()

    def rate_at(self, minute: float) -> float:
        """Visitors per hour at this minute of the day."""
        rate = 0.0
        for start, value in self.arrivals:
            if start > minute:
                break
            rate = value
        return rate

    @property
    def peak(self) -> float:
        return max((rate for _, rate in self.arrivals), default=0.0)

    def expected_visitors(self) -> float:
        """The day's expected arrivals (the last rate runs to midnight)."""
        ends = [start for start, _ in self.arrivals[1:]] + [24 * 60]
        return sum(rate * (end - start) / 60 for (start, rate), end in zip(self.arrivals, ends, strict=True))


@dataclass(frozen=True, slots=True)
class CounterSchedule:
    """One counter's working day (a counter may have several, one per shift)."""

    number: int
    opens: int  # minute of day
    closes: int
    breaks: tuple[tuple[int, int], ...] = ()  # paused (lunch, a rotation's turn), each (start, end)
    queues: tuple[str, ...] = ()  # the queues it serves, its own first; empty: as the hall lays it out


@dataclass(frozen=True, slots=True)
class Visitors:
    walk: Lognormal = Lognormal(40.0, 0.5)  # from the call to the counter (the clerk then presses 开始)
    return_after_min: tuple[float, float] = (5.0, 30.0)  # a returning no-show comes back after U(lo, hi)


@dataclass(frozen=True, slots=True)
class Clerks:
    call_pause_s: float = 15.0  # from one visitor leaving to calling the next
    recalls: int = 2  # a visitor who does not come is recalled this often before 过号
    recall_every_s: float = 45.0
    stay_until_served: bool = True  # at closing time, serve everyone still waiting first


DEFAULT_FIRST_DAY = date(2026, 11, 23)  # a Monday: where a profile without hall.first_day starts


@dataclass(frozen=True, slots=True)
class Profile:
    queues: tuple[QueueProfile, ...]
    counters: tuple[CounterSchedule, ...]
    name: str = ""
    hall: str = ""  # the hall's code, for a layout made from the profile
    hall_name: str = ""
    timezone: str = "Asia/Shanghai"
    first_day: date | None = None
    visitors: Visitors = field(default_factory=Visitors)
    clerks: Clerks = field(default_factory=Clerks)
    policy: PolicyConfig | None = None  # None: the hall's own

    def queue(self, code: str) -> QueueProfile | None:
        return next((q for q in self.queues if q.code == code), None)

    def expected_visitors(self) -> float:
        return sum(q.expected_visitors() for q in self.queues)

    def hall_config(self) -> HallConfig:
        """A hall laid out as the profile describes it: its queues, and its counters with the queues
        of each one's first schedule."""
        counters: dict[int, tuple[str, ...]] = {}
        for i, schedule in enumerate(self.counters):
            if not schedule.queues and schedule.number not in counters:
                raise ProfileError(f"counters[{i}].queues: needed to lay out the hall from the profile alone")
            counters.setdefault(schedule.number, schedule.queues)
        return HallConfig(
            code=self.hall or "sim", name=self.hall_name or self.name or "模拟大厅", timezone=self.timezone,
            queues=tuple(QueueConfig(q.code, q.name or q.code) for q in self.queues),
            counters=tuple(CounterConfig(n, f"{n}号窗口", qs) for n, qs in sorted(counters.items())),
        )


# ---------------------------------------------------------------------------------------- reading
def load_profile(path: str | Path) -> Profile:
    """A profile from a TOML file; :class:`ProfileError` (naming the file and the key) if it is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(f"{path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: not UTF-8 text") from None
    try:
        return parse_profile(text)
    except ProfileError as error:
        raise ProfileError(f"{path.name}: {error}") from None


def parse_profile(text: str) -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"not valid TOML: {error}") from None
    return profile_from_dict(data)


TOP_KEYS = ("name", "hall", "visitors", "clerks", "policy", "queues", "counters")


def profile_from_dict(data: Mapping[str, Any]) -> Profile:
    _known(data, "", TOP_KEYS)
    hall = _table(data, "hall", ("code", "name", "first_day", "timezone"))
    queues_data = data.get("queues")
    if not isinstance(queues_data, Mapping) or not queues_data:
        raise ProfileError("queues: at least one queue, e.g. [queues.A] with its arrivals and service")
    queues = tuple(_queue(str(code), value, f"queues.{code}") for code, value in queues_data.items())
    codes = {q.code for q in queues}
    counters_data = data.get("counters")
    if not isinstance(counters_data, list) or not counters_data:
        raise ProfileError("counters: at least one [[counters]] entry with number, opens and closes")
    counters: list[CounterSchedule] = []
    for i, entry in enumerate(counters_data):
        counters += _counters(entry, f"counters[{i}]", codes)
    _no_overlapping_shifts(counters)
    first_day = hall.get("first_day")
    if first_day is not None and not isinstance(first_day, date):
        raise ProfileError(f"hall.first_day: a date such as 2026-11-23 (got {first_day!r})")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise ProfileError("name: a text")
    return Profile(
        queues=queues, counters=tuple(counters), name=name, hall=_text(hall, "code", "hall.code", ""),
        hall_name=_text(hall, "name", "hall.name", ""), timezone=_text(hall, "timezone", "hall.timezone",
                                                                        "Asia/Shanghai"),
        first_day=first_day, visitors=_visitors(_table(data, "visitors", ("walk", "return_after_min"))),
        clerks=_clerks(_table(data, "clerks", ("call_pause_s", "recalls", "recall_every_s", "stay_until_served"))),
        policy=_policy(data["policy"]) if "policy" in data else None,
    )


QUEUE_KEYS = ("name", "arrivals", "priority_share", "appointment_share", "no_show_share", "return_share", "service",
              "items")


def _queue(code: str, data: Any, path: str) -> QueueProfile:
    if not re.fullmatch(r"[A-Z][A-Z0-9]{0,7}", code):
        raise ProfileError(f"{path}: a queue code is 1-8 capital letters or digits, starting with a letter")
    if not isinstance(data, Mapping):
        raise ProfileError(f"{path}: a table ([{path}])")
    _known(data, path, QUEUE_KEYS)
    arrivals = data.get("arrivals")
    if not isinstance(arrivals, Mapping) or not arrivals:
        raise ProfileError(f'{path}.arrivals: a table of "HH:MM" = visitors per hour, e.g. {{ "08:30" = 20 }}')
    rates: dict[int, float] = {}
    for at, rate in arrivals.items():
        minute = _minute(at, f"{path}.arrivals.{at}")
        if minute in rates:
            raise ProfileError(f"{path}.arrivals.{at}: the same time twice")
        rates[minute] = _number(rate, f'{path}.arrivals."{at}"', 0, 10_000)
    shares = {k: _share(data.get(k, 0.0), f"{path}.{k}") for k in QUEUE_KEYS if k.endswith("_share")}
    if shares["priority_share"] + shares["appointment_share"] > 1:
        raise ProfileError(f"{path}: priority_share + appointment_share is more than 1")
    if "service" not in data:
        raise ProfileError(f"{path}.service: the service time, e.g. {{ median_min = 6, sigma = 0.5 }}")
    items_data = data.get("items", [])
    if not isinstance(items_data, list):
        raise ProfileError(f"{path}.items: a list of {{ code, share, median_min, sigma }}")
    items = tuple(_item(entry, f"{path}.items[{i}]") for i, entry in enumerate(items_data))
    if sum(i.share for i in items) > 1 + 1e-9:
        raise ProfileError(f"{path}.items: the shares add up to more than 1")
    name = data.get("name", code)
    if not isinstance(name, str):
        raise ProfileError(f"{path}.name: a text")
    return QueueProfile(code=code, name=name, arrivals=tuple(sorted(rates.items())),
                        service=_lognormal(data["service"], f"{path}.service"), items=items, **shares)


def _item(data: Any, path: str) -> Item:
    if not isinstance(data, Mapping):
        raise ProfileError(f"{path}: a table {{ code, share, median_min, sigma }}")
    _known(data, path, ("code", "share", "median_min", "median_s", "sigma"))
    code = data.get("code")
    if not isinstance(code, str) or not code:
        raise ProfileError(f"{path}.code: the item's code, e.g. \"A01\"")
    service = _lognormal({k: v for k, v in data.items() if k not in ("code", "share")}, path)
    return Item(code, _share(data.get("share"), f"{path}.share"), service)


def _lognormal(data: Any, path: str) -> Lognormal:
    if not isinstance(data, Mapping):
        raise ProfileError(f"{path}: a table {{ median_min = 6, sigma = 0.5 }} (or median_s)")
    _known(data, path, ("median_min", "median_s", "sigma"))
    if ("median_min" in data) == ("median_s" in data):
        raise ProfileError(f"{path}: give median_min or median_s (one of them)")
    median = (_number(data["median_min"], f"{path}.median_min", 0.01, 24 * 60) * 60 if "median_min" in data
              else _number(data["median_s"], f"{path}.median_s", 0.5, 86_400))
    if "sigma" not in data:
        raise ProfileError(f"{path}.sigma: the spread of the log of the time, e.g. 0.5")
    return Lognormal(median, _number(data["sigma"], f"{path}.sigma", 0, 3))


COUNTER_KEYS = ("number", "numbers", "opens", "closes", "breaks", "queues")


def _counters(data: Any, path: str, codes: set[str]) -> list[CounterSchedule]:
    if not isinstance(data, Mapping):
        raise ProfileError(f"{path}: a table with number (or numbers), opens and closes")
    _known(data, path, COUNTER_KEYS)
    if ("number" in data) == ("numbers" in data):
        raise ProfileError(f"{path}: give number = N or numbers = [N, …] (one of them)")
    raw = [data["number"]] if "number" in data else data["numbers"]
    key = "number" if "number" in data else "numbers"
    if not isinstance(raw, list) or not raw:
        raise ProfileError(f"{path}.{key}: counter numbers, e.g. [1, 2]")
    numbers = [int(_number(n, f"{path}.{key}", 1, 9999, whole=True)) for n in raw]
    for needed in ("opens", "closes"):
        if needed not in data:
            raise ProfileError(f"{path}.{needed}: a time of day \"HH:MM\"")
    opens, closes = _minute(data["opens"], f"{path}.opens"), _minute(data["closes"], f"{path}.closes")
    if closes <= opens:
        raise ProfileError(f"{path}.closes: after opens")
    breaks: list[tuple[int, int]] = []
    raw_breaks = data.get("breaks", [])
    if not isinstance(raw_breaks, list):
        raise ProfileError(f'{path}.breaks: a list of ["HH:MM", "HH:MM"] pairs')
    for i, pair in enumerate(raw_breaks):
        where = f"{path}.breaks[{i}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise ProfileError(f'{where}: a pair ["HH:MM", "HH:MM"]')
        start, end = _minute(pair[0], where), _minute(pair[1], where)
        if not opens <= start < end <= closes:
            raise ProfileError(f"{where}: must start before it ends, within opens and closes")
        if breaks and start < breaks[-1][1]:
            raise ProfileError(f"{where}: breaks in order of time, not overlapping")
        breaks.append((start, end))
    queues = data.get("queues", [])
    if not isinstance(queues, list) or not all(isinstance(q, str) for q in queues) or len(set(queues)) != len(queues):
        raise ProfileError(f'{path}.queues: distinct queue codes, its own first, e.g. ["L", "Z"]')
    unknown = [q for q in queues if q not in codes]
    if unknown:
        raise ProfileError(f"{path}.queues: {', '.join(unknown)} is not a queue of this profile "
                           f"({', '.join(sorted(codes))})")
    return [CounterSchedule(n, opens, closes, tuple(breaks), tuple(queues)) for n in numbers]


def _no_overlapping_shifts(counters: Sequence[CounterSchedule]) -> None:
    by_number: dict[int, list[CounterSchedule]] = {}
    for c in counters:
        by_number.setdefault(c.number, []).append(c)
    for number, shifts in by_number.items():
        shifts.sort(key=lambda s: s.opens)
        for before, after in zip(shifts, shifts[1:], strict=False):
            if after.opens < before.closes:
                raise ProfileError(f"counters: counter {number} has two schedules at the same time")


def _visitors(data: Mapping[str, Any]) -> Visitors:
    walk = _lognormal(data["walk"], "visitors.walk") if "walk" in data else Visitors().walk
    ret = data.get("return_after_min", list(Visitors().return_after_min))
    if not isinstance(ret, list) or len(ret) != 2:
        raise ProfileError("visitors.return_after_min: [lowest, highest] minutes, e.g. [5, 30]")
    lo = _number(ret[0], "visitors.return_after_min", 0, 600)
    hi = _number(ret[1], "visitors.return_after_min", lo, 600)
    return Visitors(walk, (lo, hi))


def _clerks(data: Mapping[str, Any]) -> Clerks:
    base = Clerks()
    stay = data.get("stay_until_served", base.stay_until_served)
    if not isinstance(stay, bool):
        raise ProfileError("clerks.stay_until_served: true or false")
    return Clerks(
        call_pause_s=_number(data.get("call_pause_s", base.call_pause_s), "clerks.call_pause_s", 0, 3600),
        recalls=int(_number(data.get("recalls", base.recalls), "clerks.recalls", 0, 10, whole=True)),
        recall_every_s=_number(data.get("recall_every_s", base.recall_every_s), "clerks.recall_every_s", 1, 3600),
        stay_until_served=stay,
    )


def _policy(data: Any) -> PolicyConfig:
    if not isinstance(data, Mapping):
        raise ProfileError("policy: a table, e.g. [policy] kind = \"strict\"")
    _known(data, "policy", ("kind", "max_priority_streak", "walk_in_max_wait_s", "priority_weight"))
    base = PolicyConfig()
    kind = data.get("kind", base.kind)
    if kind not in POLICIES:
        raise ProfileError(f"policy.kind: one of {', '.join(POLICIES)} (got {kind!r})")
    return PolicyConfig(
        kind=kind,
        max_priority_streak=int(_number(data.get("max_priority_streak", base.max_priority_streak),
                                        "policy.max_priority_streak", 1, 20, whole=True)),
        walk_in_max_wait_s=_number(data.get("walk_in_max_wait_s", base.walk_in_max_wait_s),
                                   "policy.walk_in_max_wait_s", 0, 7200),
        priority_weight=_number(data.get("priority_weight", base.priority_weight), "policy.priority_weight", 1, 10),
    )


# ---------------------------------------------------------------------------------------- checks
def _known(data: Mapping[str, Any], path: str, keys: Sequence[str]) -> None:
    for key in data:
        if key not in keys:
            where = f"{path}.{key}" if path else str(key)
            raise ProfileError(f"{where}: unknown key (known here: {', '.join(keys)})")


def _table(data: Mapping[str, Any], key: str, keys: Sequence[str]) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ProfileError(f"{key}: a table ([{key}])")
    _known(value, key, keys)
    return value


def _text(data: Mapping[str, Any], key: str, path: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ProfileError(f"{path}: a text")
    return value


def _number(value: Any, path: str, low: float, high: float, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not float(value).is_integer()):
        kind = "a whole number" if whole else "a number"
        raise ProfileError(f"{path}: {kind} from {low:g} to {high:g} (got {value!r})")
    if not low <= value <= high:  # NaN too
        raise ProfileError(f"{path}: from {low:g} to {high:g} (got {value!r})")
    return float(value)


def _share(value: Any, path: str) -> float:
    return _number(value, path, 0, 1)


def _minute(value: Any, path: str) -> int:
    match = HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        raise ProfileError(f'{path}: a time of day "HH:MM" (got {value!r})')
    return int(match.group(1)) * 60 + int(match.group(2))


def hhmm(minute: float) -> str:
    """510 → "08:30"."""
    m = int(minute)
    return f"{m // 60:02d}:{m % 60:02d}"
