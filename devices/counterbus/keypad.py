"""What the frames mean: keypad keys per address → actions, evaluator scores, strip digits.

Pure: no I/O, and time is passed in (monotonic seconds) so a test can step it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from devices.counterbus.framing import Frame

log = logging.getLogger("onewindow.devices.counterbus")

# FUNC bytes. 02/03 are fixed by the contract; 01 (key) and 04 (score) are our choice (docs/devices.md).
FUNC_KEY = 0x01
FUNC_SHOW = 0x02
FUNC_BEEP = 0x03
FUNC_RATING = 0x04
HOST_FUNCS = frozenset({FUNC_SHOW, FUNC_BEEP})  # frames the host sends; from a device they are echoes

KEY_EVALUATE = 0x0B
KEY_CALL = 0x0C
KEY_RECALL = 0x0D
KEY_CONFIRM = 0x0F
KEY_PAUSE = 0x12
KEY_TRANSFER = 0x13
SINGLE_KEYS = {KEY_CALL: "call", KEY_RECALL: "recall", KEY_EVALUATE: "evaluate", KEY_PAUSE: "pause"}
DIGIT_ACTIONS = {(6,): "no_show", (3,): "reinstate"}  # digits then 0F, no pending mode

BLANK = 0x0A
STRIP_WIDTH = 6
SEQUENCE_TIMEOUT = 10.0  # seconds without a key before a half-entered sequence is forgotten
MAX_DIGITS = 6  # longer entries are a stuck or mistyped key: ignored on confirm


@dataclass(frozen=True)
class KeyAction:
    counter_addr: int
    action: str  # call, recall, evaluate, pause, transfer, no_show, reinstate
    argument: int | None = None  # transfer: the target counter number


@dataclass(frozen=True)
class Rating:
    addr: int
    level: int  # 1..5, as server/domain/ratings.py LEVELS (5 = 非常满意)


@dataclass
class _Pending:
    mode: str | None = None  # "transfer" after 13, else None
    digits: list[int] = field(default_factory=list)
    last: float = 0.0


class KeySequencer:
    """Turns each address's key frames into actions. ``feed`` never raises on any frame."""

    def __init__(self, timeout: float = SEQUENCE_TIMEOUT) -> None:
        self.timeout = timeout
        self._pending: dict[int, _Pending] = {}

    def pending(self, addr: int) -> tuple[str | None, tuple[int, ...]] | None:
        entry = self._pending.get(addr)
        return None if entry is None else (entry.mode, tuple(entry.digits))

    def feed(self, frame: Frame, now: float) -> KeyAction | Rating | None:
        if frame.func == FUNC_RATING:
            level = frame.data[-1] if frame.data else 0
            if 1 <= level <= 5:
                return Rating(frame.addr, level)
            log.info("counter bus: evaluator %d sent an out-of-range score", frame.addr)
            return None
        if frame.func != FUNC_KEY or not frame.data:
            return None
        return self._key(frame.addr, frame.data[-1], now)

    def _key(self, addr: int, key: int, now: float) -> KeyAction | None:
        entry = self._pending.get(addr)
        if entry is not None and now - entry.last > self.timeout:
            log.info("counter bus: keypad %d sequence expired", addr)
            del self._pending[addr]
            entry = None
        if key in SINGLE_KEYS:
            self._pending.pop(addr, None)  # a function key abandons any half-entered sequence
            return KeyAction(addr, SINGLE_KEYS[key])
        if key == KEY_TRANSFER:
            self._pending[addr] = _Pending("transfer", [], now)
            return None
        if 0 <= key <= 9:
            entry = entry or self._pending.setdefault(addr, _Pending())
            if len(entry.digits) <= MAX_DIGITS:  # one past the limit marks it too long; a stuck key stays bounded
                entry.digits.append(key)
            entry.last = now
            return None
        if key == KEY_CONFIRM:
            return self._confirm(addr, self._pending.pop(addr, None))
        log.info("counter bus: keypad %d sent an unknown key", addr)
        return None

    def _confirm(self, addr: int, entry: _Pending | None) -> KeyAction | None:
        digits = tuple(entry.digits) if entry else ()
        if entry is not None and entry.mode == "transfer":
            if digits and len(digits) <= MAX_DIGITS and any(digits):
                return KeyAction(addr, "transfer", int("".join(map(str, digits))))
        elif digits in DIGIT_ACTIONS:
            return KeyAction(addr, DIGIT_ACTIONS[digits])
        log.info("counter bus: keypad %d confirmed an unknown sequence (%d digits)", addr, len(digits))
        return None


def strip_digits(number: str) -> bytes:
    """The six FUNC 02 digit bytes: the serial's digits right-aligned, blanks (0A) before them.
    A012 → 0A 0A 0A 00 01 02. Letters are dropped; of more than six digits the last six are kept."""
    digits = [int(c) for c in number if c in "0123456789"][-STRIP_WIDTH:]
    return bytes([BLANK] * (STRIP_WIDTH - len(digits)) + digits)


def strip_text(data: bytes) -> str:
    """What a strip shows for FUNC 02 data: digits, a space per blank, ? for anything else."""
    return "".join(str(b) if b <= 9 else " " if b == BLANK else "?" for b in data)
