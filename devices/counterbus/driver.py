"""The counter bus driver: one RS-485 line shared by every counter's keypad, evaluator and strip.

Synchronous, like every driver here: the agent calls ``poll`` in a loop in one thread and may call
``show``/``beep`` from another. One lock guards the port, the parser and the sequencer; ``poll``
takes it for one short read at a time, so a ``show`` waits at most one read for its turn, and
while ``show`` waits for its echo it also acknowledges key frames and queues them for ``poll``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from devices.base import ERROR, OFFLINE, OK, DeviceError, DeviceStatus, DeviceUrl, open_serial
from devices.counterbus.framing import FE68, Frame, Framing
from devices.counterbus.keypad import (
    FUNC_BEEP,
    FUNC_SHOW,
    HOST_FUNCS,
    KeyAction,
    KeySequencer,
    Rating,
    strip_digits,
)

log = logging.getLogger("onewindow.devices.counterbus")

BAUD = 9600
READ_TIMEOUT = 0.05  # one read's wait: short, so poll hands the port to show quickly
ACK_TIMEOUT = 0.25  # a strip echoes within a few ms; 6-digit frame ≈ 13 ms on the wire at 9600
RETRIES = 3

Event = KeyAction | Rating


class CounterBus:
    def __init__(self, port: Any, framing: Framing = FE68, *, ack_timeout: float = ACK_TIMEOUT,
                 retries: int = RETRIES, clock: Callable[[], float] = time.monotonic) -> None:
        self._port = port
        self._framing = framing
        self._parser = framing.parser()
        self._sequencer = KeySequencer()
        self._clock = clock
        self.ack_timeout = ack_timeout
        self.retries = retries
        self._lock = threading.RLock()
        self._queued: list[Event] = []  # actions read while show/beep waited for an echo
        self._silent: set[int] = set()  # addresses whose strip did not echo the last frame
        self._failure: str | None = None  # set once the line itself failed

    @classmethod
    def open(cls, url: str | DeviceUrl, framing: Framing = FE68, **options: Any) -> CounterBus:
        return cls(open_serial(url, baud=BAUD, timeout=READ_TIMEOUT), framing, **options)

    def close(self) -> None:
        with self._lock, contextlib.suppress(OSError):
            self._port.close()

    # ------------------------------------------------------------------ public
    def poll(self, timeout: float) -> list[Event]:
        """Actions and ratings that arrived within ``timeout`` seconds (returns as soon as any do)."""
        deadline = self._clock() + timeout
        while True:
            with self._lock:
                events, self._queued = self._queued, []
                events += self._handle(self._read())
            if events or self._clock() >= deadline:
                return events

    def show(self, addr: int, number: str) -> bool:
        """Shows the serial's digits on strip ``addr``; False when it did not echo after retries."""
        return self._send_acked(Frame(addr, FUNC_SHOW, strip_digits(number)))

    def beep(self, addr: int) -> bool:
        return self._send_acked(Frame(addr, FUNC_BEEP))

    def not_answering(self) -> set[int]:
        with self._lock:
            return set(self._silent)

    def status(self) -> DeviceStatus:
        with self._lock:
            if self._failure:
                return DeviceStatus(OFFLINE, "窗口总线断开")
            if self._silent:
                counters = "、".join(str(addr) for addr in sorted(self._silent))
                return DeviceStatus(ERROR, f"{counters}号窗口屏无应答")
            return DeviceStatus(OK, "")

    @property
    def rejected(self) -> int:
        return self._parser.rejected

    # ------------------------------------------------------------------ internals
    def _send_acked(self, frame: Frame) -> bool:
        raw = self._framing.encode(frame)
        with self._lock:
            for _ in range(self.retries):
                self._write(raw)
                deadline = self._clock() + self.ack_timeout
                while self._clock() < deadline:
                    frames = self._read()
                    if frame in frames:
                        frames.remove(frame)
                        self._queued += self._handle(frames)
                        self._silent.discard(frame.addr)
                        return True
                    self._queued += self._handle(frames)
            if frame.addr not in self._silent:
                log.warning("counter bus: address %d did not answer after %d tries", frame.addr, self.retries)
            self._silent.add(frame.addr)
            return False

    def _handle(self, frames: list[Frame]) -> list[Event]:
        events: list[Event] = []
        for frame in frames:
            if frame.func in HOST_FUNCS:
                continue  # an echo of our own frame (a late ack after a retry): nothing to do
            self._write(self._framing.encode(frame))  # acknowledge: echo it unchanged
            event = self._sequencer.feed(frame, self._clock())
            if event is not None:
                events.append(event)
        return events

    def _read(self) -> list[Frame]:
        try:
            data = self._port.read(1)
            waiting = getattr(self._port, "in_waiting", 0) if data else 0
            if waiting:
                data += self._port.read(waiting)
        except OSError as error:  # pyserial's SerialException is an OSError
            raise self._gone(error) from None
        # A quiet read means the line is idle: an unfinished frame then is a broken one.
        return self._parser.feed(data) if data else self._parser.idle()

    def _write(self, raw: bytes) -> None:
        try:
            self._port.write(raw)
        except OSError as error:
            raise self._gone(error) from None

    def _gone(self, error: Exception) -> DeviceError:
        self._failure = error.__class__.__name__
        return DeviceError(f"counter bus line failed: {self._failure}")
