"""Sign-in, health and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from server import __version__
from server.auth import verify_password
from server.context import ctx, require_principal
from server.domain.errors import BadCredentials, RateLimited
from server.engine import WRITES, StorageError
from server.store import accounts
from server.store.health import probe_write

from . import audit
from .declare import endpoint, openapi
from .errors import RETRY_AFTER_S, JSONResponse
from .schemas import Login


@endpoint("POST", "/auth/login", "Sign in: a bearer token and a session cookie", body=Login, auth=False,
          tag="auth", responses={200: "token and user", 401: "wrong username or password",
                                 429: "too many failed attempts"})
async def login(request: Request, body: Login) -> Response:
    context = ctx(request)
    address = request.client.host if request.client else "?"
    keys = (f"user:{body.username}", f"addr:{address}")
    try:
        context.login_limiter.check(*keys, zh="登录失败次数过多，请 {s} 秒后再试",
                                    en="too many failed sign-ins; retry in {s} s", code="too_many_attempts")
    except RateLimited:
        hall = await context.engine.read(lambda conn: _hall_of(conn, body.username))
        await audit.record(context, actor=body.username, kind="anonymous", action="auth.login.blocked", hall=hall,
                           status=429, detail={"address": address})
        raise

    # Argon2 takes tens of milliseconds by design: verify on a read connection, and write only the
    # token, so that a sign-in never holds the (SQLite) write lock that issuing tickets needs.
    row = await context.engine.read(lambda conn: _verified_user(conn, body.username, body.password))
    if row is None:
        for key in keys:
            context.login_limiter.hit(key)
        hall = await context.engine.read(lambda conn: _hall_of(conn, body.username))  # its manager sees it
        await audit.record(context, actor=body.username, kind="anonymous", action="auth.login.failed", hall=hall,
                           status=401, detail={"address": address})
        raise BadCredentials.coded("bad_credentials", "用户名或密码错误 (wrong username or password)", "password")
    token = accounts.new_token()
    await context.engine.write(lambda conn: accounts.add_token(conn, token, user_id=row.id))
    context.login_limiter.reset(keys[0])
    request.session["uid"] = row.id
    await audit.record(context, actor=row.username, kind="user", role=row.role, hall=row.hall, action="auth.login",
                       status=200, detail={"address": address})
    user = {"username": row.username, "role": row.role, "hall": row.hall, "counter": row.counter,
            "display_name": row.display_name, "staff_no": row.staff_no}
    return JSONResponse({"token": token, "user": user})


def _hall_of(conn: Connection, username: str) -> str | None:
    row = accounts.find_user(conn, username)
    return row.hall if row is not None else None


def _verified_user(conn: Connection, username: str, password: str) -> Any:
    row = accounts.find_user(conn, username)
    if not verify_password(row.password_hash if row else None, password) or row is None or not row.active:
        return None
    return row


@endpoint("POST", "/auth/logout", "Sign out of the pages (clears the session cookie)", tag="auth", auth=False)
async def logout(request: Request) -> Response:
    request.session.clear()
    return JSONResponse({"ok": True})


@endpoint("GET", "/me", "Who the credentials belong to", tag="auth")
async def me(request: Request) -> Response:
    p = await require_principal(request)
    return JSONResponse({"kind": p.kind, "role": p.role, "name": p.name, "hall": p.hall, "counter": p.counter})


@endpoint("GET", "/healthz", "200 while the database (reads and writes) and the bus answer, else 503 naming the cause",
          auth=False, tag="system", prefix="",
          responses={200: "ok", 503: "database or bus unreachable, or writes failing"})
async def healthz(request: Request) -> Response:
    context = ctx(request)
    engine = context.engine
    causes: dict[str, str] = {}
    try:
        await engine.read(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
    except StorageError as exc:
        causes["database"] = str(exc)
    if "database" not in causes and engine.storage.failing_for(WRITES):
        # Reads answer on a full disk: while the hall's writes fail, try one, so that a load
        # balancer stops sending traffic here, and sees this process come back once it can write.
        now = context.clock.now()
        try:
            await engine.write(lambda conn: probe_write(conn, now))
        except StorageError as exc:
            causes["database"] = f"writes failing: {exc}"
    try:
        if not await context.bus.healthy():
            causes["bus"] = "the event bus does not answer"
    except Exception as exc:
        causes["bus"] = f"the event bus does not answer ({type(exc).__name__})"
    if causes:
        return JSONResponse({"status": "unavailable", "failing": sorted(causes), "causes": causes}, status_code=503,
                            headers={"Retry-After": RETRY_AFTER_S})
    return JSONResponse({"status": "ok", "connections": context.hub.connections(),
                         "sends": context.hub.sends.as_dict()})


@endpoint("GET", "/openapi.json", "This document", auth=False, tag="system", prefix="")
async def openapi_json(request: Request) -> Response:
    routes = [r for r in request.app.routes]
    return JSONResponse(openapi(routes, "OneWindow 一窗 API", __version__))


ROUTES = [login, logout, me, healthz, openapi_json]
