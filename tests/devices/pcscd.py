"""A private pcscd with vsmartcard's vpcd reader, for tests that go through the real PC/SC stack.

pcscd 1.9.9 (Debian) hard-codes its socket /run/pcscd/pcscd.comm; only the *client* library honours
PCSCLITE_CSOCK_NAME. So the daemon runs in its own mount namespace (``unshare --mount``, needs root
or CAP_SYS_ADMIN) with a temp directory bind-mounted over /run: its socket and pid file land in that
directory, the machine's own pcscd (if any) is untouched, and this process's pyscard is pointed at
the private socket through PCSCLITE_CSOCK_NAME. The reader config is private too (``--config``), with
vpcd on a free port instead of 35963. libpcsclite reads PCSCLITE_CSOCK_NAME once per process, so one
PrivatePcscd (one socket path) serves a whole test session and is restarted in place.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")


def missing_requirements() -> str | None:
    """Why the real stack cannot run here, or None."""
    if shutil.which("pcscd") is None:
        return "pcscd not installed (apt-get install pcscd)"
    if not VPCD_DRIVER.exists():
        return f"{VPCD_DRIVER} missing (apt-get install vsmartcard-vpcd)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) not installed"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        return "cannot create a mount namespace for a private pcscd (needs root / CAP_SYS_ADMIN)"
    return None


def _free_port_pair() -> int:
    """A port P with P and P+1 free: vpcd opens one listening port per slot (two slots)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free pair of TCP ports for vpcd")


class PrivatePcscd:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.run_dir = workdir / "run"  # mounted over /run inside pcscd's namespace
        self.socket = self.run_dir / "pcscd" / "pcscd.comm"
        self.conf_dir = workdir / "reader.conf.d"
        self.log_path = workdir / "pcscd.log"
        self.port = _free_port_pair()  # vpcd slot 0 ("Virtual PCD 00 00"); slot 1 is port + 1
        (self.run_dir / "pcscd").mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        (self.conf_dir / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x{self.port:X}\n'
            f"LIBPATH      {VPCD_DRIVER}\nCHANNELID    0x{self.port:X}\n")
        self._process: subprocess.Popen[bytes] | None = None

    def point_client_here(self) -> None:
        os.environ["PCSCLITE_CSOCK_NAME"] = str(self.socket)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        self.socket.unlink(missing_ok=True)
        script = 'mount --bind "$1" /run && shift && exec "$@"'
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                   str(self.run_dir), "pcscd", "--foreground", "--debug", "--config", str(self.conf_dir)]
        with self.log_path.open("ab") as log:  # -f logs to stdout; no --auto-exit, so it stays up
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"pcscd exited at start:\n{self.log_tail()}")
            if self.socket.exists() and b"daemon ready" in self.log_path.read_bytes():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pcscd did not become ready in {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()  # unshare and sh exec'd, so this is pcscd itself
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
