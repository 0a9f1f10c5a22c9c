"""The ID-card reader driver: synchronous, polled by the agent in its own thread.

A reader answers find-card with ``9F`` for a card it has not read yet and with ``80`` both when
there is no card and when the card it just read is still lying there. Find alone therefore cannot
tell "still there" from "lifted"; select can (it succeeds while a card is in the field), so once a
card was seen we probe with select on every ``80`` and read a card once per presentation.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from enum import Enum

from devices.base import OFFLINE, OK, DeviceError, DeviceStatus, Port, open_serial
from devices.idcard import sam
from devices.idcard.text import BadCard, IdCard, decode_text

log = logging.getLogger("onewindow.devices.idcard")

BAUD = 115200


@dataclass(frozen=True)
class CardPresented:
    card: IdCard  # its repr hides the personal fields


@dataclass(frozen=True)
class CardRemoved:
    pass


class _Holding(Enum):
    NOTHING = "nothing"
    UNREAD = "unread"  # seen, but the read answer was lost: read again while it stays
    READ = "read"  # read and reported: CardRemoved is owed when it leaves
    REJECTED = "rejected"  # read and refused: no event now, none when it leaves


class IdCardReader:
    def __init__(self, port: Port, *, timeout: float = 1.0) -> None:
        self.port = port
        self.timeout = timeout  # a reader answers in ~0.1 s (a full read ~0.5 s); silence = unplugged
        self.frames = sam.FrameReader()
        self._holding = _Holding.NOTHING
        self._status = DeviceStatus(OK, "身份证阅读器正常")

    @classmethod
    def open(cls, url: str, *, timeout: float = 1.0) -> IdCardReader:
        return cls(open_serial(url, baud=BAUD), timeout=timeout)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # closing an unplugged port may fail; it is closed anyway
            self.port.close()

    def status(self) -> DeviceStatus:
        return self._status

    # ------------------------------------------------------------------ polling
    def poll(self) -> CardPresented | CardRemoved | None:
        found = self._request(sam.FIND_CARD)
        if found is None:
            return None
        if found.sw3 == sam.SW_FIND_OK:
            if self._holding is _Holding.READ:
                # The card was swapped between two polls: report the removal first; the new card
                # still answers 9F (it is unread), so the next poll reads it.
                self._holding = _Holding.NOTHING
                return CardRemoved()
            return self._select_and_read()
        if self._holding is _Holding.NOTHING:
            return None  # 80 with nothing on the reader: the normal idle answer
        selected = self._request(sam.SELECT_CARD)
        if selected is None:
            return None
        if selected.sw3 == sam.SW_OK:
            return self._read() if self._holding is _Holding.UNREAD else None
        lifted, self._holding = self._holding, _Holding.NOTHING
        return CardRemoved() if lifted is _Holding.READ else None

    def _select_and_read(self) -> CardPresented | None:
        selected = self._request(sam.SELECT_CARD)
        if selected is None or selected.sw3 != sam.SW_OK:
            return None  # card moved while placed: find will say 9F again next poll
        self._holding = _Holding.UNREAD
        return self._read()

    def _read(self) -> CardPresented | None:
        answer = self._request(sam.READ_TEXT_PHOTO)
        if answer is None:
            return None
        if answer.sw3 != sam.SW_OK:
            log.warning("id card read failed: %s", sam.status_name(answer.sw3))
            return None
        try:
            card = _parse_read(answer.data)
        except BadCard as error:
            # The message names the fault, never the content (see text.BadCard).
            log.warning("id card rejected: %s", error)
            self._holding = _Holding.REJECTED
            return None
        self._holding = _Holding.READ
        return CardPresented(card)

    # ------------------------------------------------------------------ transport
    def _request(self, command: tuple[int, int]) -> sam.Response | None:
        """One request, one answer. None when the answer came garbled (logged: try again next
        poll); DeviceError when nothing came at all or the port failed."""
        try:
            self.port.reset_input_buffer()  # stale bytes from an earlier, abandoned answer
            self.frames.clear()
            self.port.write(sam.build_request(*command))
            answer = self._await_response()
        except DeviceError:
            raise
        except Exception as error:
            # pyserial's SerialException is an OSError, but a pulled cable can also surface as
            # termios.error (from flushing) or ValueError (a closed port); all mean "gone".
            self._status = DeviceStatus(OFFLINE, "身份证阅读器未连接")
            raise DeviceError(f"id card reader port failed: {error.__class__.__name__}") from None
        self._status = DeviceStatus(OK, "身份证阅读器正常")
        return answer

    def _await_response(self) -> sam.Response | None:
        deadline = time.monotonic() + self.timeout
        rejected_before = self.frames.rejected
        heard = False
        while time.monotonic() < deadline:
            chunk = self.port.read(1)  # blocks up to the port timeout for the first byte
            waiting = getattr(self.port, "in_waiting", 0)
            if chunk and waiting:
                chunk += self.port.read(waiting)
            if not chunk:
                continue
            heard = True
            responses = self.frames.feed(chunk)
            if responses:
                if len(responses) > 1:
                    log.warning("id card reader sent %d answers to one request", len(responses))
                return responses[-1]
        rejected = self.frames.rejected - rejected_before
        if heard:
            # Counts only: the bytes may be a card's text.
            log.warning("id card reader answer unusable (%d bad frames rejected); retrying", rejected)
            return None
        self._status = DeviceStatus(OFFLINE, "身份证阅读器无响应")
        raise DeviceError("id card reader did not answer")


def _parse_read(data: bytes) -> IdCard:
    """The read answer: text length, photo length (2 bytes BE each), text block, photo."""
    if len(data) < 4:
        raise BadCard("read answer too short")
    text_length = int.from_bytes(data[:2], "big")
    photo_length = int.from_bytes(data[2:4], "big")
    if len(data) != 4 + text_length + photo_length:
        raise BadCard("read answer lengths do not add up")
    return decode_text(data[4 : 4 + text_length], data[4 + text_length :])
