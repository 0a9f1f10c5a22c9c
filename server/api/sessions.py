"""The staff session cookie, kept out of the way of bearer-token requests, and Secure behind HTTPS.

The cookie holds the sign-in's token (server/api/system.py), which the server can end like any
token: the signature only keeps the cookie's shape honest; what makes it valid is the live row.

Starlette's SessionMiddleware parses the cookies and wraps the response of every request; kiosks,
device agents and other API clients send a bearer token and never a cookie, so for them it is pure
cost (about a tenth of a ticket's time on the event loop, profiled). They get an empty session
that nothing reads and no cookie back.

A request that came over HTTPS gets the cookie marked ``Secure``, so a browser never sends it over
plain HTTP. Behind a reverse proxy that ends TLS, uvicorn takes the scheme from X-Forwarded-Proto
(``onewindow serve`` runs it with proxy headers) when the proxy's address is trusted: 127.0.0.1 by
default, others by FORWARDED_ALLOW_IPS."""

from __future__ import annotations

from starlette.middleware.sessions import Session, SessionMiddleware
from starlette.types import Message, Receive, Scope, Send


class StaffSessions(SessionMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _bearer_without_cookie(scope):
            scope["session"] = Session()
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("scheme") == "https":
            send = _secure_cookie(send, f"{self.session_cookie}=".encode())
        await super().__call__(scope, receive, send)


def _bearer_without_cookie(scope: Scope) -> bool:
    bearer = False
    for name, _ in scope["headers"]:
        if name == b"cookie":
            return False
        bearer = bearer or name == b"authorization"
    return bearer


def _secure_cookie(send: Send, prefix: bytes) -> Send:
    """``send``, adding ``Secure`` to the session's Set-Cookie header (whose other flags it keeps)."""

    async def send_secure(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                (k, v + b"; secure" if k == b"set-cookie" and v.startswith(prefix) and b"; secure" not in v else v)
                for k, v in message.get("headers", [])]
        await send(message)

    return send_secure
