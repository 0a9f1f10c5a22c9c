"""Emulated devices on real pseudo-terminals.

An emulator holds the master end of a pty and speaks the device's protocol on it; the driver
opens the slave end (``path``) exactly as it would open ``/dev/ttyUSB0``. ``link`` gives the
device a stable path (a symlink) so that ``unplug()`` and ``plug()`` can imitate a cable pulled
and pushed back: the driver sees its port fail, then finds it again at the same path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import tty

log = logging.getLogger("onewindow.emulator")


class PtyEmulator:
    """Subclasses implement ``received(data)`` and answer with ``send(data)``."""

    kind = "device"

    def __init__(self, link: str | None = None) -> None:
        self.link = link
        self._master = -1
        self._slave = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self.path = ""

    # ------------------------------------------------------------------ life cycle
    def start(self) -> PtyEmulator:
        self.plug()
        return self

    def stop(self) -> None:
        self.unplug()

    def __enter__(self) -> PtyEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def plug(self) -> None:
        """Creates the pty (and the link to it) and starts answering."""
        if self._thread is not None:
            return
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line discipline: bytes pass as they are
        self.path = os.ttyname(self._slave)
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link)
            os.symlink(self.path, self.link)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name=f"emulator-{self.kind}", daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """Closes the pty: the driver's next read or write fails, as with a pulled cable."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=2)
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    @property
    def device_path(self) -> str:
        """What a driver should open: the link when there is one, else the pty itself."""
        return self.link or self.path

    # ------------------------------------------------------------------ bytes
    def send(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self._master, view)
                except BlockingIOError:
                    select.select([], [self._master], [], 0.05)
                    continue
                except OSError:
                    return  # unplugged meanwhile
                view = view[written:]

    def received(self, data: bytes) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        master = self._master
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                continue
            try:
                self.received(data)
            except Exception:  # an emulator bug must not look like a driver bug: say so and go on
                log.exception("%s emulator failed on %d bytes", self.kind, len(data))
