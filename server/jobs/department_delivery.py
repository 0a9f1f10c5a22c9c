"""Delivering a message to a department: one signed POST to the department's webhook, retried as the
applicants' SMS are (server/jobs/runner.py: in the job, 1, 2, 4, 8 s apart, every attempt counted).

The message is already in the outbox (``department_notices``) when the job starts: the job is given
its key and the database URL alone, so nothing about a case rests in Redis. ``deliver_notice`` claims
the row (a lease, so that two workers never both send it), reads the department's webhook at that
moment, and sends. A department without a webhook reads the message on its workbench: the row is
then ``kept``. Embedded mode runs jobs in this process's threads; with REDIS_URL an rq worker does.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from server.settings import Settings
from server.store import department_notices as store
from server.store.db import Database, open_database

from .providers import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, PermanentFailure, TransientFailure, signature
from .runner import QUEUE, SKIPPED, lease_s

log = logging.getLogger("onewindow.jobs")


def notice_body(row: Any) -> bytes:
    """What the department's system receives: the key, what happened, the Chinese text and its facts."""
    at = row["created_at"]
    payload = {"key": row["key"], "kind": row["kind"], "hall": row["hall"], "department": row["department"],
               "text": row["text"], "payload": row["payload"],
               "created_at": (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def post_signed(url: str, secret: str, body: bytes, key: str, timeout: float) -> None:
    """POST, signed as the SMS webhook is (X-OneWindow-Signature over the raw body); raises
    TransientFailure when trying again may help, PermanentFailure when it cannot."""
    headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: signature(secret, body),
               IDEMPOTENCY_HEADER: key}
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TransportError as exc:  # refused, reset, timed out: the system may be back soon
        raise TransientFailure(f"{type(exc).__name__}: {exc}") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientFailure(f"HTTP {status}")
    if status >= 300:  # 3xx too: redirects are not followed, so the URL is wrong
        raise PermanentFailure(f"HTTP {status}: {response.text[:200]}")


def deliver_notice(key: str, database_url: str, *, max_attempts: int = 5, base_delay: float = 1.0,
                   timeout: float = 10.0) -> str:
    """Deliver one recorded message at most once: ``sent``, ``kept`` (no webhook), ``failed``, or
    ``skipped`` (unknown, already delivered, or being delivered by someone else)."""
    lease = timedelta(seconds=lease_s(max_attempts, base_delay, timeout))
    db = open_database(database_url)
    try:
        now = datetime.now(UTC)
        with db.writer.begin() as conn:
            row = store.by_key(conn, key)
            if row is None or not store.claim(conn, key, now, now + lease):
                return SKIPPED
            hook = store.webhook(conn, row["hall"], row["department"])
            if hook is None:
                store.attempted(conn, key, status=store.KEPT, error=None, now=now, lease_until=None, count=False)
                return store.KEPT
        body = notice_body(row)
        for attempt in range(1, max_attempts + 1):
            try:
                post_signed(hook["url"], hook["secret"], body, key, timeout)
            except PermanentFailure as exc:
                _attempted(db, key, store.FAILED, str(exc), None)
                log.warning("department notice %s failed for good: %s", key, exc)
                return store.FAILED
            except Exception as exc:
                last = attempt == max_attempts
                _attempted(db, key, store.FAILED if last else store.PENDING, str(exc),
                           None if last else datetime.now(UTC) + lease)
                if last:
                    log.warning("department notice %s failed after %d attempts: %s", key, attempt, exc)
                    return store.FAILED
                time.sleep(base_delay * 2 ** (attempt - 1))
            else:
                _attempted(db, key, store.SENT, None, None)
                return store.SENT
        return store.FAILED  # max_attempts < 1
    finally:
        db.dispose()


def _attempted(db: Database, key: str, status: str, error: str | None, lease_until: datetime | None) -> None:
    with db.writer.begin() as conn:
        store.attempted(conn, key, status=status, error=error, now=datetime.now(UTC), lease_until=lease_until)


# ---------------------------------------------------------------- runners
@dataclass(frozen=True)
class NoticeConfig:
    """What every delivery job is given besides the key."""

    database_url: str
    max_attempts: int = 5
    base_delay: float = 1.0
    timeout: float = 10.0

    def job_kwargs(self) -> dict[str, Any]:
        return {"max_attempts": self.max_attempts, "base_delay": self.base_delay, "timeout": self.timeout}


class NoticeRunner(Protocol):
    def enqueue(self, key: str) -> object:
        """Hand the recorded message over for delivery; may block briefly (call it off the event loop)."""

    def close(self) -> None: ...


class EmbeddedNotices:
    """Embedded mode: ``deliver_notice`` in this process's threads."""

    def __init__(self, config: NoticeConfig, workers: int = 2) -> None:
        self.config = config
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="department-notice")

    def enqueue(self, key: str) -> Future[str]:
        future = self._pool.submit(deliver_notice, key, self.config.database_url, **self.config.job_kwargs())
        future.add_done_callback(_log_crash)
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _log_crash(future: Future[str]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.error("department notice job crashed: %r", exc)


class RqNotices:
    """REDIS_URL set: jobs go to the rq queue ``onewindow``, as the SMS do (``rq worker onewindow``)."""

    def __init__(self, redis_url: str, config: NoticeConfig, queue_name: str = QUEUE) -> None:
        from redis import Redis
        from rq import Queue

        self.config = config
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(queue_name, connection=self.redis)

    def enqueue(self, key: str) -> object:
        timeout = int(lease_s(self.config.max_attempts, self.config.base_delay, self.config.timeout))
        return self.queue.enqueue(deliver_notice, args=(key, self.config.database_url),
                                  kwargs=self.config.job_kwargs(), job_timeout=timeout, result_ttl=3600,
                                  failure_ttl=7 * 86400, description=f"department notice {key}")

    def close(self) -> None:
        self.redis.close()


@functools.lru_cache(maxsize=8)
def notices_for(settings: Settings) -> NoticeRunner:
    """The process's runner for these settings, built on first use: rq when REDIS_URL is set."""
    config = NoticeConfig(settings.database_url)
    if settings.redis_url:
        return RqNotices(settings.redis_url, config)
    return EmbeddedNotices(config)
