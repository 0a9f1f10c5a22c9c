"""All configuration, read once from the environment, cast, and failing loudly (CONTRACT)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from starlette.config import Config

DEFAULT_DATABASE_URL = "sqlite:///var/onewindow.db"
DEFAULT_UPLOAD_DIR = "var/uploads"
MIN_SECRET_LENGTH = 32  # about 190 bits of a urlsafe secret: out of reach of guessing the session signature


class SettingsError(Exception):
    """A missing or malformed setting; the message says what to set."""


@dataclass(frozen=True)
class Limits:
    """What one client may make a process hold (security issue, point 5): server/limits.py checks
    bodies, server/serving.py the connections (uvicorn runs with it)."""

    max_body_bytes: int = 1024 * 1024  # a request body; routes that import files declare more (declare.py)
    header_timeout_s: float = 10.0  # a request's head (request line and headers) must arrive whole within this
    body_timeout_s: float = 60.0  # and its body within this after the head
    keep_alive_s: int = 5  # an idle keep-alive connection is closed after this
    max_connections: int = 4096  # open at once per process, WebSockets included; more are answered 503 and closed
    max_header_bytes: int = 64 * 1024  # a request's head


@dataclass(frozen=True)
class Hcp:
    """好差评 to the province (docs/kpis.md): where each day's ratings go. No URL: the file only;
    no folder either (settings built in code, tests): the day's end sends and writes nothing."""

    url: str | None = None  # ONEWINDOW_HCP_URL: the provincial platform's receiving address
    secret: str | None = None  # ONEWINDOW_HCP_SECRET: HMAC-SHA256 key of X-OneWindow-Signature
    region: str = ""  # ONEWINDOW_HCP_REGION: the hall's 行政区划代码 (areaCode), 6 to 12 digits
    folder: str | None = None  # ONEWINDOW_HCP_DIR: the day's files, a folder per hall (var/hcp)
    retry_s: float = 2.0  # ONEWINDOW_HCP_RETRY_S: the first pause between attempts, doubling


@dataclass(frozen=True)
class Backups:
    """The daily backup (server/jobs/backups.py, docs/operations.md)."""

    folder: str | None = None  # ONEWINDOW_BACKUP_DIR; unset: no scheduled backups
    keep: int = 7  # ONEWINDOW_BACKUP_KEEP: the newest kept
    at: time = time(2, 0)  # ONEWINDOW_BACKUP_AT: in the halls' local time


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    demo: bool
    sqlite_synchronous: str
    log_level: str
    ws_ping_s: float = 20.0  # a socket that answers no ping within this is dead and is dropped
    ws_backlog: int = 256  # messages a slow screen may fall behind before it gets a fresh snapshot
    notify_webhook_url: str | None = None  # the hall's SMS gateway; unset: messages stay in the outbox table
    notify_webhook_secret: str | None = None  # HMAC-SHA256 key for X-OneWindow-Signature
    notify_ahead: int = 3  # text an applicant when this many are ahead of them
    clock_at: datetime | None = None  # demos and tests: the hall's clock starts at this instant, then runs
    kiosk_issue_limit: int = 30  # tickets one kiosk may issue per minute (a stuck touch screen); 0: no limit
    db_pool: int = 20  # PostgreSQL connections a process keeps open (every hall's writer takes one per batch)
    session_hours: float = 12.0  # a sign-in's token and session cookie end this long after it
    # PIPL retention: names and phones are blanked this long after a case is closed (final) and after
    # a booking's day (server/services/retention.py); rows and figures stay.
    pii_retention_days: int = 180
    booking_retention_days: int = 30
    # online pre-review's uploaded materials (server/services/applications.py): a folder per hall, never
    # under static/; ONEWINDOW_UPLOAD_DIR
    upload_dir: str = DEFAULT_UPLOAD_DIR
    limits: Limits = Limits()
    hcp: Hcp = Hcp()
    backups: Backups = Backups()
    log_format: str = "text"  # ONEWINDOW_LOG_FORMAT: text, or json (one object per line, server/logs.py)
    # ONEWINDOW_METRICS_TOKEN: /metrics answers only `Authorization: Bearer` it; unset: /metrics is off (404)
    metrics_token: str | None = None

    @property
    def embedded(self) -> bool:
        """No Redis: in-process bus and jobs, one process only."""
        return not self.redis_url


