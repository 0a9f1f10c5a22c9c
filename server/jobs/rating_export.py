"""好差评 to the province: each day's ratings as a file, and each rating POSTed once to the provincial
platform (docs/kpis.md "好差评 to the province").

``export_day`` is the job, the same in both modes: a module-level function of plain arguments that
opens its own database engine (``rq worker onewindow`` runs it in another process). The day's end
(server/services/days.py, through ``context.day_hooks``) hands it the day just closed; ``onewindow
ratings export`` runs it at once. It

1. writes the day's file (CSV, UTF-8 with BOM and Chinese headers, and JSON lines) when given a folder
   or a file;
2. with a URL: enrolls each rating of the last ``CATCH_UP_DAYS`` days that has no delivery row yet
   (a rating given on a day the hall was shut, from the phone, still goes), then, day by day, claims
   the rows still pending (a lease: no second delivery sends them meanwhile) and POSTs them as one
   batch, signed as the SMS webhook is (X-OneWindow-Signature), retried 1, 2, 4 … × ``base_delay``
   apart. A 2xx marks them sent: a rating sent is never sent again. A 4xx other than 429 marks them
   failed. Retries used up leave them pending: the next run sends those, and only those.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from server.context import AppContext
from server.domain import rating_export as national
from server.settings import Settings
from server.store import rating_exports as store
from server.store.db import Database, open_database

from .department_delivery import post_signed
from .providers import PermanentFailure
from .runner import QUEUE, lease_s

log = logging.getLogger("onewindow.jobs")
CATCH_UP_DAYS = 7  # ratings given up to this many days before the exported one are still enrolled


@dataclass(frozen=True)
class Outcome:
    """What one run did: the day's ratings, the files written, ratings sent, refused, left pending."""

    ratings: int
    files: tuple[str, ...] = ()
    sent: int = 0
    failed: int = 0
    pending: int = 0


@dataclass(frozen=True)
class Delivery:
    """Where the records go and how hard to try."""

    url: str
    secret: str
    max_attempts: int = 5
    base_delay: float = 2.0
    timeout: float = 15.0


def export_day(hall: str, day: str, database_url: str, *, url: str | None = None, secret: str | None = None,
               region: str = "", folder: str | None = None, file: str | None = None, max_attempts: int = 5,
               base_delay: float = 2.0, timeout: float = 15.0) -> Outcome:
    """The job: the day's file(s), then every rating not yet sent (see the module's docstring)."""
    when = date.fromisoformat(day)
    db = open_database(database_url)
    try:
        with db.reader.connect() as conn:
            found = store.hall_zone(conn, hall)
            if found is None:
                raise ValueError(f"no hall {hall!r}")
            name, tz = found
            start = datetime.combine(when - timedelta(days=CATCH_UP_DAYS - 1), clock_time(0), tz).astimezone(UTC)
            end = datetime.combine(when + timedelta(days=1), clock_time(0), tz).astimezone(UTC)
            facts = store.facts_between(conn, hall, name, start, end)
        records = [(f.rating_id, national.national_record(f, region, tz)) for f in facts]
        today = [record for _, record in records if national.local_day(record) == when]
        files = _write(today, hall, when, folder, file)
        if not url:
            return Outcome(len(today), files)
        if not secret:
            raise ValueError("the 好差评 platform needs its secret (ONEWINDOW_HCP_SECRET)")
        with db.writer.begin() as conn:
            store.enroll(conn, hall, [(rid, national.local_day(r), r) for rid, r in records], datetime.now(UTC))
        sent = failed = pending = 0
        delivery = Delivery(url, secret, max_attempts, base_delay, timeout)
        with db.reader.connect() as conn:
            days = store.pending_days(conn, hall, when)
        for pending_day in days:
            outcome, count = deliver_day(db, hall, region, pending_day, delivery)
            sent += count if outcome == store.SENT else 0
            failed += count if outcome == store.FAILED else 0
            pending += count if outcome == store.PENDING else 0
        return Outcome(len(today), files, sent, failed, pending)
    finally:
        db.dispose()


def _write(records: list[dict[str, Any]], hall: str, day: date, folder: str | None,
           file: str | None) -> tuple[str, ...]:
    """``file``: that one (.jsonl: JSON lines, else CSV); ``folder``: both, in the hall's subfolder."""
    if file:
        targets = [(Path(file), "jsonl" if file.endswith(".jsonl") else "csv")]
    elif folder:
        base = Path(folder) / hall
        targets = [(base / national.file_name(hall, day, fmt), fmt) for fmt in ("csv", "jsonl")]
    else:
        return ()
    for path, fmt in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        _, render = national.FORMATS[fmt]
        partial = path.with_name(path.name + ".part")  # a reader never sees half a file
        partial.write_bytes(render(records))
        partial.replace(path)
    return tuple(str(path) for path, _ in targets)


