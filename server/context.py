"""What every route, socket and job needs, handed over by the lifespan, and who is calling.

``AppContext`` is built once by the lifespan (server/app.py) and reaches the HTTP routes, the
WebSocket endpoints (server/hub, server/agents), the services and the jobs; ``ctx`` finds it on a
connection, ``current_principal``/``require_principal`` say who is calling. Refusals are domain
errors (server/domain/errors.py), which each edge turns into its own answer.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from server.auth import Principal, RateLimiter
from server.bus import Bus
from server.domain.clock import Clock
from server.domain.errors import BadCredentials, CsrfRejected, Forbidden, NotAuthenticated
from server.engine import HallEngine
from server.settings import Settings
from server.store import accounts
from server.store.db import Database

if TYPE_CHECKING:
    from server.hub import Hub

TOKEN_CACHE_S = 30.0  # a revoked token stops working within this time


@dataclass
class AppContext:
    settings: Settings
    db: Database
    bus: Bus
    engine: HallEngine
    clock: Clock
    hub: Hub
    # The per-process rate limits (server/auth.py RateLimiter.check raises RateLimited, a 429):
    login_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(5, 300))  # failed sign-ins
    kiosk_limiter: RateLimiter = field(init=False)  # tickets per kiosk per minute (a stuck screen)
    booking_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(10, 600))  # bookings per address
    lookup_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(5, 600))  # wrong case checks
    # Randomness is injected like the clock: status tokens, booking codes (tests may fix them).
    new_token: Callable[[int], str] = secrets.token_urlsafe
    choose: Callable[[str], str] = secrets.choice  # one character of an alphabet (booking codes)
    # Who hears of what, registered by the lifespan (server/app.py), per app: after a rating is
    # stored (follow-ups open for unhappy ones), after a case changes (the visitor's messages).
    rating_hooks: list[Callable[[AppContext, Any], Awaitable[None]]] = field(default_factory=list)
    case_hooks: list[Callable[[AppContext, dict[str, Any]], Awaitable[None]]] = field(default_factory=list)
    caches: dict[str, tuple[float, Any]] = field(default_factory=dict)  # name → (expires, value)
    # Work the server does by itself that failed, by hall: task → (title, since); an alert stands
    # on the hall's dashboard while it does (server/services/alerts.py).
    problems: dict[str, dict[str, tuple[str, datetime]]] = field(default_factory=dict)
    # Audit entries waiting for their batch's write (server/services/audit.py).
    audit_pending: list[dict[str, Any]] = field(default_factory=list)
    audit_flusher: asyncio.Task[None] | None = None
    _tokens: dict[str, tuple[float, Principal | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kiosk_limiter = RateLimiter(self.settings.kiosk_issue_limit, 60.0)

    async def principal_for_token(self, token: str) -> Principal | None:
        hit = self._tokens.get(token)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await self.engine.read(lambda conn: accounts.lookup_token(conn, token))
        principal = Principal.from_token_row(row) if row else None
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[token] = (now + TOKEN_CACHE_S, principal)
        return principal

    async def principal_for_user(self, user_id: int) -> Principal | None:
        key = f"user:{user_id}"
        hit = self._tokens.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await self.engine.read(lambda conn: accounts.user_by_id(conn, user_id))
        principal = (Principal("user", row.role, row.username, row.hall, row.counter, row.id, row.display_name,
                               row.staff_no)
                     if row is not None and row.active else None)
        self._tokens[key] = (now + TOKEN_CACHE_S, principal)
        return principal


def ctx(conn: HTTPConnection) -> AppContext:
    context: AppContext = conn.state.ctx
    return context


def _same_origin(conn: HTTPConnection) -> bool:
    """Cookie-authenticated writes must come from our own pages (CSRF): browsers always send
    Origin on a cross-site POST, and SameSite=Lax keeps the cookie off most of them anyway."""
    origin = conn.headers.get("origin") or conn.headers.get("referer")
    if not origin:
        return False
    host = conn.headers.get("host", "")
    return origin.split("://", 1)[-1].split("/", 1)[0] == host


async def current_principal(conn: HTTPConnection) -> Principal | None:
    header = conn.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise BadCredentials("认证头格式应为 Bearer TOKEN", "Authorization must be 'Bearer TOKEN'")
        principal = await ctx(conn).principal_for_token(token.strip())
        if principal is None:
            raise BadCredentials("令牌无效或已撤销", "unknown or revoked token")
        return principal
    session: dict[str, Any] = conn.scope.get("session") or {}
    user_id = session.get("uid")
    if user_id is None:
        return None
    if conn.scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS") and not _same_origin(conn):
        raise CsrfRejected("跨站请求被拒绝", "cross-site request refused")
    return await ctx(conn).principal_for_user(int(user_id))


async def require_principal(conn: HTTPConnection) -> Principal:
    principal = await current_principal(conn)
    if principal is None:
        raise NotAuthenticated("请先登录或提供令牌", "sign in or send a bearer token")
    return principal


def forbid(message_zh: str, message_en: str) -> Forbidden:
    return Forbidden(message_zh, message_en)
