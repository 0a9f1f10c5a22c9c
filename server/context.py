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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from server.auth import BackoffLimiter, Principal, RateLimiter
from server.bus import Bus
from server.domain.applications import SUBMISSION_WINDOW_S, SUBMISSIONS_PER_WINDOW
from server.domain.clock import Clock
from server.domain.errors import BadCredentials, CsrfRejected, Forbidden, NotAuthenticated
from server.engine import HallEngine
from server.settings import Settings
from server.store import accounts
from server.store.db import Database
from server.store.devices import SeenTokens

if TYPE_CHECKING:
    from server.hub import Hub

# A token's holder is remembered this long per process. A change made by this server (sign-out,
# revocation, a disabled user) drops it at once here and, over the bus, in the other processes; a
# change made by the command line is seen within this time, which is shorter than the CLI's start.
TOKEN_CACHE_S = 1.0
SESSION_TOKEN = "token"  # the session cookie's one key: the sign-in's token, ended on the server like any
# All a user whose password someone else chose (a new account, a reset) may do until they pick their own.
PASSWORD_CHANGE_PATHS = frozenset({"/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/me"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PrincipalCache:
    """Token hash → (expires, its holder or None), per process, bounded."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def get(self, hashed: str, now: float) -> tuple[bool, Principal | None]:
        hit = self._entries.get(hashed)
        if hit is None or hit[0] <= now:
            return False, None
        return True, hit[1]

    def put(self, hashed: str, principal: Principal | None, now: float) -> None:
        if len(self._entries) >= self.LIMIT:
            self._entries.clear()
        self._entries[hashed] = (now + TOKEN_CACHE_S, principal)

    def forget(self, hashes: Iterable[str] = (), user_ids: Iterable[int] = ()) -> None:
        for hashed in hashes:
            self._entries.pop(hashed, None)
        users = set(user_ids)
        if users:
            for hashed, (_, principal) in list(self._entries.items()):
                if principal is not None and principal.user_id in users:
                    del self._entries[hashed]

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class AppContext:
    settings: Settings
    db: Database
    bus: Bus
    engine: HallEngine
    clock: Clock
    hub: Hub
    # The per-process rate limits (server/auth.py RateLimiter.check raises RateLimited, a 429):
    # Failed sign-ins per (user, address) pair, never per address or user alone: one NAT address's
    # typos lock out no colleague, and nobody can lock an account from elsewhere. Five are free,
    # then 1 s, 2 s, 4 s … up to 5 minutes; 15 quiet minutes forget them.
    login_limiter: BackoffLimiter = field(
        default_factory=lambda: BackoffLimiter(free=5, base=1.0, cap=300.0, forget=900.0))
    kiosk_limiter: RateLimiter = field(init=False)  # tickets per kiosk per minute (a stuck screen)
    booking_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(10, 600))  # bookings per address
    # online pre-review submissions per address (server/services/applications.py), 5 in 10 minutes
    application_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(SUBMISSIONS_PER_WINDOW, SUBMISSION_WINDOW_S))
    # 意见建议/投诉 without sign-in (server/services/feedback.py): 5 per address, 30 per kiosk, in 10 minutes
    feedback_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(5, 600))
    feedback_kiosk_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(30, 600))
    # Wrong checks per (receipt, address) and wrong cancel proofs per (booking code, address),
    # never per address alone: a shared kiosk's typos must not lock the next visitor out.
    lookup_limiter: BackoffLimiter = field(default_factory=BackoffLimiter)
    cancel_limiter: BackoffLimiter = field(default_factory=BackoffLimiter)
    # Randomness is injected like the clock: status tokens, booking codes (tests may fix them).
    new_token: Callable[[int], str] = secrets.token_urlsafe
    # The real time, for credentials' expiry (the hall's clock may be shifted in demos and tests).
    wall: Callable[[], datetime] = _utc_now
    choose: Callable[[str], str] = secrets.choice  # one character of an alphabet (booking codes)
    # Who hears of what, registered by the lifespan (server/app.py), per app: after a rating is
    # stored (follow-ups open for unhappy ones), after a case changes (the visitor's messages).
    rating_hooks: list[Callable[[AppContext, Any], Awaitable[None]]] = field(default_factory=list)
    case_hooks: list[Callable[[AppContext, dict[str, Any]], Awaitable[None]]] = field(default_factory=list)
    # after a hall's day is closed (server/services/days.py): the hall's code and the day that ended
    day_hooks: list[Callable[[AppContext, str, date], Awaitable[None]]] = field(default_factory=list)
    caches: dict[str, tuple[float, Any]] = field(default_factory=dict)  # name → (expires, value)
    # Work the server does by itself that failed, by hall: task → (title, since); an alert stands
    # on the hall's dashboard while it does (server/services/alerts.py).
    problems: dict[str, dict[str, tuple[str, datetime]]] = field(default_factory=dict)
    # Audit entries waiting for their batch's write (server/services/audit.py).
    audit_pending: list[dict[str, Any]] = field(default_factory=list)
    audit_flusher: asyncio.Task[None] | None = None
    audit_writing: asyncio.Lock = field(default_factory=asyncio.Lock)  # one flush at a time
    _principals: PrincipalCache = field(default_factory=PrincipalCache)
    # Device tokens used, for the managers' 最近在线: noted here, written in batches (server/services/devices.py).
    seen: SeenTokens = field(default_factory=SeenTokens)

    def __post_init__(self) -> None:
        self.kiosk_limiter = RateLimiter(self.settings.kiosk_issue_limit, 60.0)

    async def principal_for_token(self, token: str) -> Principal | None:
        """The holder of a live token (one read by primary key, then cached briefly), or None."""
        hashed = accounts.token_hash(token)
        now = time.monotonic()
        known, principal = self._principals.get(hashed, now)
        if not known:
            row = await self.engine.read(lambda conn: accounts.lookup_hash(conn, hashed, self.wall()))
            principal = Principal.from_token_row(row) if row else None
            self._principals.put(hashed, principal, now)
        if principal is not None and principal.kind == "device":
            self.seen.note(hashed, principal.hall, self.wall(), now)  # no write here: at most once a minute, later
        return principal

    def report_problem(self, hall: str, task: str, title: str) -> None:
        """Work the server does by itself failed for this hall: an alert on its dashboard, standing
        (since the first failure) until ``problem_solved``."""
        self.problems.setdefault(hall, {}).setdefault(task, (title, self.clock.now()))

    def problem_solved(self, hall: str, task: str) -> None:
        self.problems.get(hall, {}).pop(task, None)

    def forget_tokens(self, hashes: Iterable[str] = (), user_ids: Iterable[int] = ()) -> None:
        """Ended tokens, or every token of these users: asked of the database on their next use."""
        self._principals.forget(hashes, user_ids)

    def forget_everything(self) -> None:
        self._principals.clear()


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
            raise BadCredentials("令牌无效、已过期或已撤销", "unknown, expired or revoked token")
        return _password_chosen(conn, principal)
    signed_in = session_token(conn)
    if signed_in is None:
        return None
    if conn.scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS") and not _same_origin(conn):
        raise CsrfRejected("跨站请求被拒绝", "cross-site request refused")
    principal = await ctx(conn).principal_for_token(signed_in)  # None once it ended: the pages go to /login
    return _password_chosen(conn, principal) if principal is not None else None


def _password_chosen(conn: HTTPConnection, principal: Principal) -> Principal:
    """The principal, unless someone else chose their password and this is not the way to change it
    (a device never has the flag: ticket issuing only reads one attribute more)."""
    if principal.must_change_password and conn.scope.get("path") not in PASSWORD_CHANGE_PATHS:
        raise Forbidden.coded("password_change_required",
                              "请先修改密码：管理人员设置的临时密码须改为您自己的密码后才能继续使用 "
                              "(change the password an administrator set before going on)")
    return principal


def session_token(conn: HTTPConnection) -> str | None:
    """The sign-in token the session cookie holds, if any (a cookie of before holds none)."""
    session: dict[str, Any] = conn.scope.get("session") or {}
    token = session.get(SESSION_TOKEN)
    return token if isinstance(token, str) and token else None


def caller_token(conn: HTTPConnection) -> str | None:
    """The credential this request came with: its bearer token, else its session's."""
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return session_token(conn)


async def require_principal(conn: HTTPConnection) -> Principal:
    principal = await current_principal(conn)
    if principal is None:
        raise NotAuthenticated("请先登录或提供令牌", "sign in or send a bearer token")
    return principal


def forbid(message_zh: str, message_en: str) -> Forbidden:
    return Forbidden(message_zh, message_en)
