"""The values a caller puts in an address (path and query) and the secrets it sends for comparison,
parsed strictly in one place.

An address is text anyone can type, and Python's own parsers accept more than we mean: ``²`` passes
``str.isdigit()`` but not ``int()``, 5,000 digits pass both but not ``int()``'s digit limit,
``int(" 1_0")`` is 10, ``date.fromisoformat`` takes ``20261125`` and year 9999 (whose next day does
not exist), and ``hmac.compare_digest`` raises on non-ASCII text. Every route (server/api, the feeds
in server/hub, the fronts' pages) reads its numbers, dates and instants here, so a bad one is a
refusal naming the parameter, never a 5xx. NUL characters (which PostgreSQL refuses in text) are
kept out of every address by server/limits.py and out of JSON bodies by server/api/bodies.py.
"""

from __future__ import annotations

import hmac
import re
from datetime import date, datetime

from server.domain.errors import InvalidInput

FIRST_DAY = date(2000, 1, 1)  # the working calendar's years (server/services/calendar.py)
LAST_DAY = date(2100, 12, 31)
BIGINT = 2**63 - 1  # a BigInteger column (the event log's sequence numbers)
INTEGER = 2**31 - 1  # an Integer column (the ids of follow-ups, cases, ratings …)
MAX_COUNTER = 9999  # a counter's number (server/api/schemas.py Transfer)

_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]{2,15}(Z|[+-][0-9]{2}:?[0-9]{2})?", re.ASCII)


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """``raw`` as an int within ``low``..``high`` if it is 1–19 ASCII digits and nothing else; else None."""
    if raw is None or _DIGITS.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def query_number(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    """A number from the query: absent or empty is ``default``; anything but ``low``..``high`` a 422."""
    if raw is None or raw == "":
        return default
    value = whole_number(raw, low, high)
    if value is None:
        raise InvalidInput.coded("invalid_field", f"{name} 应为 {low}–{high} 的整数 ({name}: a whole number "
                                                  f"from {low} to {high})", name)
    return value


def day(raw: str, name: str) -> date:
    """A date ``YYYY-MM-DD`` between 2000-01-01 and 2100-12-31: a hall's day and those around it
    (a week or a month later) always exist."""
    found = None
    if _DAY.fullmatch(raw):
        try:
            found = date.fromisoformat(raw)
        except ValueError:
            found = None
    if found is None or not FIRST_DAY <= found <= LAST_DAY:
        raise InvalidInput.coded("invalid_field", f"{name} 应为 2000-01-01 至 2100-12-31 之间的日期 YYYY-MM-DD "
                                                  f"({name}: a date YYYY-MM-DD from 2000 to 2100)", name)
    return found



def instant(raw: str, name: str) -> datetime:
    """An ISO 8601 date-time (naive or with its offset) on a day ``day`` accepts."""
    found = None
    if _INSTANT.fullmatch(raw):
        try:
            found = datetime.fromisoformat(raw)
        except ValueError:
            found = None
    if found is None or not FIRST_DAY <= found.date() <= LAST_DAY:
        raise InvalidInput.coded("invalid_field", f"{name} 应为 2000 至 2100 年间的时间，如 2026-11-26T09:30:00+08:00 "
                                                  f"({name}: an ISO date-time from 2000 to 2100)", name)
    return found


def same_secret(given: str, expected: str) -> bool:
    """Compares what a caller sent with a stored secret in constant time. ``hmac.compare_digest``
    raises TypeError on non-ASCII text; as UTF-8 bytes any text compares."""
    return hmac.compare_digest(given.encode(), expected.encode())
