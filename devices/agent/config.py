"""The agent's configuration file (TOML; CONTRACT "Devices" names the keys that must be there).

```toml
server = "http://127.0.0.1:8000"
token = "AGENT_TOKEN"
outbox = "var/agent-outbox.sqlite3"   # optional: where unsent events wait (default beside this file)
heartbeat_s = 15                       # optional
printer_status_s = 5                   # optional: how often the printer is asked for paper and cover
[devices.idcard]
url = "serial:///dev/ttyUSB0?baud=115200"
[devices.printer]
url = "serial:///dev/ttyUSB1?baud=9600"
[devices.counterbus]
url = "serial:///dev/ttyUSB2?baud=9600"
counters = { 1 = 1, 2 = 2 }            # bus address = counter number
[devices.pcsc]
url = "pcsc://"
```
A device whose url is empty or "none" is not there. ``emulator://`` runs that device's emulator
inside the agent on a pty and drives it with the real driver (a demonstration without hardware).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

KINDS = ("idcard", "printer", "counterbus", "pcsc")
SCHEMES = {"idcard": ("serial", "emulator"), "printer": ("serial", "usb", "tcp", "emulator"),
           "counterbus": ("serial", "emulator"), "pcsc": ("pcsc",)}


class ConfigError(ValueError):
    """A configuration mistake, said in one line naming the key."""


@dataclass(frozen=True)
class DeviceConfig:
    kind: str
    url: str
    counters: dict[int, int] = field(default_factory=dict)  # counter bus: address → counter number


@dataclass(frozen=True)
class AgentConfig:
    server: str
    token: str
    devices: tuple[DeviceConfig, ...]
    outbox: Path
    heartbeat_s: float = 15.0
    status_poll_s: float = 5.0  # how often the printer is asked for paper and cover

    @property
    def socket_url(self) -> str:
        parts = urlsplit(self.server)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/ws/agent"

    def device(self, kind: str) -> DeviceConfig | None:
        return next((d for d in self.devices if d.kind == kind), None)


def load_config(path: str | Path) -> AgentConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return parse_config(data, path.parent)


def parse_config(data: dict[str, object], base: Path) -> AgentConfig:
    server, token = data.get("server"), data.get("token")
    if not isinstance(server, str) or urlsplit(server).scheme not in ("http", "https", "ws", "wss"):
        raise ConfigError("server: give the server's address, e.g. server = \"http://127.0.0.1:8000\"")
    if not isinstance(token, str) or not token.strip():
        raise ConfigError("token: give the agent's device token (onewindow token add --device agent …)")
    devices_data = data.get("devices", {})
    if not isinstance(devices_data, dict):
        raise ConfigError("devices: must be a table of [devices.KIND] sections")
    devices = []
    for kind, section in devices_data.items():
        if kind not in KINDS:
            raise ConfigError(f"devices.{kind}: unknown device kind (known: {', '.join(KINDS)})")
        if not isinstance(section, dict):
            raise ConfigError(f"devices.{kind}: must be a table with a url")
        url = str(section.get("url", "") or "")
        if url in ("", "none"):
            continue
        scheme = urlsplit(url).scheme
        if scheme not in SCHEMES[kind]:
            raise ConfigError(f"devices.{kind}.url: {scheme or url!r} is not one of {', '.join(SCHEMES[kind])}://")
        devices.append(DeviceConfig(kind, url, _counters(kind, section.get("counters"))))
    outbox = Path(str(data.get("outbox") or base / "agent-outbox.sqlite3"))
    return AgentConfig(server, token.strip(), tuple(devices), outbox, _seconds(data, "heartbeat_s", 15),
                       _seconds(data, "printer_status_s", 5))


def _seconds(data: dict[str, object], key: str, default: float) -> float:
    value = data.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{key}: must be a positive number of seconds")
    return float(value)


def _counters(kind: str, raw: object) -> dict[int, int]:
    if raw is None:
        return {}
    if kind != "counterbus" or not isinstance(raw, dict):
        raise ConfigError(f"devices.{kind}.counters: only the counter bus maps addresses to counters, "
                          "as counters = { 1 = 1, 2 = 2 }")
    try:
        return {int(address): int(number) for address, number in raw.items()}
    except (TypeError, ValueError):
        raise ConfigError(f"devices.{kind}.counters: addresses and counters must be numbers") from None
