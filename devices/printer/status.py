"""Real-time status (``DLE EOT n``) answers, parsed per the Epson ESC/POS reference. Pure.

The printer answers each query with one byte even while it is busy or stopped, which is why the
driver asks before every slip: a ticket printed into an empty paper roll is a visitor lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.base import COVER_OPEN, ERROR, OK, PAPER_LOW, PAPER_OUT, DeviceStatus

PRINTER = 1  # printer status
OFFLINE_CAUSE = 2
PAPER_SENSOR = 4  # roll paper sensor
QUERIES = (PRINTER, OFFLINE_CAUSE, PAPER_SENSOR)

# Every answer has bit1 = 1 and bit4 = 1, bit0 = bit7 = 0: how we tell a status byte from noise or
# from a stale byte of something else.
_FIXED_MASK = 0b1001_0011
_FIXED_VALUE = 0b0001_0010
BASE = _FIXED_VALUE  # an answer with nothing to report


def query(n: int) -> bytes:
    return bytes([0x10, 0x04, n])


def is_valid(answer: int) -> bool:
    return 0 <= answer <= 0xFF and answer & _FIXED_MASK == _FIXED_VALUE


@dataclass(frozen=True)
class PrinterFlags:
    offline: bool = False
    cover_open: bool = False
    feed_button: bool = False
    paper_end_stop: bool = False  # printing stopped because the paper ran out
    error: bool = False
    paper_near_end: bool = False
    paper_end: bool = False


def parse_answers(answers: bytes) -> PrinterFlags | None:
    """The three answers, in ``QUERIES`` order; None (rejected) when any is missing or malformed."""
    if len(answers) != len(QUERIES) or not all(is_valid(a) for a in answers):
        return None
    printer, cause, paper = answers
    return PrinterFlags(
        offline=bool(printer & 0x08),
        cover_open=bool(cause & 0x04),
        feed_button=bool(cause & 0x08),
        paper_end_stop=bool(cause & 0x20),
        error=bool(cause & 0x40),
        paper_near_end=bool(paper & 0x0C),  # either bit: some printers set only one of the pair
        paper_end=bool(paper & 0x60),
    )


def to_device_status(flags: PrinterFlags) -> DeviceStatus:
    """The most urgent condition wins: no paper before open cover before a generic error."""
    if flags.paper_end or flags.paper_end_stop:
        return DeviceStatus(PAPER_OUT, "打印机缺纸")
    if flags.cover_open:
        return DeviceStatus(COVER_OPEN, "打印机盖未关好")
    if flags.error:
        return DeviceStatus(ERROR, "打印机故障（切刀或机头），请检查")
    if flags.offline and not flags.feed_button:  # the feed button takes it offline only briefly
        return DeviceStatus(ERROR, "打印机离线")
    if flags.paper_near_end:
        return DeviceStatus(PAPER_LOW, "打印纸即将用完")
    return DeviceStatus(OK, "")


def parse_status(answers: bytes) -> DeviceStatus | None:
    flags = parse_answers(answers)
    return None if flags is None else to_device_status(flags)
