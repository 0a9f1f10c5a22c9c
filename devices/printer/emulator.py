"""An emulated ESC/POS receipt printer, on a pty (like a USB-serial printer) or on TCP port 9100.

``PrinterLogic`` is the printer itself: it answers ``DLE EOT`` queries at once wherever they fall
in the byte stream (a real printer handles them on receipt, even when stopped), keeps the rest
as print data, and splits it into documents at each cut. With no paper or the cover open it
drops print data and counts it, as a real printer that has stopped.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from devices.emulation import PtyEmulator
from devices.printer.escpos import PrintedDocument, parse_escpos_documents
from devices.printer.status import BASE, OFFLINE_CAUSE, PAPER_SENSOR, PRINTER


class PrinterLogic:
    def __init__(self) -> None:
        self.paper_out = False
        self.paper_low = False
        self.cover_open = False
        self.error = False
        self.dropped_bytes = 0  # print data lost while stopped
        self.queries = 0
        self._pending = b""  # print data not yet ended by a cut
        self._tail = b""  # a DLE EOT split across two reads
        self._docs: list[PrintedDocument] = []
        self._cond = threading.Condition()

    def set_state(self, *, paper_out: bool = False, paper_low: bool = False, cover_open: bool = False,
                  error: bool = False) -> None:
        self.paper_out, self.paper_low, self.cover_open, self.error = paper_out, paper_low, cover_open, error

    @property
    def stopped(self) -> bool:
        return self.paper_out or self.cover_open or self.error

    def answer(self, n: int) -> int | None:
        if n == PRINTER:
            return BASE | (0x08 if self.stopped else 0)
        if n == OFFLINE_CAUSE:
            return BASE | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0) | (
                0x40 if self.error else 0)
        if n == PAPER_SENSOR:
            return BASE | (0x60 if self.paper_out else 0) | (0x0C if self.paper_low or self.paper_out else 0)
        return None  # other n (3: error cause…) are not emulated: no answer, like an older model

    def handle(self, data: bytes) -> bytes:
        """Takes bytes from the host; returns the real-time answers to send back."""
        data, self._tail = self._tail + data, b""
        replies, printable = bytearray(), bytearray()
        i = 0
        while i < len(data):
            if data[i] == 0x10 and (len(data) - i < 2 or data[i + 1] == 0x04):
                if len(data) - i < 3:
                    self._tail = data[i:]  # wait for the rest of the query
                    break
                self.queries += 1
                reply = self.answer(data[i + 2])
                if reply is not None:
                    replies.append(reply)
                i += 3
                continue
            printable.append(data[i])
            i += 1
        self._print(bytes(printable))
        return bytes(replies)

    def _print(self, data: bytes) -> None:
        if not data:
            return
        if self.stopped:
            self.dropped_bytes += len(data)
            return
        with self._cond:
            self._pending += data
            docs, used = parse_escpos_documents(self._pending)
            if docs:
                self._pending = self._pending[used:]
                self._docs.extend(docs)
                self._cond.notify_all()

    def documents(self) -> list[PrintedDocument]:
        """The documents finished (cut) so far, oldest first."""
        with self._cond:
            return list(self._docs)

    def wait_for_documents(self, n: int, timeout: float = 2.0) -> list[PrintedDocument]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._docs) < n and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            return list(self._docs)


class PrinterEmulator(PrinterLogic, PtyEmulator):
    kind = "printer"

    def __init__(self, link: str | None = None) -> None:
        PrinterLogic.__init__(self)
        PtyEmulator.__init__(self, link)

    def received(self, data: bytes) -> None:
        reply = self.handle(data)
        if reply:
            self.send(reply)


class TcpPrinterEmulator(PrinterLogic):
    """The same printer behind ``tcp://127.0.0.1:<port>`` (raw port 9100 on real ones)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__()
        self._server = socket.create_server((host, port))
        self.address = self._server.getsockname()[:2]
        self._thread = threading.Thread(target=self._serve, name="emulator-printer-tcp", daemon=True)
        self._closed = False

    @property
    def url(self) -> str:
        return f"tcp://{self.address[0]}:{self.address[1]}"

    def start(self) -> TcpPrinterEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._server.close()
        self._thread.join(timeout=2)

    def _serve(self) -> None:
        self._server.settimeout(0.05)
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:  # one client at a time, like the printer's single raw port
                conn.settimeout(0.05)
                while not self._closed:
                    try:
                        data = conn.recv(4096)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    reply = self.handle(data)
                    if reply:
                        conn.sendall(reply)
