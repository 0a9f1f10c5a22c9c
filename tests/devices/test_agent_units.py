"""The agent's own pieces without a server: its configuration file, its command line when the file is
wrong, and the outbox that keeps what the devices did until the server has it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devices.agent import outbox as outbox_module
from devices.agent.config import ConfigError, load_config, parse_config
from devices.agent.outbox import Outbox

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"server": "http://127.0.0.1:8000", "token": "agent-token"}


def config(**extra: Any) -> dict[str, Any]:
    return {**GOOD, **extra}


# ------------------------------------------------------------------------------------ config
@pytest.mark.parametrize(("data", "key"), [
    ({"token": "agent-token"}, "server"),
    ({"server": "ftp://hall.example", "token": "agent-token"}, "server"),
    ({"server": "http://127.0.0.1:8000"}, "token"),
    ({"server": "http://127.0.0.1:8000", "token": "   "}, "token"),
    (config(devices={"scanner": {"url": "serial:///dev/ttyUSB0"}}), "devices.scanner"),
    (config(devices={"printer": {"url": "pcsc://"}}), "devices.printer.url"),
    (config(devices={"idcard": {"url": "tcp://10.0.0.5:9100"}}), "devices.idcard.url"),
    (config(devices={"printer": {"url": "serial:///dev/ttyUSB1", "counters": {"1": 1}}}), "devices.printer.counters"),
    (config(devices={"counterbus": {"url": "serial:///dev/ttyUSB2", "counters": {"a": "b"}}}),
     "devices.counterbus.counters"),
    (config(devices={"printer": "serial:///dev/ttyUSB1"}), "devices.printer"),
    (config(heartbeat_s=0), "heartbeat_s"),
    (config(printer_status_s="often"), "printer_status_s"),
], ids=["no server", "bad server scheme", "no token", "blank token", "unknown kind", "printer on pcsc",
        "idcard on tcp", "counters on a printer", "counters not numbers", "device not a table", "heartbeat zero",
        "poll not a number"])
def test_a_configuration_mistake_is_one_line_naming_the_key(data: dict[str, Any], key: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(data, tmp_path)
    message = str(error.value)
    assert message.startswith(key + ":") or message.startswith(key + " "), message
    assert "\n" not in message


def test_a_valid_configuration_file_parses_counters_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("""
server = "http://hall.local:8000/"
token = " agent-token "
heartbeat_s = 2
printer_status_s = 0.5
[devices.idcard]
url = "serial:///dev/ttyUSB0?baud=115200"
[devices.printer]
url = "none"
[devices.counterbus]
url = "emulator://"
counters = { 1 = 3, 2 = 4 }
""", encoding="utf-8")
    loaded = load_config(path)
    assert loaded.token == "agent-token"
    assert [d.kind for d in loaded.devices] == ["idcard", "counterbus"]  # url "none": not there
    assert loaded.device("printer") is None
    bus = loaded.device("counterbus")
    assert bus is not None and bus.counters == {1: 3, 2: 4}
    assert all(isinstance(k, int) and isinstance(v, int) for k, v in bus.counters.items())
    assert (loaded.heartbeat_s, loaded.status_poll_s) == (2.0, 0.5)
    assert loaded.outbox == tmp_path / "agent-outbox.sqlite3"  # beside the file by default
    assert loaded.socket_url == "ws://hall.local:8000/ws/agent"


@pytest.mark.parametrize(("server", "url"), [
    ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws/agent"),
    ("https://hall.example.cn", "wss://hall.example.cn/ws/agent"),
    ("https://hall.example.cn/onewindow/", "wss://hall.example.cn/onewindow/ws/agent"),
    ("ws://10.0.0.2:8000", "ws://10.0.0.2:8000/ws/agent"),
])
def test_the_socket_url_follows_the_servers_scheme_and_path(server: str, url: str, tmp_path: Path) -> None:
    assert parse_config(config(server=server), tmp_path).socket_url == url


def test_a_missing_or_broken_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("server = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_the_counters_message_shows_an_example_one_can_copy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(config(devices={"printer": {"url": "serial:///dev/ttyUSB1", "counters": {"1": 1}}}), tmp_path)
    assert "{ 1 = 1, 2 = 2 }" in str(error.value) and "{{" not in str(error.value)


# ------------------------------------------------------------------------------------ command line
def run_agent_cli(config_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", "agent", "--config", str(config_path)],
                          capture_output=True, text=True, timeout=30, cwd=ROOT)


def test_onewindow_agent_with_a_missing_file_says_so_in_one_line(tmp_path: Path) -> None:
    done = run_agent_cli(tmp_path / "missing.toml")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "missing.toml" in lines[0]
    assert "Traceback" not in done.stderr


def test_onewindow_agent_with_a_config_mistake_names_the_key_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text('server = "http://127.0.0.1:8000"\n[devices.printer]\nurl = "serial:///dev/null"\n',
                    encoding="utf-8")
    done = run_agent_cli(path)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "token" in lines[0]


# ------------------------------------------------------------------------------------ outbox
def test_the_outbox_keeps_events_in_order_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "var" / "outbox.sqlite3"  # the folder is made if missing
    box = Outbox(path)
    ids = [box.put({"type": "key", "counter": 1, "action": "call", "n": n}, f"2026-01-0{n + 1}T09:00:00+08:00")
           for n in range(3)]
    box.put({"type": "card.read", "card": {"name": "张三丰"}}, "2026-01-04T09:00:00+08:00")
    box.close()

    again = Outbox(path)  # the agent restarted (or the power came back)
    pending = again.pending()
    assert [event_id for event_id, _, _ in pending][:3] == ids
    assert [event.get("n") for _, _, event in pending] == [0, 1, 2, None]
    assert pending[0][1] == "2026-01-01T09:00:00+08:00"
    assert pending[3][2]["card"]["name"] == "张三丰"  # not mangled on the way to disk
    assert len(set(event_id for event_id, _, _ in pending)) == 4
    assert all(8 <= len(event_id) <= 64 for event_id, _, _ in pending)  # what the server accepts as an id

    again.remove(ids[1])  # acknowledged by the server
    assert [event.get("n") for _, _, event in again.pending()] == [0, 2, None]
    again.remove("no-such-id")  # an ack for something already gone: nothing happens
    assert len(again) == 3
    again.close()
    assert len(Outbox(path)) == 3


def test_over_max_pending_the_oldest_events_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_module, "MAX_PENDING", 3)
    box = Outbox(tmp_path / "outbox.sqlite3")
    for n in range(5):
        box.put({"n": n}, "2026-01-01T09:00:00+08:00")
    assert [event["n"] for _, _, event in box.pending()] == [2, 3, 4]
    assert len(box) == 3
    assert box.dropped == 2
    box.close()
