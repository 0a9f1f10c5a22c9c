"""What every driver shares: how a device URL opens a port, and how a device says it is unwell.

Drivers are small synchronous classes over a pyserial-like port (``read``/``write``/``close``);
the agent (devices/agent/) runs each in its own thread and supervises it: a ``DeviceError`` means
"absent or not answering" and the agent reports the device offline and retries with backoff. Bad
bytes from a working device are not an error: the driver logs what it rejected (never the
payload, which may hold personal data) and carries on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


class DeviceError(Exception):
    """The device is unplugged, powered off or not answering: report it offline and retry."""


class Port(Protocol):
    """The part of ``serial.Serial`` the drivers use; emulators and tests may pass a pty-backed Serial."""

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def close(self) -> None: ...

    def reset_input_buffer(self) -> None: ...


# Device states the agent reports in its heartbeat (server and dashboard show them as they are).
OK = "ok"
OFFLINE = "offline"
PAPER_OUT = "paper_out"
PAPER_LOW = "paper_low"
COVER_OPEN = "cover_open"
ERROR = "error"


@dataclass(frozen=True)
class DeviceStatus:
    state: str = OK
    detail: str = ""  # a short Chinese sentence for the manager; never personal data

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "detail": self.detail}


@dataclass(frozen=True)
class DeviceUrl:
    """``serial:///dev/ttyUSB0?baud=115200``, ``pcsc://``, ``emulator://``, ``usb://04b8:0202``,
    ``tcp://192.168.1.50:9100``; ``options`` holds the query string (single values)."""

    scheme: str
    path: str
    options: dict[str, str] = field(default_factory=dict)
    netloc: str = ""

    @classmethod
    def parse(cls, url: str) -> DeviceUrl:
        parts = urlsplit(url)
        if not parts.scheme:
            raise ValueError(f"device url {url!r} has no scheme (serial://, pcsc://, emulator://)")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if parts.scheme == "serial" and parts.netloc:
            # serial://var/dev/idcard: a relative path (a serial port has no host), not host "var"
            return cls(parts.scheme, parts.netloc + parts.path, options)
        return cls(parts.scheme, parts.path, options, parts.netloc)

    def option(self, name: str, default: Any) -> Any:
        raw = self.options.get(name)
        return default if raw is None else type(default)(raw)


def open_serial(url: str | DeviceUrl, *, baud: int, timeout: float = 0.2) -> Any:
    """Opens ``serial:///dev/…?baud=N`` with pyserial (8N1); ``baud`` is the device's usual speed.
    Raises DeviceError when the port is not there (unplugged)."""
    import serial  # imported here: the pure parts of the drivers need no pyserial

    parsed = DeviceUrl.parse(url) if isinstance(url, str) else url
    if parsed.scheme != "serial":
        raise ValueError(f"not a serial device url: {parsed.scheme}://")
    try:
        return serial.Serial(parsed.path, baudrate=parsed.option("baud", baud), timeout=timeout,
                             write_timeout=2.0)
    except (serial.SerialException, OSError) as error:
        raise DeviceError(f"cannot open {parsed.path}: {error.__class__.__name__}") from None