def _demo_secret(database_url: str) -> str:
    """Demo mode without SECRET_KEY: a generated secret kept beside the default database, so
    that sessions and demo tokens survive a restart."""
    path = Path("var") / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    config = Config(environ=environ if environ is not None else os.environ)
    try:
        demo = config("ONEWINDOW_DEMO", cast=bool, default=False)
    except ValueError:
        raise SettingsError("ONEWINDOW_DEMO must be 1 or 0") from None
    database_url = config("DATABASE_URL", default=DEFAULT_DATABASE_URL)
    if not database_url.startswith(("sqlite", "postgresql", "postgres")):
        raise SettingsError(f"DATABASE_URL must be sqlite:///path or postgresql://user@host/db, not {database_url!r}")
    redis_url = config("REDIS_URL", default=None) or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"REDIS_URL must be redis://host:port/db, not {redis_url!r}")
    secret = config("SECRET_KEY", default=None)
    if not secret:
        if not demo:
            raise SettingsError("SECRET_KEY is required (or set ONEWINDOW_DEMO=1 to run the demo with a generated one)")
        secret = _demo_secret(database_url)
    if len(secret) < MIN_SECRET_LENGTH and not demo:
        raise SettingsError(f"SECRET_KEY must have at least {MIN_SECRET_LENGTH} characters, e.g. "
                            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
    sync = config("ONEWINDOW_SQLITE_SYNCHRONOUS", default="FULL").upper()
    if sync not in ("NORMAL", "FULL", "EXTRA"):
        raise SettingsError("ONEWINDOW_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA")
    try:
        ping = config("ONEWINDOW_WS_PING_S", cast=float, default=20.0)
        backlog = config("ONEWINDOW_WS_BACKLOG", cast=int, default=256)
    except ValueError:
        raise SettingsError("ONEWINDOW_WS_PING_S must be seconds and ONEWINDOW_WS_BACKLOG a count") from None
    if ping <= 0 or backlog < 1:
        raise SettingsError("ONEWINDOW_WS_PING_S and ONEWINDOW_WS_BACKLOG must be positive")
    webhook_url = config("ONEWINDOW_NOTIFY_WEBHOOK_URL", default=None) or None
    webhook_secret = config("ONEWINDOW_NOTIFY_WEBHOOK_SECRET", default=None) or None
    if webhook_url and not webhook_url.startswith(("http://", "https://")):
        raise SettingsError(f"ONEWINDOW_NOTIFY_WEBHOOK_URL must be http(s)://host/path, not {webhook_url!r}")
    if webhook_url and not webhook_secret:
        raise SettingsError("ONEWINDOW_NOTIFY_WEBHOOK_SECRET is required with ONEWINDOW_NOTIFY_WEBHOOK_URL")
    try:
        ahead = config("ONEWINDOW_NOTIFY_AHEAD", cast=int, default=3)
    except ValueError:
        raise SettingsError("ONEWINDOW_NOTIFY_AHEAD must be a whole number of people") from None
    if ahead < 1:
        raise SettingsError("ONEWINDOW_NOTIFY_AHEAD must be at least 1")
    clock_at = _instant(config("ONEWINDOW_CLOCK_AT", default=None) or None)
    try:
        kiosk_limit = config("ONEWINDOW_KIOSK_ISSUES_PER_MIN", cast=int, default=30)
    except ValueError:
        raise SettingsError("ONEWINDOW_KIOSK_ISSUES_PER_MIN must be a whole number (0: no limit)") from None
    if kiosk_limit < 0:
        raise SettingsError("ONEWINDOW_KIOSK_ISSUES_PER_MIN must be 0 or more")
    try:
        db_pool = config("ONEWINDOW_DB_POOL", cast=int, default=20)
    except ValueError:
        raise SettingsError("ONEWINDOW_DB_POOL must be a whole number of connections") from None
    if not 1 <= db_pool <= 500:
        raise SettingsError("ONEWINDOW_DB_POOL must be 1 to 500 connections")
    return Settings(database_url, redis_url, secret, demo, sync, config("ONEWINDOW_LOG_LEVEL", default="info"),
                    ping, backlog, webhook_url, webhook_secret, ahead, clock_at, kiosk_limit, db_pool,
                    _session_hours(config), **_retention(config),
                    upload_dir=config("ONEWINDOW_UPLOAD_DIR", default=DEFAULT_UPLOAD_DIR) or DEFAULT_UPLOAD_DIR,
                    limits=load_limits(environ), hcp=_hcp(config), backups=_backups(config),
                    log_format=_log_format(config), metrics_token=_metrics_token(config))


def _log_format(config: Config) -> str:
    """ONEWINDOW_LOG_FORMAT (docs/operations.md "Seeing inside")."""
    log_format: str = config("ONEWINDOW_LOG_FORMAT", default="text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise SettingsError(f"ONEWINDOW_LOG_FORMAT must be text or json, not {log_format!r}")
    return log_format


def _metrics_token(config: Config) -> str | None:
    """ONEWINDOW_METRICS_TOKEN: at least 16 characters, or unset (/metrics off)."""
    token: str | None = config("ONEWINDOW_METRICS_TOKEN", default=None) or None
    if token is not None and len(token) < 16:
        raise SettingsError("ONEWINDOW_METRICS_TOKEN must have at least 16 characters (Prometheus sends it as a "
                            "bearer token; a short one is guessed)")
    return token


def _hcp(config: Config) -> Hcp:
    """ONEWINDOW_HCP_URL, _SECRET, _REGION, _DIR and _RETRY_S (docs/kpis.md "好差评 to the province")."""
    url = config("ONEWINDOW_HCP_URL", default=None) or None
    secret = config("ONEWINDOW_HCP_SECRET", default=None) or None
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"ONEWINDOW_HCP_URL must be http(s)://host/path, not {url!r}")
    if url and not secret:
        raise SettingsError("ONEWINDOW_HCP_SECRET is required with ONEWINDOW_HCP_URL")
    region = (config("ONEWINDOW_HCP_REGION", default="") or "").strip()
    if region and not (region.isascii() and region.isdigit() and 6 <= len(region) <= 12):
        raise SettingsError(f"ONEWINDOW_HCP_REGION must be the 行政区划代码, 6 to 12 digits, not {region!r}")
    try:
        retry = config("ONEWINDOW_HCP_RETRY_S", cast=float, default=2.0)
    except ValueError:
        raise SettingsError("ONEWINDOW_HCP_RETRY_S must be seconds") from None
    if not 0 <= retry <= 600:
        raise SettingsError("ONEWINDOW_HCP_RETRY_S must be 0 to 600 seconds")
    return Hcp(url, secret, region, config("ONEWINDOW_HCP_DIR", default="var/hcp") or "var/hcp", retry)


def _backups(config: Config) -> Backups:
    """ONEWINDOW_BACKUP_DIR (a folder; unset: no scheduled backups), ONEWINDOW_BACKUP_KEEP (1 to 365
    files) and ONEWINDOW_BACKUP_AT (HH:MM, the halls' local time)."""
    folder = config("ONEWINDOW_BACKUP_DIR", default=None) or None
    try:
        keep = config("ONEWINDOW_BACKUP_KEEP", cast=int, default=7)
    except ValueError:
        raise SettingsError("ONEWINDOW_BACKUP_KEEP must be a whole number of backups to keep") from None
    if not 1 <= keep <= 365:
        raise SettingsError("ONEWINDOW_BACKUP_KEEP must be 1 to 365")
    raw = str(config("ONEWINDOW_BACKUP_AT", default="02:00")).strip()
    try:
        at = time.fromisoformat(raw) if len(raw) == 5 else None
    except ValueError:
        at = None
    if at is None:
        raise SettingsError(f"ONEWINDOW_BACKUP_AT must be a time of day as HH:MM, e.g. 02:00, not {raw!r}")
    return Backups(folder, keep, at)


def _session_hours(config: Config) -> float:
    """ONEWINDOW_SESSION_HOURS: how long a sign-in lasts, a working day by default; at most 30 days."""
    try:
        hours = config("ONEWINDOW_SESSION_HOURS", cast=float, default=12.0)
    except ValueError:
        raise SettingsError("ONEWINDOW_SESSION_HOURS must be a number of hours, e.g. 12") from None
    if not 0 < hours <= 720:
        raise SettingsError("ONEWINDOW_SESSION_HOURS must be more than 0 and at most 720 (30 days)")
    return hours


def _retention(config: Config) -> dict[str, int]:
    """ONEWINDOW_PII_RETENTION_DAYS (cases, after closing) and ONEWINDOW_BOOKING_RETENTION_DAYS
    (bookings, after their day): whole days, 1 to 36500."""
    out = {}
    for name, field, default in (("ONEWINDOW_PII_RETENTION_DAYS", "pii_retention_days", 180),
                                 ("ONEWINDOW_BOOKING_RETENTION_DAYS", "booking_retention_days", 30)):
        try:
            days = config(name, cast=int, default=default)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number of days") from None
        if not 1 <= days <= 36500:
            raise SettingsError(f"{name} must be 1 to 36500 days")
        out[field] = days
    return out


# name, field, lowest, highest, what it counts (for the message)
_LIMITS: tuple[tuple[str, str, float, float, str], ...] = (
    ("ONEWINDOW_MAX_BODY_BYTES", "max_body_bytes", 1024, 1024**3, "bytes"),
    ("ONEWINDOW_HEADER_TIMEOUT_S", "header_timeout_s", 0.1, 300, "seconds"),
    ("ONEWINDOW_BODY_TIMEOUT_S", "body_timeout_s", 0.1, 3600, "seconds"),
    ("ONEWINDOW_KEEP_ALIVE_S", "keep_alive_s", 1, 300, "whole seconds"),
    ("ONEWINDOW_MAX_CONNECTIONS", "max_connections", 16, 1_000_000, "connections"),
    ("ONEWINDOW_MAX_HEADER_BYTES", "max_header_bytes", 1024, 1024**2, "bytes"),
)


def load_limits(environ: Mapping[str, str] | None = None) -> Limits:
    """The ``Limits`` from the environment; each must be a number within its bounds. The HTTP
    protocol of each server process reads them too (server/serving.py)."""
    environ = os.environ if environ is None else environ
    values: dict[str, float] = {}
    for name, field, low, high, unit in _LIMITS:
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        kind = float if unit == "seconds" else int
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise SettingsError(f"{name} must be {low:,} to {high:,} {unit}, not {raw!r}")
        values[field] = value
    return Limits(**values)  # type: ignore[arg-type]


def _instant(raw: str | None) -> datetime | None:
    """ONEWINDOW_CLOCK_AT: an ISO 8601 instant with its offset, e.g. 2026-11-25T09:50:00+08:00."""
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise SettingsError(f"ONEWINDOW_CLOCK_AT must be an ISO 8601 instant with its offset, not {raw!r}")
    return at
