"""The wheel as a hall's IT installs it: built from the source tree, installed (not editable) into a
fresh virtualenv, and run from another folder. It must carry every template, script, style and
sound, and serve the kiosk, display, counter, dashboard and visitor pages with every asset they load.

No network: the wheel is built with the virtualenv's own setuptools (--no-build-isolation), and the
fresh virtualenv borrows this one's site-packages for the dependencies through PYTHONPATH (no .pth
file there runs, so this checkout's editable install stays out): ``server``, ``kiosk``, … can only
come from the wheel."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from server.demo import DEMO_PASSWORD
from tests.conftest import unavailable
from tests.servers import free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "kiosk", "counters", "displays", "dashboard", "visitor", "admin", "backoffice", "prereview",
            "guide", "devices")
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__",
                                     ".*_cache", ".hypothesis", "test-artifacts")
PAGE_ASSETS = {"script": "src", "link": "href", "audio": "src", "img": "src", "source": "src"}
MODULE_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""")

pytestmark = pytest.mark.slow


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _backend_missing() -> str | None:
    """Why this virtualenv cannot build the wheel offline, or None: setuptools builds wheels by
    itself from 70.1 on, older ones need the `wheel` package."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return "setuptools is not installed in this virtualenv"
    found = re.match(r"(\d+)\.(\d+)", version)
    release = (int(found[1]), int(found[2])) if found else (0, 0)
    if release >= (70, 1) or (release >= (68, 0) and importlib.util.find_spec("wheel") is not None):
        return None
    return f"setuptools {version} in this virtualenv cannot build the wheel offline (needs >= 70.1)"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the source tree (the build writes build/ and *.egg-info)."""
    missing = _backend_missing()
    if missing:
        unavailable(missing, "`pip install 'setuptools>=70.1'` in the virtualenv (the dev extras carry it)")
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCES)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", folder / "dist", source], cwd=folder)
    (built,) = (folder / "dist").glob("onewindow-*.whl")
    return built


def test_the_wheel_carries_every_template_script_style_and_sound(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = set()
    for top in (*PACKAGES, "static"):
        for path in (ROOT / top).rglob("*"):  # rglob does not enter the server/static link
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                relative = path.relative_to(ROOT).as_posix()
                expected.add(f"server/{relative}" if top == "static" else relative)
    assert "server/static/js/live.js" in expected and "kiosk/templates/kiosk.html" in expected
    assert sorted(expected - names) == []


class Assets(HTMLParser):
    """The same-origin files a page loads: scripts, stylesheets, sounds, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = PAGE_ASSETS.get(tag)
        value = dict(attrs).get(wanted) if wanted else None
        if value and value.startswith("/") and not value.startswith("//"):
            self.urls.append(value)


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh virtualenv with the wheel installed, and the environment its commands run in."""
    folder = tmp_path_factory.mktemp("installed")
    venv = folder / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=folder)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps",
         "--no-cache-dir", "-q", wheel], cwd=folder)
    leave_out = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "REDIS_URL", "SECRET_KEY", "DATABASE_URL",
                 "ONEWINDOW_DEMO", "ONEWINDOW_CLOCK_AT")
    env = {k: v for k, v in os.environ.items() if k not in leave_out}
    env.update({"PYTHONPATH": sysconfig.get_paths()["purelib"], "ONEWINDOW_DEMO": "1",
                "DATABASE_URL": f"sqlite:///{folder}/onewindow.db", "ONEWINDOW_LOG_LEVEL": "warning",
                "ONEWINDOW_CLOCK_AT": "2026-11-25T09:00:00+08:00",  # a Wednesday morning: the hall is open
                "PYTHONUNBUFFERED": "1"})
    yield venv, env


