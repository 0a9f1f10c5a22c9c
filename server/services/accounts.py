"""Signing in, and changing a member of staff.

A sign-in is throttled per (username, client address) pair with growing delays, never per address
or per user alone (server/context.py ``login_limiter``), checked with Argon2 on a read connection
(it takes tens of milliseconds by design, and must never hold the SQLite write lock that issuing
tickets needs), and recorded in the audit trail, success and failure alike. Its token (the bearer
token and, for the pages, the session cookie's content) ends after ONEWINDOW_SESSION_HOURS.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from server.auth import Principal, hash_password, verify_password
from server.context import AppContext
from server.domain.errors import BadCredentials, Forbidden, InvalidInput, NotFound, RateLimited, UnknownHall
from server.store import accounts

from .audit import record
from .credentials import end_user_tokens


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
    pair = f"{username}\n{address}"
    try:
        context.login_limiter.check(pair, zh="登录失败次数过多，请 {s} 秒后再试",
                                    en="too many failed sign-ins; retry in {s} s", code="too_many_attempts")
    except RateLimited:
        hall = await context.engine.read(lambda conn: _hall_of(conn, username))
        await record(context, actor=username, kind="anonymous", action="auth.login.blocked", hall=hall,
                     status=429, detail={"address": address})
        raise
    context.login_limiter.fail(pair)  # counted before the answer: guesses sent at once cannot all slip past
    row = await context.engine.read(lambda conn: _verified_user(conn, username, password))
    if row is None:
        hall = await context.engine.read(lambda conn: _hall_of(conn, username))  # its manager sees it
        await record(context, actor=username, kind="anonymous", action="auth.login.failed", hall=hall,
                     status=401, detail={"address": address})
        raise BadCredentials.coded("bad_credentials", "用户名或密码错误 (wrong username or password)", "password")
    context.login_limiter.reset(pair)
    token = accounts.new_token()
    expires_at = context.wall() + timedelta(hours=context.settings.session_hours)
    await context.engine.write(lambda conn: accounts.add_token(conn, token, user_id=row.id, expires_at=expires_at))
    await record(context, actor=row.username, kind="user", role=row.role, hall=row.hall, action="auth.login",
                 status=200, detail={"address": address})
    user = {"username": row.username, "role": row.role, "hall": row.hall, "counter": row.counter,
            "display_name": row.display_name, "staff_no": row.staff_no}
    return SignedIn(token, row.id, user)


# ------------------------------------------------------------------ changing a member of staff
CHANGEABLE = ("active", "role", "hall", "counter", "department", "password")
NULLABLE = ("hall", "counter", "department")


async def change_user(context: AppContext, principal: Principal, username: str, changes: dict[str, Any]
                      ) -> dict[str, Any]:
    """Changes the given fields of a user: an admin anyone, a manager the staff of their own hall
    (never into an admin, nor into another hall). ``active: false`` and a new password end every
    token and session of the user at once; any other change reaches their tokens on the next request."""
    if not principal.is_manager:
        raise Forbidden("只有管理人员可以修改账号", "only a manager or an admin may change a user")
    row = await context.engine.read(lambda conn: accounts.find_user(conn, username))
    if row is None:
        raise NotFound.coded("unknown_user", f"没有账号 {username} (no user {username!r})", "username")
    # null clears a place (hall, counter, department); for the rest it means "unchanged"
    values = {k: v for k, v in changes.items() if k in CHANGEABLE and (v is not None or k in NULLABLE)}
    role, hall = values.get("role", row.role), values.get("hall", row.hall)
    _check_may_change(principal, row, role, hall)
    if role not in accounts.ROLES:
        raise InvalidInput(f"角色 {role} 无效", f"role must be one of {', '.join(accounts.ROLES)}", "role")
    if "hall" in values or "counter" in values:
        await _check_place(context, hall, values.get("counter", row.counter))
    if "password" in values:
        if len(values["password"]) < 8:
            raise InvalidInput("密码至少 8 个字符", "the password must have at least 8 characters", "password")
        values["password_hash"] = await asyncio.to_thread(hash_password, values.pop("password"))
    ends = values.get("active") is False or "password_hash" in values

    def apply(conn: Connection) -> Any:
        accounts.update_user(conn, row.id, **values)
        if ends:
            accounts.revoke_user_tokens(conn, row.id)
        return accounts.find_user(conn, username)

    changed = await context.engine.write(apply)
    await end_user_tokens(context, row.id)
    return {"username": changed.username, "role": changed.role, "hall": changed.hall, "counter": changed.counter,
            "department": changed.department, "active": changed.active, "display_name": changed.display_name}


def _check_may_change(principal: Principal, row: Any, role: str, hall: str | None) -> None:
    if principal.role == "admin":
        return
    if row.role == "admin" or role == "admin":
        raise Forbidden("只有系统管理员可以修改或任命系统管理员", "only an admin may change an admin or make one")
    if row.hall != principal.hall or hall != principal.hall:
        raise Forbidden("管理人员只能修改本大厅的账号", "a manager may change only the staff of their own hall")


async def _check_place(context: AppContext, hall: str | None, counter: int | None) -> None:
    """The hall exists, and so does the counter in it."""
    if hall is None:
        if counter is not None:
            raise InvalidInput("指定窗口须同时指定大厅", "a counter needs a hall", "counter")
        return
    try:
        known = await context.engine.hall(hall)
    except UnknownHall:
        raise InvalidInput(f"没有大厅 {hall}", f"no hall {hall!r}", "hall") from None
    if counter is not None and counter not in known.counters:
        raise InvalidInput(f"大厅 {hall} 没有 {counter} 号窗口", f"hall {hall} has no counter {counter}", "counter")
