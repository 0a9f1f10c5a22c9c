"""SAM protocol framing (pure, no I/O).

Both directions share one shape: preamble ``AA AA AA 96 69``, a big-endian length counting
everything after it (payload and checksum), the payload, and an XOR checksum over the length
bytes and the payload. A request's payload is CMD PARA DATA; a response's is SW1 SW2 SW3 DATA.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"

# Commands as (CMD, PARA).
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)

# SW3 status codes (SW1 SW2 are always 00 00 on the readers we know).
SW_OK = 0x90
SW_FIND_OK = 0x9F
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81
SW_READ_FAILED = 0x41
SW_BAD_CHECKSUM = 0x10
SW_BAD_LENGTH = 0x11
SW_UNKNOWN_COMMAND = 0x21
SW_NAMES: dict[int, str] = {
    SW_OK: "ok",
    SW_FIND_OK: "card found",
    SW_NO_CARD: "no card",
    SW_SELECT_FAILED: "select failed",
    SW_READ_FAILED: "read failed",
    SW_BAD_CHECKSUM: "request checksum error",
    SW_BAD_LENGTH: "request length error",
    SW_UNKNOWN_COMMAND: "unknown command",
    0x31: "card authentication failed",
    0x33: "information verification failed",
}

# The longest legitimate frame is the text+photo answer (3 + 4 + 256 + 1024 + 1 = 1288); allow
# vendors some slack (fingerprint blocks) but refuse lengths that would make us wait forever.
MAX_LENGTH = 4096


def status_name(sw3: int) -> str:
    return SW_NAMES.get(sw3, f"status {sw3:02X}")


def xor(data: bytes) -> int:
    return reduce(lambda acc, byte: acc ^ byte, data, 0)


def _frame(payload: bytes) -> bytes:
    head = (len(payload) + 1).to_bytes(2, "big")
    return PREAMBLE + head + payload + bytes([xor(head + payload)])


def build_request(cmd: int, param: int, data: bytes = b"") -> bytes:
    return _frame(bytes([cmd, param]) + data)


def build_response(sw3: int, data: bytes = b"") -> bytes:
    return _frame(bytes([0x00, 0x00, sw3]) + data)


@dataclass(frozen=True)
class Response:
    sw3: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.sw3 in (SW_OK, SW_FIND_OK)

    def __repr__(self) -> str:  # data may be a card's text and photo: show its size only
        return f"Response({status_name(self.sw3)}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class Request:
    cmd: int
    param: int
    data: bytes = b""


class _Framer:
    """Incremental splitter into checked payloads. Never raises: whatever does not frame is
    skipped, and each rejected candidate frame is counted in ``rejected``."""

    min_payload = 0

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.rejected = 0

    def _payloads(self, data: bytes) -> list[bytes]:
        buf = self._buffer
        buf += data
        found: list[bytes] = []
        while True:
            start = buf.find(PREAMBLE)
            if start < 0:
                # Keep a tail that could be the start of a preamble split across chunks.
                del buf[: max(0, len(buf) - (len(PREAMBLE) - 1))]
                return found
            del buf[:start]
            if len(buf) < len(PREAMBLE) + 2:
                return found
            length = int.from_bytes(buf[5:7], "big")
            if not self.min_payload + 1 <= length <= MAX_LENGTH:
                self.rejected += 1
                del buf[:1]  # resync: look for the next preamble after this false one
                continue
            end = len(PREAMBLE) + 2 + length
            if len(buf) < end:
                return found
            body = bytes(buf[5 : end - 1])
            if xor(body) != buf[end - 1]:
                # Do not skip the whole frame: a real frame may start inside this bogus one.
                self.rejected += 1
                del buf[:1]
                continue
            found.append(body[2:])
            del buf[:end]

    def clear(self) -> None:
        self._buffer.clear()


class FrameReader(_Framer):
    """Driver side: bytes from the reader in, ``Response`` objects out."""

    min_payload = 3  # SW1 SW2 SW3

    def feed(self, data: bytes) -> list[Response]:
        return [Response(payload[2], payload[3:]) for payload in self._payloads(data)]


class RequestReader(_Framer):
    """Emulator side: bytes from the driver in, ``Request`` objects out. The emulator watches
    ``rejected`` grow to answer ``10`` (checksum error) as a real reader does."""

    min_payload = 2  # CMD PARA

    def feed(self, data: bytes) -> list[Request]:
        return [Request(payload[0], payload[1], payload[2:]) for payload in self._payloads(data)]
