"""`onewindow static DIR`: what nginx serves itself must be byte for byte what /static serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from server.web import collect_static, static_files


def test_every_collected_file_is_what_the_server_serves(tmp_path: Path) -> None:
    count = collect_static(tmp_path)
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert count == len(files) > 50
    # names every page loads, from the shared folder and from the fronts' own
    for name in ("js/hall_model.js", "js/live.js", "css/base.css", "js/kiosk.js", "js/counter.js", "js/display.js",
                 "js/dashboard.js", "js/guide.js"):
        assert (tmp_path / name).is_file(), name
    client = TestClient(static_files())  # no lifespan: StaticFiles answers HTTP only
    for path in files:
        answer = client.get("/" + path.relative_to(tmp_path).as_posix())
        assert answer.status_code == 200, path
        assert answer.content == path.read_bytes(), path


def test_a_file_gone_from_the_release_is_removed(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "old_release.js").write_text("// gone")
    collect_static(tmp_path)
    assert not (tmp_path / "js" / "old_release.js").exists()
    assert (tmp_path / "js" / "kiosk.js").is_file()


def test_the_command_says_how_many_and_refuses_a_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "static", str(tmp_path / "static")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"static files in {tmp_path / 'static'}")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    refused = subprocess.run([sys.executable, "-m", "server.cli", "static", str(not_a_folder)],
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines() == [f"onewindow: error: {not_a_folder} is not a folder"]
