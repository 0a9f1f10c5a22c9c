"""Sign-in, health and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server import __version__, metrics, params
from server.context import SESSION_TOKEN, caller_token, ctx, require_principal
from server.domain.errors import BadCredentials, NotFound
from server.services import accounts, credentials, health

from .declare import endpoint
from .errors import RETRY_AFTER_S, JSONResponse
from .openapi import openapi
from .schemas import Login


@endpoint("POST", "/auth/login", "Sign in: a bearer token and a session cookie", body=Login, auth=False,
          tag="auth", responses={200: "token and user", 401: "wrong username or password",
                                 429: "too many failed attempts"})
async def login(request: Request, body: Login) -> Response:
    address = request.client.host if request.client else "?"
    signed_in = await accounts.sign_in(ctx(request), body.username, body.password, address)
    # The pages' session is this same sign-in: the cookie holds its token, which the server can end.
    request.session.clear()
    request.session[SESSION_TOKEN] = signed_in.token
    return JSONResponse({"token": signed_in.token, "user": signed_in.user})


@endpoint("POST", "/auth/logout", "Sign out: ends the caller's own token or session on the server", tag="auth",
          responses={200: "ended; that token or cookie answers 401 from now on", 401: "no live token or session"})
async def logout(request: Request) -> Response:
    token = caller_token(request)
    try:
        await require_principal(request)
    finally:
        request.session.clear()  # the browser's copy goes too, even of a session that had ended
    if token is not None:
        await credentials.sign_out(ctx(request), token)
    return JSONResponse({"ok": True})


@endpoint("GET", "/me", "Who the credentials belong to", tag="auth",
          responses={200: "{username, role, hall, counter, department, kind, name, display_name, "
                          "must_change_password}", 401: "no live token or session"})
async def me(request: Request) -> Response:
    p = await require_principal(request)
    return JSONResponse({"username": p.name if p.kind == "user" else None, "role": p.role, "hall": p.hall,
                         "counter": p.counter, "department": p.department, "kind": p.kind, "name": p.name,
                         "display_name": p.display_name, "must_change_password": p.must_change_password})


@endpoint("GET", "/healthz", "200 while the database (reads and writes) and the bus answer, else 503 naming the cause",
          auth=False, tag="system", prefix="",
          responses={200: "ok", 503: "database or bus unreachable, or writes failing"})
async def healthz(request: Request) -> Response:
    context = ctx(request)
    causes = await health.failing(context)
    if causes:
        return JSONResponse({"status": "unavailable", "failing": sorted(causes), "causes": causes}, status_code=503,
                            headers={"Retry-After": RETRY_AFTER_S})
    return JSONResponse({"status": "ok", "connections": context.hub.connections(),
                         "sends": context.hub.sends.as_dict()})


@endpoint("GET", "/metrics", "Prometheus metrics (docs/operations.md); Authorization: Bearer ONEWINDOW_METRICS_TOKEN",
          auth=False, tag="system", prefix="",
          responses={200: "the text exposition format", 401: "no or wrong metrics token",
                     404: "metrics are off (ONEWINDOW_METRICS_TOKEN unset)"})
async def metrics_text(request: Request) -> Response:
    context = ctx(request)
    expected = context.settings.metrics_token
    if expected is None:
        raise NotFound.coded("metrics_off", "监控指标未开启，请设置 ONEWINDOW_METRICS_TOKEN "
                                            "(metrics are off: set ONEWINDOW_METRICS_TOKEN)")
    given = request.headers.get("authorization", "")
    if not params.same_secret(given.removeprefix("Bearer ").strip() if given.startswith("Bearer ") else "", expected):
        raise BadCredentials("监控指标需要正确的令牌", "a bearer token equal to ONEWINDOW_METRICS_TOKEN is required")
    body = metrics.exposition(await health.waiting(context))
    return Response(body, media_type=metrics.CONTENT_TYPE)


@endpoint("GET", "/openapi.json", "This document", auth=False, tag="system", prefix="")
async def openapi_json(request: Request) -> Response:
    routes = [r for r in request.app.routes]
    return JSONResponse(openapi(routes, "OneWindow 一窗 API", __version__))


ROUTES = [login, logout, me, healthz, metrics_text, openapi_json]
