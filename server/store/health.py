"""The write probe of /healthz: one small row per process, replaced."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import Connection, delete, insert

from . import tables as t

PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:128]


def probe_write(conn: Connection, at: datetime) -> None:
    conn.execute(delete(t.health_probe).where(t.health_probe.c.process == PROCESS))
    conn.execute(insert(t.health_probe).values(process=PROCESS, at=at))
