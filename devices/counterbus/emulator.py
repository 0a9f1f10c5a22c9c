"""Every device on one counter bus line, on a real pty: keypads, evaluators and LED strips.

Control API for tests and demos: ``press(addr, *keys)``, ``rate(addr, level)``, ``noise(data)``;
what happened: ``strip(addr)`` (six characters, blanks as spaces: A012 shows ``"   012"``),
``beeps(addr)``, ``unacknowledged()`` (device frames the host has not echoed yet),
``wait_acknowledged(timeout)``. Addresses in ``silent_addresses`` have a dead strip: frames to them
are not shown, beeped or echoed.
"""

from __future__ import annotations

import threading
from collections import Counter

from devices.counterbus.framing import FE68, Frame, Framing
from devices.counterbus.keypad import (
    BLANK,
    FUNC_BEEP,
    FUNC_KEY,
    FUNC_RATING,
    FUNC_SHOW,
    STRIP_WIDTH,
    strip_text,
)
from devices.emulation import PtyEmulator


class CounterBusEmulator(PtyEmulator):
    kind = "counterbus"

    def __init__(self, link: str | None = None, framing: Framing = FE68) -> None:
        super().__init__(link)
        self._framing = framing
        self._parser = framing.parser()
        self._changed = threading.Condition()
        self._strips: dict[int, bytes] = {}
        self._beeps: Counter[int] = Counter()
        self._outstanding: list[Frame] = []  # sent by a device, not yet echoed by the host
        self.acknowledged: list[Frame] = []
        self.unexpected: list[Frame] = []  # host frames that were neither commands nor echoes
        self.silent_addresses: set[int] = set()

    # ------------------------------------------------------------------ devices speak
    def press(self, addr: int, *keys: int) -> list[Frame]:
        """The keypad at ``addr`` sends one key frame per key (FUNC 01, DATA = the key)."""
        frames = [Frame(addr, FUNC_KEY, bytes([key])) for key in keys]
        for frame in frames:
            self._device_sends(frame)
        return frames

    def rate(self, addr: int, level: int) -> Frame:
        """The evaluator at ``addr`` sends its score (FUNC 04, DATA = 1..5)."""
        frame = Frame(addr, FUNC_RATING, bytes([level]))
        self._device_sends(frame)
        return frame

    def noise(self, data: bytes) -> None:
        """Raw bytes on the line (interference, a babbling device)."""
        self.send(data)

    def _device_sends(self, frame: Frame) -> None:
        with self._changed:
            self._outstanding.append(frame)
        self.send(self._framing.encode(frame))

    # ------------------------------------------------------------------ what happened
    def strip(self, addr: int) -> str:
        with self._changed:
            return strip_text(self._strips.get(addr, bytes([BLANK] * STRIP_WIDTH)))

    def beeps(self, addr: int) -> int:
        with self._changed:
            return self._beeps[addr]

    def unacknowledged(self) -> list[Frame]:
        with self._changed:
            return list(self._outstanding)

    def wait_acknowledged(self, timeout: float = 2.0) -> bool:
        """True once every device frame sent so far has been echoed by the host."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._outstanding, timeout)

    # ------------------------------------------------------------------ the host speaks
    def received(self, data: bytes) -> None:
        for frame in self._parser.feed(data):
            self._host_frame(frame)

    def _host_frame(self, frame: Frame) -> None:
        with self._changed:
            if frame.func in (FUNC_SHOW, FUNC_BEEP):
                if frame.addr in self.silent_addresses:
                    return
                if frame.func == FUNC_SHOW:
                    if len(frame.data) != STRIP_WIDTH:
                        return  # a strip refuses a malformed show: no echo, the host retries
                    self._strips[frame.addr] = frame.data
                else:
                    self._beeps[frame.addr] += 1
                echo = True
            elif frame in self._outstanding:
                self._outstanding.remove(frame)
                self.acknowledged.append(frame)
                self._changed.notify_all()
                echo = False
            else:
                self.unexpected.append(frame)
                echo = False
        if echo:
            self.send(self._framing.encode(frame))