def test_a_plain_install_serves_every_page_with_every_asset(installed: tuple[Path, dict[str, str]],
                                                             tmp_path: Path) -> None:
    venv, env = installed
    where = run([venv / "bin" / "python", "-c",
                 "import counters, dashboard, displays, kiosk, server, visitor; print(server.__file__)"],
                cwd=tmp_path, env=env).stdout.strip()
    assert where.startswith(str(venv)), f"server imported from {where}, not from the installed wheel"

    onewindow = venv / "bin" / "onewindow"
    run([onewindow, "migrate"], cwd=tmp_path, env=env)
    assert "jinan" in run([onewindow, "demo"], cwd=tmp_path, env=env).stdout
    added = run([onewindow, "token", "add", "--device", "kiosk", "--hall", "jinan", "--name", "kiosk-wheel"],
                cwd=tmp_path, env=env)
    kiosk_token = added.stdout.strip().splitlines()[-1]
    tablet = run([onewindow, "token", "add", "--device", "counter", "--hall", "jinan", "--name", "tablet-wheel",
                  "--counter", "1"], cwd=tmp_path, env=env).stdout.strip().splitlines()[-1]

    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(onewindow), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(server, base, log_path)
        with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as browser:
            issued = browser.post("/api/v1/halls/jinan/tickets", json={"queue": "A"},
                                  headers={"Authorization": f"Bearer {kiosk_token}"})
            assert issued.status_code == 201, issued.text
            public = [f"/kiosk/jinan?token={kiosk_token}",  # sets the kiosk's (and the tablet's) cookie, then the page
                      "/display/jinan", "/display/jinan/counter/1", f"/counter/jinan/1/rate?token={tablet}",
                      "/book/jinan", "/apply/jinan", f"/t/{issued.json()['status_token']}", "/login"]
            loaded = {path.split("?")[0]: _page_and_assets(browser, path) for path in public}
            for username, pages in (("clerk01", ["/counter/jinan/1"]),
                                    ("manager", ["/dashboard/jinan", "/prereview/jinan"])):
                browser.cookies.clear()
                signed = browser.post("/api/v1/auth/login",
                                      json={"username": username, "password": DEMO_PASSWORD})
                assert signed.status_code == 200, signed.text
                loaded.update({path: _page_and_assets(browser, path) for path in pages})
    finally:
        stop_process(server)
    musts = [("/kiosk/jinan", "/static/js/kiosk.js"), ("/kiosk/jinan", "/static/js/hall_model.js"),
             ("/display/jinan", "/static/js/announcer.js"), ("/display/jinan", "/static/sounds/0.wav"),
             ("/counter/jinan/1", "/static/css/counter.css"), ("/counter/jinan/1", "/static/css/base.css"),
             ("/dashboard/jinan", "/static/js/dashboard_tabs.js"), ("/book/jinan", "/static/css/book.css"),
             ("/apply/jinan", "/static/js/apply.js"), ("/prereview/jinan", "/static/js/prereview.js")]
    for path, must in musts:
        assert must in loaded[path], f"{path} should load {must}; it loads {sorted(loaded[path])}"


def _wait_healthy(server: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = log_path.read_text(errors="replace")
            pytest.fail(f"onewindow serve exited with {server.returncode}:\n{log}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"onewindow serve not healthy after 60 s:\n{log_path.read_text(errors='replace')}")


def _page_and_assets(browser: httpx.Client, path: str) -> set[str]:
    """Loads a page and, like a browser, every file it names, every module those scripts import
    and, for the announcer, the clips it fetches: each must answer 200 with a body."""
    page = browser.get(path)
    assert page.status_code == 200 and page.text, f"{path}: {page.status_code}"
    parser = Assets()
    parser.feed(page.text)
    assert any(u.endswith(".js") for u in parser.urls) and any(u.endswith(".css") for u in parser.urls), \
        f"{path} names no script or no stylesheet: {parser.urls}"
    pending, seen = list(parser.urls), set()
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        answer = browser.get(url)
        assert answer.status_code == 200 and answer.content, f"{path} loads {url}: {answer.status_code}"
        if url.endswith(".js"):
            imports = MODULE_IMPORT.findall(answer.text)
            pending += [urljoin(url, spec) for spec in imports if spec.startswith((".", "/"))]
            if url.endswith("/announcer.js"):
                pending.append("/static/sounds/manifest.json")
        elif url.endswith("/sounds/manifest.json"):
            pending += [urljoin(url, clip["file"]) for clip in json.loads(answer.text).values()]
    return seen
