"""The deploy/ layout made real for a test: application "hosts" in network namespaces on a private
bridge (or, where namespaces are not permitted, on loopback addresses 127.0.0.2, 127.0.0.3 …), each
running `onewindow serve --workers 2`, and Debian's nginx in front with the site file from
deploy/nginx/onewindow.conf (only its addresses, ports, certificate and folders changed).

The namespaces reach the machine's PostgreSQL and Redis, which listen on 127.0.0.1 only, through
socat relays on the bridge's address."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.api.conftest import SECRET
from tests.conftest import unavailable
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "onewindow.conf"
BRIDGE, SUBNET = "owbr0", "10.231.0"
GATEWAY = f"{SUBNET}.1"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@dataclass
class Network:
    """Where the hosts live and how they reach the shared services."""

    addresses: list[str]
    namespaces: list[str | None]
    services_host: str  # PostgreSQL and Redis as the hosts see them
    proxy_source: str  # the address nginx connects to the hosts from
    relays: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def create(cls, hosts: int) -> Network:
        if os.geteuid() == 0 and shutil.which("ip") and _namespaces_allowed():
            return cls._namespaces(hosts)
        addresses = [f"127.0.0.{n + 2}" for n in range(hosts)]
        return cls(addresses, [None] * hosts, "127.0.0.1", "127.0.0.1")

    @classmethod
    def _namespaces(cls, hosts: int) -> Network:
        cls._remove(hosts)
        _ip("link", "add", BRIDGE, "type", "bridge")
        _ip("addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        names, addresses = [], []
        for n in range(1, hosts + 1):
            name, address = f"owhost{n}", f"{SUBNET}.{10 + n}"
            _ip("netns", "add", name)
            _ip("link", "add", f"owveth{n}", "type", "veth", "peer", "name", "eth0", "netns", name)
            _ip("link", "set", f"owveth{n}", "master", BRIDGE, "up")
            _ip("-n", name, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", name, "link", "set", "eth0", "up")
            _ip("-n", name, "link", "set", "lo", "up")
            _ip("-n", name, "route", "add", "default", "via", GATEWAY)
            names.append(name)
            addresses.append(address)
        return cls(addresses, list(names), GATEWAY, GATEWAY)

    def relay(self, port: int) -> None:
        """Makes a service that listens on 127.0.0.1:port reachable from the hosts at the same port."""
        if self.services_host == "127.0.0.1":
            return
        socat = shutil.which("socat")
        if socat is None:
            unavailable("socat is not installed")
        self.relays.append(subprocess.Popen(
            [socat, f"TCP-LISTEN:{port},bind={GATEWAY},fork,reuseaddr", f"TCP:127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_port(GATEWAY, port)

    @staticmethod
    def _remove(hosts: int) -> None:
        for n in range(1, hosts + 1):
            _ip("netns", "del", f"owhost{n}", check=False)
            _ip("link", "del", f"owveth{n}", check=False)
        _ip("link", "del", BRIDGE, check=False)

    def remove(self) -> None:
        for relay in self.relays:
            relay.terminate()
            relay.wait(timeout=10)
        if any(self.namespaces):
            self._remove(len(self.namespaces))

    def service_url(self, url: str) -> str:
        return url.replace("127.0.0.1", self.services_host)


def _namespaces_allowed() -> bool:
    probe = _ip("netns", "add", "owprobe", check=False)
    if probe.returncode != 0:
        return False
    _ip("netns", "del", "owprobe", check=False)
    return True


def _wait_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


class Host:
    """One application host: `onewindow serve --workers 2` in its namespace (or on its address)."""

    PORT = 8000

    def __init__(self, address: str, namespace: str | None, database_url: str, redis_url: str, proxy_source: str,
                 log_dir: Path) -> None:
        self.address, self.namespace = address, namespace
        self.log_path = log_dir / f"host-{address}.log"
        self.env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ONEWINDOW_DEMO")}
        self.env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET,
                         "ONEWINDOW_LOG_LEVEL": "warning", "ONEWINDOW_KIOSK_ISSUES_PER_MIN": "0",
                         "FORWARDED_ALLOW_IPS": proxy_source, "PYTHONUNBUFFERED": "1"})
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{self.address}:{self.PORT}"

    def start(self) -> Host:
        command = [sys.executable, "-m", "server.cli", "serve", "--host", self.address, "--port", str(self.PORT),
                   "--workers", "2"]
        if self.namespace:
            command = ["ip", "netns", "exec", self.namespace, *command]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it until it exits
        # its own process group: killing the host kills uvicorn's supervisor and both workers at once
        self.proc = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"host {self.address} exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"host {self.address} not healthy after {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """The host dies: every process of it at once, no goodbye."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


class Nginx:
    """Debian's nginx with the shipped site file: TLS on a free port, /static from a collected folder."""

    def __init__(self, hosts: list[Host], workdir: Path) -> None:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if binary is None:
            unavailable("nginx is not installed", "`make system` installs it (Debian package nginx-light)")
        self.binary = binary
        self.dir = workdir
        self.port = free_port()
        self.static = workdir / "static"
        self.proc: subprocess.Popen[bytes] | None = None
        self._configure(hosts)

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"wss://127.0.0.1:{self.port}"

    def _configure(self, hosts: list[Host]) -> None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", str(self.dir / "privkey.pem"), "-out",
                        str(self.dir / "fullchain.pem")], check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "server.cli", "static", str(self.static)], check=True,
                       capture_output=True)
        site = SITE.read_text()
        upstream = "".join(f"    server {host.address}:{Host.PORT} max_fails=1 fail_timeout=5s;\n" for host in hosts)
        site, found = re.subn(r"(upstream onewindow \{\n)(?:.*\n)*?(    keepalive)", rf"\g<1>{upstream}\g<2>", site)
        assert found == 1, "the upstream block of deploy/nginx/onewindow.conf changed shape"
        replacements = {
            "    listen 80;\n    listen [::]:80;\n": f"    listen 127.0.0.1:{free_port()};\n",
            "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n":
                f"    listen 127.0.0.1:{self.port} ssl http2;\n",
            "/etc/ssl/onewindow/": f"{self.dir}/",
            "/var/lib/onewindow/static/": f"{self.static}/",
        }
        for old, new in replacements.items():
            assert old in site, f"deploy/nginx/onewindow.conf no longer has {old!r}"
            site = site.replace(old, new)
        (self.dir / "site.conf").write_text(site)
        user = "user root;\n" if os.geteuid() == 0 else ""  # the workers read the test's private folders
        temp = self.dir / "temp"
        temp.mkdir()
        (self.dir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log warn;\n"
            "events { worker_connections 4096; }\n"
            f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
            f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
            f"  include {self.dir}/site.conf;\n}}\n")

    def start(self) -> Nginx:
        self.proc = subprocess.Popen([self.binary, "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def errors(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""
