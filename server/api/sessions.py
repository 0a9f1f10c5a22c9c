"""The staff session cookie, kept out of the way of bearer-token requests.

Starlette's SessionMiddleware parses the cookies and wraps the response of every request; kiosks,
device agents and other API clients send a bearer token and never a cookie, so for them it is pure
cost (about a tenth of a ticket's time on the event loop, profiled). They get an empty session
that nothing reads and no cookie back."""

from __future__ import annotations

from starlette.middleware.sessions import Session, SessionMiddleware
from starlette.types import Receive, Scope, Send


class StaffSessions(SessionMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _bearer_without_cookie(scope):
            scope["session"] = Session()
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _bearer_without_cookie(scope: Scope) -> bool:
    bearer = False
    for name, _ in scope["headers"]:
        if name == b"cookie":
            return False
        bearer = bearer or name == b"authorization"
    return bearer
