"""A tiny virtual card for vsmartcard's vpcd driver, for tests and demos without a real reader.

vpcd listens on TCP (127.0.0.1:35963 for the first slot with Debian's /etc/reader.conf.d/vpcd, the
next port for the second). A card "is inserted" while a client is connected. Each message is a
two-byte big-endian length and a payload; one-byte payloads are control: 00 power off, 01 power on,
02 reset, 04 send the ATR; longer ones are APDUs to answer. Debian's ``vicc`` crashes on the
contactless GET DATA, hence this small one.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

# A PC/SC part 3 contactless ATR (MIFARE Classic 1K): what a contactless reader reports.
CONTACTLESS_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
VPCD_PORT = 0x8C7B  # 35963

_ATR_REQUEST = 0x04
SW_OK = b"\x90\x00"
SW_WRONG_P1P2 = b"\x6a\x81"  # "function not supported": what a card without a UID says to FF CA
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"


class VirtualCard:
    """``uid=None`` makes a card that refuses GET DATA (like a contact social-security card)."""

    def __init__(self, uid: bytes | None, atr: bytes = CONTACTLESS_ATR, host: str = "127.0.0.1",
                 port: int = VPCD_PORT) -> None:
        self.uid, self.atr, self.host, self.port = uid, atr, host, port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def respond(self, apdu: bytes) -> bytes:
        if apdu[:2] == b"\xff\xca":
            if self.uid is None or apdu[2:4] != b"\x00\x00":
                return SW_WRONG_P1P2
            return self.uid + SW_OK
        if len(apdu) >= 2 and apdu[1] == 0xA4:  # SELECT: we hold no applications
            return SW_FILE_NOT_FOUND
        return SW_INS_NOT_SUPPORTED

    def insert(self, timeout: float = 5.0) -> None:
        """Connects to vpcd (OSError if it is not listening) and serves it from a daemon thread."""
        if self._sock is not None:
            raise RuntimeError("card already inserted")
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.settimeout(None)  # vpcd may stay quiet for long; remove() wakes the thread up
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                        name=f"vcard:{self.port}")
        self._thread.start()

    def remove(self) -> None:
        """Closes the connection; vpcd then reports the card absent on its next presence check."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the serving thread's recv()
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.remove()

    def _serve(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while (message := self._receive(sock)) is not None:
                if len(message) == 1:
                    if message[0] == _ATR_REQUEST:
                        self._send(sock, self.atr)
                    continue  # power on/off and reset need no answer
                self._send(sock, self.respond(message))

    @staticmethod
    def _receive(sock: socket.socket) -> bytes | None:
        header = _read_exactly(sock, 2)
        if header is None:
            return None
        (length,) = struct.unpack(">H", header)
        return _read_exactly(sock, length)

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        sock.sendall(struct.pack(">H", len(payload)) + payload)


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None  # vpcd closed the connection, or remove() shut it down
        data += chunk
    return data
