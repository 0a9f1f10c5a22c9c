"""A real `onewindow serve` with ONEWINDOW_LOG_FORMAT=json: every line it writes, uvicorn's own
included, is one JSON object a log collector can read, and a card read leaves no ID number there."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from server.cli import demo_token
from tests.api.conftest import SECRET
from tests.servers import ServerProcess, seeded

ID_NUMBER = "11010519491231002X"  # a valid GB 11643 number (a person born 1949-12-31)


def test_json_lines_and_no_personal_data(sqlite_url: str, tmp_path: Path) -> None:
    server = ServerProcess(seeded(sqlite_url), tmp_path, extra_env={"ONEWINDOW_LOG_FORMAT": "json",
                                                                    "ONEWINDOW_LOG_LEVEL": "info"}).start()
    try:
        agent = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}
        card = {"name": "张三", "gender": "男", "nation": "汉", "birth_date": "1949-12-31", "id_number": ID_NUMBER}
        answer = httpx.post(f"{server.base}/api/v1/halls/jinan/kiosks/kiosk-1/card", json={"card": card},
                            headers=agent)
        assert answer.status_code in (200, 202), answer.text
        assert httpx.get(f"{server.base}/api/v1/halls/nowhere").status_code == 404
    finally:
        server.stop()
    lines = [line for line in server.log().splitlines() if line.strip()]
    assert lines, "the server wrote nothing"
    records = [json.loads(line) for line in lines]  # each line is JSON, or this fails
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    assert any(record["logger"].startswith("uvicorn") for record in records)
    assert ID_NUMBER not in server.log() and "张三" not in server.log()
