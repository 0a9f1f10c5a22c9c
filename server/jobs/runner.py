"""Running deliveries: in-process threads in embedded mode, rq workers when REDIS_URL is set.

``deliver`` is the job, the same in both: a module-level function of plain arguments that opens
its own database engine, so an rq worker in another process (``rq worker onewindow``) can run it.
Retries happen inside the job, with exponential backoff (1, 2, 4, 8 s by default): both modes
behave alike, every attempt is counted in the table, and no rq scheduler is needed.
"""

from __future__ import annotations

import functools
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from server.settings import Settings
from server.store import notifications as store
from server.store.db import open_database

from .message import Notification
from .providers import PermanentFailure, provider_for

log = logging.getLogger("onewindow.jobs")

QUEUE = "onewindow"
SKIPPED = "skipped"


def lease_s(max_attempts: int, base_delay: float, timeout: float) -> float:
    """Long enough for every attempt and pause, so no second delivery starts while one runs."""
    return float(max_attempts * timeout + base_delay * 2.0 ** max(max_attempts - 1, 0) + 60.0)


def deliver(notification: dict[str, Any], database_url: str, webhook_url: str | None = None,
            webhook_secret: str | None = None, *, max_attempts: int = 5, base_delay: float = 1.0,
            timeout: float = 10.0) -> str:
    """Send one notification at most once; returns ``sent``, ``failed`` or ``skipped`` (its key was
    already sent, failed, or is being delivered by someone else)."""
    message = Notification.from_dict(notification)
    provider = provider_for(webhook_url, webhook_secret, timeout)
    lease = timedelta(seconds=lease_s(max_attempts, base_delay, timeout))
    db = open_database(database_url)
    try:
        now = datetime.now(UTC)
        with db.writer.begin() as conn:
            store.record(conn, hall=message.hall, kind=message.kind, to_phone=message.to_phone, text=message.text,
                         key=message.key, now=now)
        with db.writer.begin() as conn:
            if not store.claim(conn, message.key, now, now + lease):
                return SKIPPED
        for attempt in range(1, max_attempts + 1):
            try:
                provider.send(message)
            except PermanentFailure as exc:
                _attempted(db, message.key, store.FAILED, str(exc), None)
                log.warning("notification %s failed for good: %s", message.key, exc)
                return store.FAILED
            except Exception as exc:
                last = attempt == max_attempts
                _attempted(db, message.key, store.FAILED if last else store.PENDING, f"{exc}",
                           None if last else datetime.now(UTC) + lease)
                if last:
                    log.warning("notification %s failed after %d attempts: %s", message.key, attempt, exc)
                    return store.FAILED
                time.sleep(base_delay * 2 ** (attempt - 1))
            else:
                _attempted(db, message.key, store.SENT, None, None)
                return store.SENT
        return store.FAILED  # max_attempts < 1
    finally:
        db.dispose()


def _attempted(db: Any, key: str, status: str, error: str | None, lease_until: datetime | None) -> None:
    with db.writer.begin() as conn:
        store.attempted(conn, key, status=status, error=error, now=datetime.now(UTC), lease_until=lease_until)


@dataclass(frozen=True)
class DeliveryConfig:
    """What every delivery job is given besides the message."""

    database_url: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    max_attempts: int = 5
    base_delay: float = 1.0
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        return cls(settings.database_url, settings.notify_webhook_url, settings.notify_webhook_secret)

    def job_args(self, notification: Notification) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return ((notification.to_dict(), self.database_url, self.webhook_url, self.webhook_secret),
                {"max_attempts": self.max_attempts, "base_delay": self.base_delay, "timeout": self.timeout})


@runtime_checkable
class Runner(Protocol):
    def enqueue(self, notification: Notification) -> object:
        """Hand the message over for delivery; may block briefly (call it off the event loop)."""

    def close(self) -> None: ...


class EmbeddedRunner:
    """Embedded mode: ``deliver`` in this process's threads."""

    def __init__(self, config: DeliveryConfig, workers: int = 2) -> None:
        self.config = config
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="notify")

    def enqueue(self, notification: Notification) -> Future[str]:
        args, kwargs = self.config.job_args(notification)
        future = self._pool.submit(deliver, *args, **kwargs)
        future.add_done_callback(_log_crash)
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _log_crash(future: Future[str]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.error("notification job crashed: %r", exc)


class RqRunner:
    """REDIS_URL set: jobs go to the rq queue ``onewindow`` (Procfile: ``rq worker onewindow``)."""

    def __init__(self, redis_url: str, config: DeliveryConfig, queue_name: str = QUEUE) -> None:
        from redis import Redis
        from rq import Queue

        self.config = config
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(queue_name, connection=self.redis)

    def enqueue(self, notification: Notification) -> object:
        args, kwargs = self.config.job_args(notification)
        timeout = int(lease_s(self.config.max_attempts, self.config.base_delay, self.config.timeout))
        return self.queue.enqueue(deliver, args=args, kwargs=kwargs, job_timeout=timeout, result_ttl=3600,
                                  failure_ttl=7 * 86400, description=f"notify {notification.key}")

    def close(self) -> None:
        self.redis.close()


@functools.lru_cache(maxsize=8)
def runner_for(settings: Settings) -> Runner:
    """The process's runner for these settings, built on first use: rq when REDIS_URL is set."""
    config = DeliveryConfig.from_settings(settings)
    if settings.redis_url:
        return RqRunner(settings.redis_url, config)
    return EmbeddedRunner(config)
