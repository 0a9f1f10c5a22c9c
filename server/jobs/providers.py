"""Where a notification goes. One small interface, ``Provider.send``, raising on failure:
``PermanentFailure`` when trying again cannot help, anything else when it may.

- ``OutboxProvider`` (the default): the notifications table is the outbox; the managers'
  dashboard lists it (``GET /api/v1/halls/{hall}/notifications``). Sending is recording.
- ``WebhookProvider``: POSTs the message to the hall's SMS gateway, signed with HMAC-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Protocol

import httpx

from .message import Notification

SIGNATURE_HEADER = "X-OneWindow-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class PermanentFailure(Exception):
    """The gateway refused the message itself (a 4xx other than 429): retrying would not help."""


class TransientFailure(Exception):
    """The gateway could not take the message now (no connection, 5xx, 429): worth retrying."""


class Provider(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver or raise; ``PermanentFailure`` stops the retries."""


class OutboxProvider:
    """The row ``deliver`` writes is the message: nothing further leaves the server."""

    def send(self, notification: Notification) -> None:
        return None


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the X-OneWindow-Signature value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """What a gateway does with the header: recompute over the raw bytes, compare in constant time."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


def webhook_body(notification: Notification) -> bytes:
    payload = {"key": notification.key, "kind": notification.kind, "to": notification.to_phone,
               "text": notification.text, "hall": notification.hall}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookProvider:
    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def send(self, notification: Notification) -> None:
        body = webhook_body(notification)
        headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: signature(self.secret, body),
                   IDEMPOTENCY_HEADER: notification.key}
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.TransportError as exc:  # refused, reset, timed out: the gateway may be back soon
            raise TransientFailure(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransientFailure(f"HTTP {status}")
        if status >= 300:  # 3xx too: redirects are not followed, so the URL is wrong
            raise PermanentFailure(f"HTTP {status}: {response.text[:200]}")


def provider_for(webhook_url: str | None, webhook_secret: str | None, timeout: float = 10.0) -> Provider:
    if webhook_url:
        if not webhook_secret:
            raise ValueError("a webhook needs its secret (ONEWINDOW_NOTIFY_WEBHOOK_SECRET)")
        return WebhookProvider(webhook_url, webhook_secret, timeout)
    return OutboxProvider()
