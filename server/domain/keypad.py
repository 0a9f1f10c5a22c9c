"""What a caller keypad's keys (呼叫器) do at a counter. Pure: a key becomes one hall command.

The counter page has a button for every action; a keypad has a handful of keys, so a key may do
two things at once, as the keypads in these halls do: 呼叫 finishes the visitor at the window (if
any) and calls the next; 暂停 pauses, or resumes a paused counter. The key sequences themselves
(digits, confirm) are the device's business: devices/counterbus/keypad.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import errors
from .hall import Hall
from .model import Counter, CounterMode, Event, TicketStatus

KEYPAD_PAUSE_REASON = "呼叫器暂停"
ACTIONS = ("call", "recall", "evaluate", "pause", "transfer", "no_show", "reinstate")

KeyCommand = Callable[[Hall, datetime], list[Event]]


def key_command(number: int, action: str, argument: int | None = None) -> KeyCommand:
    """The hall command for ``action`` pressed at counter ``number``'s keypad."""
    if action not in ACTIONS:
        raise errors.Conflict(f"呼叫器按键 {action} 不受支持", f"unsupported keypad action {action!r}")

    def run(hall: Hall, now: datetime) -> list[Event]:
        counter = hall.active_counter(number)  # a closed counter refuses: nobody is signed in
        if action == "call":
            return _finish_and_call(hall, counter, now)
        if action == "recall":
            return hall.recall(number, now)
        if action == "pause":
            return hall.resume(number, now) if counter.mode == CounterMode.PAUSED else \
                hall.pause(number, KEYPAD_PAUSE_REASON, now)
        if action == "transfer":
            if argument is None:
                raise errors.InvalidTransfer("请输入转去的窗口号", "transfer needs a counter number")
            return hall.transfer(number, now, to_counter=argument, reason="呼叫器转移")
        if action == "no_show":
            return hall.no_show(number, now)
        if action == "reinstate":
            return hall.reinstate(_last_no_show(hall, counter), now)
        return []  # evaluate: the agent prompts the evaluator; nothing changes in the hall

    return run


def _finish_and_call(hall: Hall, counter: Counter, now: datetime) -> list[Event]:
    out: list[Event] = []
    current = hall.current_ticket(counter)
    if current is not None and current.status in (TicketStatus.CALLED, TicketStatus.SERVING):
        out += hall.finish(counter.number, now)
    return out + hall.call_next(counter.number, now)


def _last_no_show(hall: Hall, counter: Counter) -> str:
    gone = [t for t in hall.tickets.values() if t.counter == counter.number and t.status == TicketStatus.NO_SHOW
            and t.day == hall.day and t.finished_at]
    if not gone:
        raise errors.NotNoShow(f"{counter.number}号窗口今天没有过号的号码",
                               f"counter {counter.number} has no no-show today")
    return max(gone, key=lambda t: (t.finished_at, t.id)).number