def deliver_day(db: Database, hall: str, region: str, day: date, delivery: Delivery) -> tuple[str, int]:
    """POST the day's pending rows this run could claim, as one batch; (final status, rows)."""
    token = uuid.uuid4().hex
    lease = timedelta(seconds=lease_s(delivery.max_attempts, delivery.base_delay, delivery.timeout))
    now = datetime.now(UTC)
    with db.writer.begin() as conn:
        claimed = store.claim(conn, hall, day, token, now, now + lease)
    if not claimed:
        return store.SENT, 0  # nothing left, or another delivery holds it
    records = [record for _, record in claimed]
    body = national.batch_body(hall, region, day, records)
    key = national.batch_key(hall, day, [r["assessId"] for r in records])
    for attempt in range(1, delivery.max_attempts + 1):
        try:
            post_signed(delivery.url, delivery.secret, body, key, delivery.timeout)
        except PermanentFailure as exc:
            _attempted(db, token, store.FAILED, str(exc), None)
            log.warning("好差评 %s %s: refused for good: %s", hall, day, exc)
            return store.FAILED, len(claimed)
        except Exception as exc:
            last = attempt == delivery.max_attempts
            # retries used up: pending, unheld, so that the next run sends these and only these
            _attempted(db, token, store.PENDING, str(exc), None if last else datetime.now(UTC) + lease)
            if last:
                log.warning("好差评 %s %s: not delivered after %d attempts: %s", hall, day, attempt, exc)
                return store.PENDING, len(claimed)
            time.sleep(delivery.base_delay * 2 ** (attempt - 1))
        else:
            _attempted(db, token, store.SENT, None, None)
            return store.SENT, len(claimed)
    return store.PENDING, len(claimed)  # max_attempts < 1


def _attempted(db: Database, token: str, status: str, error: str | None, lease_until: datetime | None) -> None:
    with db.writer.begin() as conn:
        store.attempted(conn, token, status=status, error=error, now=datetime.now(UTC), lease_until=lease_until)


# ---------------------------------------------------------------- runners
@dataclass(frozen=True)
class ExportConfig:
    """What every run is given besides the hall and the day (from ONEWINDOW_HCP_*)."""

    database_url: str
    url: str | None = None
    secret: str | None = None
    region: str = ""
    folder: str | None = None
    max_attempts: int = 5
    base_delay: float = 2.0
    timeout: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ExportConfig:
        hcp = settings.hcp
        return cls(settings.database_url, hcp.url, hcp.secret, hcp.region, hcp.folder, base_delay=hcp.retry_s)

    @property
    def does_anything(self) -> bool:
        return bool(self.url or self.folder)

    def job_kwargs(self) -> dict[str, Any]:
        return {"url": self.url, "secret": self.secret, "region": self.region, "folder": self.folder,
                "max_attempts": self.max_attempts, "base_delay": self.base_delay, "timeout": self.timeout}


class EmbeddedRatingExports:
    """Embedded mode: ``export_day`` in a thread of this process, one day at a time."""

    def __init__(self, config: ExportConfig) -> None:
        self.config = config
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="hcp-export")

    def enqueue(self, hall: str, day: date) -> Future[Outcome]:
        future = self._pool.submit(export_day, hall, day.isoformat(), self.config.database_url,
                                   **self.config.job_kwargs())
        future.add_done_callback(_log_crash)
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _log_crash(future: Future[Outcome]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.error("好差评 export crashed: %r", exc)


class RqRatingExports:
    """REDIS_URL set: the job goes to the rq queue ``onewindow`` (``rq worker onewindow``)."""

    def __init__(self, redis_url: str, config: ExportConfig, queue_name: str = QUEUE) -> None:
        from redis import Redis
        from rq import Queue

        self.config = config
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(queue_name, connection=self.redis)

    def enqueue(self, hall: str, day: date) -> object:
        # the rows' leases cover every day's attempts; a few days to catch up, one batch each
        timeout = int(lease_s(self.config.max_attempts, self.config.base_delay, self.config.timeout)) * CATCH_UP_DAYS
        return self.queue.enqueue(export_day, args=(hall, day.isoformat(), self.config.database_url),
                                  kwargs=self.config.job_kwargs(), job_timeout=timeout, result_ttl=86400,
                                  failure_ttl=7 * 86400, description=f"好差评 export {hall} {day}")

    def close(self) -> None:
        self.redis.close()


@functools.lru_cache(maxsize=8)
def exports_for(settings: Settings) -> EmbeddedRatingExports | RqRatingExports:
    """The process's runner for these settings, built on first use: rq when REDIS_URL is set."""
    config = ExportConfig.from_settings(settings)
    if settings.redis_url:
        return RqRatingExports(settings.redis_url, config)
    return EmbeddedRatingExports(config)


async def after_day_end(context: AppContext, hall: str, day: date) -> None:
    """The day-end hook (registered by server/app.py): the closed day's export, in the background."""
    if not ExportConfig.from_settings(context.settings).does_anything:
        return
    runner = exports_for(context.settings)
    await asyncio.to_thread(runner.enqueue, hall, day)
