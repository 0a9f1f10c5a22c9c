"""The ticket printer driver: ESC/POS over serial, USB or raw TCP (port 9100).

Synchronous; the agent runs it in a thread. It asks the printer's real-time status before every
slip and refuses to print into a stopped printer (``PrinterNotReady``) so a ticket is never
silently lost; ``DeviceError`` is kept for "absent or not answering".
"""

from __future__ import annotations

import contextlib
import logging
import termios
import time
from collections.abc import Iterator
from typing import Any, Protocol

from devices.base import COVER_OPEN, ERROR, PAPER_OUT, DeviceError, DeviceStatus, DeviceUrl, open_serial
from devices.printer import escpos as layout
from devices.printer import status as rt

log = logging.getLogger("onewindow.devices.printer")

ANSWER_TIMEOUT = 1.0  # a real-time answer comes within milliseconds; a second means nobody is there
WRITE_TIMEOUT = 5.0
_NOT_READY = (PAPER_OUT, COVER_OPEN, ERROR)


class PrinterNotReady(Exception):
    """The printer is there but cannot print now (no paper, cover open, fault): tell the visitor
    and the manager; do not report the device offline."""

    def __init__(self, status: DeviceStatus) -> None:
        super().__init__(status.detail or status.state)
        self.status = status


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """Whatever arrived within ``timeout`` (possibly nothing)."""
        ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


@contextlib.contextmanager
def _port_errors() -> Iterator[None]:
    """pyserial raises SerialException (an OSError) but also termios.error, which is not one."""
    try:
        yield
    except (OSError, termios.error) as error:
        raise DeviceError(f"printer port failed: {error.__class__.__name__}") from None


class SerialTransport:
    def __init__(self, port: Any) -> None:
        self.port = port

    def write(self, data: bytes) -> None:
        with _port_errors():
            self.port.write(data)

    def read(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        with _port_errors():
            while True:  # the port's own timeout is short (0.2 s): loop to our deadline
                data = bytes(self.port.read(1))
                if data or time.monotonic() >= deadline:
                    return data

    def discard_input(self) -> None:
        with _port_errors():
            self.port.reset_input_buffer()

    def close(self) -> None:
        self.port.close()


class EscposTransport:
    """python-escpos's Usb or Network printer used only as a pipe: our bytes go through ``_raw``."""

    def __init__(self, printer: Any) -> None:
        self.printer = printer

    def write(self, data: bytes) -> None:
        self.printer._raw(data)

    def read(self, timeout: float) -> bytes:
        import socket

        device = self.printer.device
        if isinstance(device, socket.socket):
            device.settimeout(timeout)
            try:
                data = device.recv(16)
            except TimeoutError:
                return b""
            finally:
                device.settimeout(WRITE_TIMEOUT)  # a slow printer must not time out a long slip
            if not data:
                raise DeviceError("printer closed the connection")
            return data
        try:  # USB: pyusb's read takes its timeout in milliseconds
            return bytes(device.read(self.printer.in_ep, 16, int(timeout * 1000)))
        except Exception as error:  # pyusb raises USBTimeoutError, an OSError subclass, on silence
            if type(error).__name__ == "USBTimeoutError":
                return b""
            raise

    def discard_input(self) -> None:
        while self.read(0.01):
            pass

    def close(self) -> None:
        self.printer.close()


def open_transport(url: str) -> Transport:
    parsed = DeviceUrl.parse(url)
    if parsed.scheme == "serial":
        return SerialTransport(open_serial(parsed, baud=9600))
    from escpos.exceptions import Error as EscposError  # the pypi package, not our layout module
    from escpos.printer import Network, Usb

    try:
        if parsed.scheme == "usb":
            vid, _, pid = parsed.netloc.partition(":")
            printer: Any = Usb(int(vid, 16), int(pid, 16), timeout=0)
        elif parsed.scheme == "tcp":
            host, _, port = parsed.netloc.rpartition(":")
            printer = Network(host or parsed.netloc, int(port or 9100), timeout=WRITE_TIMEOUT)
        else:
            raise ValueError(f"not a printer url: {parsed.scheme}:// (serial://, usb://, tcp://)")
        printer.open()
    except (EscposError, OSError) as error:
        raise DeviceError(f"cannot open printer {parsed.scheme}://{parsed.netloc}: "
                          f"{error.__class__.__name__}") from None
    return EscposTransport(printer)


class TicketPrinter:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @classmethod
    def open(cls, url: str) -> TicketPrinter:
        return cls(open_transport(url))

    def close(self) -> None:
        try:
            self.transport.close()
        except Exception:  # closing a port that is already gone must not mask the first error
            log.debug("printer close failed", exc_info=True)

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ status
    def _ask(self) -> bytes:
        answers = bytearray()
        for n in rt.QUERIES:
            self.transport.write(rt.query(n))
            data = self.transport.read(ANSWER_TIMEOUT)
            if not data:
                raise DeviceError("printer does not answer the status query")
            answers += data[-1:]  # a late answer to an earlier query may precede ours: keep the last
        return bytes(answers)

    def status(self) -> DeviceStatus:
        try:
            self.transport.discard_input()
            answers = self._ask()
            result = rt.parse_status(answers)
            if result is None:  # noise or a stale byte: drain and ask once more before judging
                log.warning("printer status answer rejected (%d bytes)", len(answers))
                self.transport.discard_input()
                result = rt.parse_status(self._ask())
        except OSError as error:  # serial.SerialException and socket errors are OSErrors
            raise DeviceError(f"printer port failed: {error.__class__.__name__}") from None
        if result is None:
            return DeviceStatus(ERROR, "打印机状态应答异常")
        return result

    # ------------------------------------------------------------------ printing
    def print_bytes(self, data: bytes) -> DeviceStatus:
        """Checks first, prints, then reports the state after printing (the roll may now be low)."""
        before = self.status()
        if before.state in _NOT_READY:
            raise PrinterNotReady(before)
        try:
            self.transport.write(data)
        except OSError as error:
            raise DeviceError(f"printer port failed: {error.__class__.__name__}") from None
        return self.status()

    def print_ticket(self, slip: layout.TicketSlip) -> DeviceStatus:
        return self.print_bytes(layout.ticket(slip))

    def print_receipt(self, receipt: layout.CaseReceipt) -> DeviceStatus:
        return self.print_bytes(layout.case_receipt(receipt))

    def print_notice(self, notice: layout.MissingNotice) -> DeviceStatus:
        return self.print_bytes(layout.missing_materials_notice(notice))
