"""The counter bus frame, ``FF 68 L L 68 ADDR FUNC DATA… CS 16`` (CONTRACT.md, "Devices").

Pure bytes in, frames out: nothing here knows what a key is. Another vendor's framing is one new
module with an object satisfying ``Framing`` (an ``encode`` and a ``parser()``); the driver and the
emulator take that object and need no other change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("onewindow.devices.counterbus")

START = b"\xff\x68"
END = 0x16
HEADER = 5  # FF 68 L L 68
# Bus frames are a few bytes (a key, six digits). A header claiming more is noise: refusing it at
# once keeps one stray "FF 68 FF FF 68" from swallowing the real frames that follow it.
MAX_BODY = 64
MAX_FRAME = HEADER + MAX_BODY + 2


@dataclass(frozen=True)
class Frame:
    addr: int  # bus address = counter number
    func: int
    data: bytes = b""


class Parser(Protocol):
    rejected: int  # candidate frames refused (bad length, CS or end byte)
    skipped: int  # bytes dropped while looking for a frame start

    def feed(self, chunk: bytes) -> list[Frame]: ...

    def idle(self) -> list[Frame]: ...


class Framing(Protocol):
    name: str

    def encode(self, frame: Frame) -> bytes: ...

    def parser(self) -> Parser: ...


def encode(frame: Frame) -> bytes:
    body = bytes([frame.addr, frame.func]) + bytes(frame.data)
    if len(body) > MAX_BODY:
        raise ValueError(f"frame body of {len(body)} bytes exceeds {MAX_BODY}")
    return START + bytes([len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, END])


class FrameParser:
    """Incremental: ``feed`` any chunking of the line's bytes, get whole valid frames back.

    Never raises. The buffer holds at most one unfinished candidate (< MAX_FRAME bytes), so it
    stays bounded whatever arrives. ``idle()`` is for when the line has gone quiet: a candidate
    still unfinished then is a broken frame, and the bytes behind its start are re-scanned.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.rejected = 0
        self.skipped = 0

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[Frame]:
        self._buffer += chunk
        return self._parse()

    def idle(self) -> list[Frame]:
        frames: list[Frame] = []
        while self._buffer:
            frames += self._parse()
            if self._buffer:  # an unfinished candidate (or a lone FF): drop its first byte, rescan
                if len(self._buffer) >= 2:
                    self._reject("unfinished frame")
                else:
                    self.skipped += 1
                del self._buffer[0]
        return frames

    def _reject(self, why: str) -> None:
        self.rejected += 1
        log.debug("counter bus: rejected a frame (%s)", why)  # never the bytes: keep logs payload-free

    def _parse(self) -> list[Frame]:
        frames: list[Frame] = []
        buf = self._buffer
        while True:
            start = buf.find(START)
            if start < 0:
                # Keep a trailing FF: it may be the first half of the next start.
                keep = 1 if buf[-1:] == b"\xff" else 0
                self.skipped += len(buf) - keep
                del buf[: len(buf) - keep]
                return frames
            if start:
                self.skipped += start
                del buf[:start]
            if len(buf) < HEADER:
                return frames
            length = buf[2]
            if buf[3] != length or buf[4] != 0x68 or not 2 <= length <= MAX_BODY:
                self._reject("bad header")
                del buf[0]
                continue
            total = HEADER + length + 2
            if len(buf) < total:
                return frames
            body = bytes(buf[HEADER : HEADER + length])
            if buf[total - 1] != END:
                self._reject("no end byte")
                del buf[0]  # the length was probably noise: look for a start inside
                continue
            if buf[total - 2] != sum(body) & 0xFF:
                self._reject("bad checksum")
                del buf[:total]  # well delimited but corrupted: drop it whole
                continue
            frames.append(Frame(body[0], body[1], body[2:]))
            del buf[:total]


class FE68Framing:
    """The framing object the driver and emulator take by default."""

    name = "fe68"

    def encode(self, frame: Frame) -> bytes:
        return encode(frame)

    def parser(self) -> FrameParser:
        return FrameParser()


FE68: Framing = FE68Framing()
