"""Signing in.

A sign-in is limited per username and per client address (failed attempts), checked with Argon2 on
a read connection (it takes tens of milliseconds by design, and must never hold the SQLite write
lock that issuing tickets needs), and recorded in the audit trail, success and failure alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from server.auth import verify_password
from server.context import AppContext
from server.domain.errors import BadCredentials, RateLimited
from server.store import accounts

from .audit import record


@dataclass(frozen=True)
class SignedIn:
    token: str
    user_id: int
    user: dict[str, Any]  # {username, role, hall, counter, display_name, staff_no}


def _hall_of(conn: Connection, username: str) -> str | None:
    row = accounts.find_user(conn, username)
    return row.hall if row is not None else None


def _verified_user(conn: Connection, username: str, password: str) -> Any:
    row = accounts.find_user(conn, username)
    if not verify_password(row.password_hash if row else None, password) or row is None or not row.active:
        return None
    return row


async def sign_in(context: AppContext, username: str, password: str, address: str) -> SignedIn:
    """A bearer token for the user; RateLimited after too many failures, BadCredentials for a wrong
    password, an unknown or a disabled user alike."""
    keys = (f"user:{username}", f"addr:{address}")
    try:
        context.login_limiter.check(*keys, zh="登录失败次数过多，请 {s} 秒后再试",
                                    en="too many failed sign-ins; retry in {s} s", code="too_many_attempts")
    except RateLimited:
        hall = await context.engine.read(lambda conn: _hall_of(conn, username))
        await record(context, actor=username, kind="anonymous", action="auth.login.blocked", hall=hall,
                     status=429, detail={"address": address})
        raise
    row = await context.engine.read(lambda conn: _verified_user(conn, username, password))
    if row is None:
        for key in keys:
            context.login_limiter.hit(key)
        hall = await context.engine.read(lambda conn: _hall_of(conn, username))  # its manager sees it
        await record(context, actor=username, kind="anonymous", action="auth.login.failed", hall=hall,
                     status=401, detail={"address": address})
        raise BadCredentials.coded("bad_credentials", "用户名或密码错误 (wrong username or password)", "password")
    token = accounts.new_token()
    await context.engine.write(lambda conn: accounts.add_token(conn, token, user_id=row.id))
    context.login_limiter.reset(keys[0])
    await record(context, actor=row.username, kind="user", role=row.role, hall=row.hall, action="auth.login",
                 status=200, detail={"address": address})
    user = {"username": row.username, "role": row.role, "hall": row.hall, "counter": row.counter,
            "display_name": row.display_name, "staff_no": row.staff_no}
    return SignedIn(token, row.id, user)
