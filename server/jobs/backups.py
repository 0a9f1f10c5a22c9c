"""The daily backup: at ONEWINDOW_BACKUP_AT (the halls' local time) a dated copy of the database goes
into ONEWINDOW_BACKUP_DIR and the newest ONEWINDOW_BACKUP_KEEP are kept (server/services/backups.py
``scheduled_backup``, the job). In embedded mode it runs in a thread of the server; with REDIS_URL it
goes to the rq queue ``onewindow``, and a Redis key lets one process alone enqueue it.

A server that was down at that time makes the backup when it starts. A failed backup is tried again
an hour later, and stands as an alert on every hall's dashboard (``backup_failed``, docs/alerts.md)
until one succeeds: the outcome is in the audit trail, which every process reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.context import AppContext
from server.domain import backups as rules
from server.services.backups import scheduled_backup
from server.settings import Settings
from server.store import backup as store

log = logging.getLogger("onewindow.backup")

CHECK_S = 60.0  # how often the loop looks whether a backup is due
RETRY_S = 3600.0  # a failed (or lost) backup is tried again this long after
JOB_TIMEOUT_S = 6 * 3600
QUEUE = "onewindow"


class BackupRunner:
    """Runs the job: a thread of this process, or an rq job when REDIS_URL is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: ThreadPoolExecutor | None = None
        self._running: Future[str] | None = None
        self._redis: Any = None
        self._queue: Any = None
        if settings.redis_url:
            from redis import Redis
            from rq import Queue

            self._redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
            self._queue = Queue(QUEUE, connection=self._redis)
        else:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="backup")

    @property
    def busy(self) -> bool:
        return self._running is not None and not self._running.done()

    def claim(self, slot: datetime) -> bool:
        """Whether this process makes the try now (blocking: call it off the event loop)."""
        if self._redis is None:
            return True  # embedded mode is one process
        key = f"onewindow:backup:{slot.isoformat()}"
        return bool(self._redis.set(key, os.getpid(), nx=True, ex=int(RETRY_S)))

    def start(self, args: tuple[str, str, int, str, str]) -> None:
        if self._queue is not None:
            self._queue.enqueue(scheduled_backup, args=args, job_timeout=JOB_TIMEOUT_S, result_ttl=86400,
                                failure_ttl=7 * 86400, description=f"scheduled backup {args[-1]}")
        elif self._pool is not None:
            self._running = self._pool.submit(scheduled_backup, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._redis is not None:
            self._redis.close()


async def backup_daily(context: AppContext, every_s: float | None = None) -> None:
    """Runs for the life of the app when ONEWINDOW_BACKUP_DIR is set: looks every ``every_s``
    (CHECK_S) whether a backup is due."""
    settings = context.settings
    if not settings.backups.folder:
        return
    runner = BackupRunner(settings)
    tried: dict[datetime, datetime] = {}  # slot: when this process last started it
    try:
        while True:
            try:
                await _maybe_back_up(context, runner, tried)
            except Exception as error:  # the database or Redis away (their outage is logged): again in a minute
                log.warning("scheduled backup: could not tell whether one is due (%s)", error)
            await asyncio.sleep(every_s or CHECK_S)
    finally:
        runner.close()


async def _maybe_back_up(context: AppContext, runner: BackupRunner, tried: dict[datetime, datetime]) -> None:
    settings = context.settings
    assert settings.backups.folder is not None
    now = context.clock.now()
    tz_name = await context.engine.read(store.first_timezone)
    slot = rules.last_slot(now, settings.backups.at, ZoneInfo(tz_name))
    last = await context.engine.read(lambda conn: store.latest_scheduled(conn, slot))
    if last is not None and (last["ok"] or (now - last["at"]).total_seconds() < RETRY_S):
        return
    started = tried.get(slot)
    if runner.busy or (started is not None and (now - started).total_seconds() < RETRY_S):
        return
    if not await asyncio.to_thread(runner.claim, slot):
        return
    tried.clear()
    tried[slot] = now
    log.info("scheduled backup for %s starting", slot.isoformat())
    runner.start((settings.database_url, settings.backups.folder, settings.backups.keep, tz_name, now.isoformat()))
