"""Sign-in, health and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server import __version__
from server.context import ctx, require_principal
from server.services import accounts, health

from .declare import endpoint, openapi
from .errors import RETRY_AFTER_S, JSONResponse
from .schemas import Login


@endpoint("POST", "/auth/login", "Sign in: a bearer token and a session cookie", body=Login, auth=False,
          tag="auth", responses={200: "token and user", 401: "wrong username or password",
                                 429: "too many failed attempts"})
async def login(request: Request, body: Login) -> Response:
    address = request.client.host if request.client else "?"
    signed_in = await accounts.sign_in(ctx(request), body.username, body.password, address)
    request.session["uid"] = signed_in.user_id  # the pages' session cookie
    return JSONResponse({"token": signed_in.token, "user": signed_in.user})


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
    causes = await health.failing(context)
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
