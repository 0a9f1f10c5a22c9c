"""What the devices did, kept on disk until the server has acknowledged it.

A card read or a key press while the server is away (or the agent restarts) is sent, in order,
once the server is back: nothing a visitor or a clerk did is lost. SQLite from the standard
library: one small file, durable after each write, safe against a power cut mid-write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

MAX_PENDING = 10_000  # months of a dead server's worth; beyond this the oldest go (and it is logged)


class Outbox:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.execute("create table if not exists outbox (n integer primary key autoincrement, "
                         "id text unique not null, at text not null, event text not null)")
        self._lock = threading.Lock()
        self.dropped = 0

    def put(self, event: dict[str, Any], at: str) -> str:
        event_id = uuid.uuid4().hex
        with self._lock:
            self._db.execute("insert into outbox (id, at, event) values (?, ?, ?)",
                             (event_id, at, json.dumps(event, ensure_ascii=False)))
            over = self._count() - MAX_PENDING
            if over > 0:
                self._db.execute("delete from outbox where n in (select n from outbox order by n limit ?)", (over,))
                self.dropped += over
        return event_id

    def pending(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, at, event) in the order they happened."""
        with self._lock:
            rows = self._db.execute("select id, at, event from outbox order by n").fetchall()
        return [(row[0], row[1], json.loads(row[2])) for row in rows]

    def remove(self, event_id: str) -> None:
        with self._lock:
            self._db.execute("delete from outbox where id = ?", (event_id,))

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    def _count(self) -> int:
        return int(self._db.execute("select count(*) from outbox").fetchone()[0])

    def close(self) -> None:
        self._db.close()
