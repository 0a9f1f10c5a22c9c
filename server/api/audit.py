"""The audit trail (issue 9): every staff action, sign-in, token issued and setting changed.

``AuditTrail`` (an ASGI middleware, inside the session middleware) records each successful
non-GET ``/api/v1`` request made by a signed-in user or a device: who, in which role and hall,
the action named from the route (``counter.call-next``), its target from the path (``counter 3``),
the status and when. Request bodies are never stored: only the names of the fields sent and the
values of a few harmless ones (queue, counter, level…), so no ID number, phone or password lands
here. Sign-ins are recorded by server/services/accounts.py, tokens and users added by server/cli.py.

``GET /api/v1/audit`` searches it: managers their own hall, admins every hall (the rules, and
``record`` which appends an entry: server/services/audit.py).
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth import Principal
from server.context import AppContext, ctx, current_principal, require_principal
from server.services import audit

from .declare import PREFIX, Param, endpoint, whole
from .errors import JSONResponse

MAX_BODY = 16_384  # read no more of a body than this for the summary
VERBS = {"POST": "create", "PUT": "set", "PATCH": "update", "DELETE": "delete"}
# Body fields whose values may be kept (short, never personal); of any other field only its name.
SAFE_FIELDS = frozenset({
    "queue", "queues", "counter", "number", "ticket_number", "level", "reasons", "reason", "notice", "assignee",
    "close", "reached", "mode", "priority", "channel", "item", "status", "due_days", "enabled", "kind", "minutes",
    "target_minutes", "to_queue", "from_queue", "year", "source", "paused", "limit", "active", "role",
})
SKIP_PATHS = (f"{PREFIX}/auth/login",)  # recorded by the sign-in itself, success and failure
PRIVATE_PARAMS = frozenset({"status_token", "token"})  # capabilities: never stored


def _singular(word: str) -> str:
    """cases → case, followups → followup, addresses → address, categories → category."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def describe(template: str, method: str, params: dict[str, Any]) -> tuple[str, str | None, str]:
    """(action, target, path) for a route template such as
    ``/api/v1/halls/{hall}/counters/{number}/call-next`` → (``counter.call-next``, ``counter 3``,
    the path with the hall filled in and any status token masked)."""
    parts = [p for p in template.removeprefix(PREFIX).split("/") if p]
    if len(parts) >= 2 and parts[0] == "halls" and parts[1] == "{hall}":
        parts = parts[2:] or ["hall"]
    words: list[str] = []
    targets: list[str] = []
    for i, part in enumerate(parts):
        if part.startswith("{"):
            name = part[1:-1].split(":")[0]
            noun = _singular(parts[i - 1]) if i > 0 and not parts[i - 1].startswith("{") else name
            if name not in PRIVATE_PARAMS and name in params:
                targets.append(f"{noun} {params[name]}")
            continue
        nxt = parts[i + 1] if i + 1 < len(parts) else ""
        words.append(_singular(part) if nxt.startswith("{") or (len(parts) == 1 and method == "POST") else part)
    if not parts or parts[-1].startswith("{") or len(words) == 1:
        words.append(VERBS.get(method, method.lower()))
    path = template
    for name, value in params.items():
        path = path.replace("{" + name + "}", "…" if name in PRIVATE_PARAMS else str(value))
    return ".".join(words), " · ".join(targets) or None, path


def summarize(raw: bytes) -> dict[str, Any]:
    """The names of the fields sent, and the values of the harmless ones, cut short."""
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {"fields": sorted(str(k)[:40] for k in data)[:20]}
    for key, value in data.items():
        if key not in SAFE_FIELDS:
            continue
        if isinstance(value, bool | int | float) or value is None:
            out[key] = value
        elif isinstance(value, str):
            out[key] = value[:60]
        elif isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            out[key] = [v[:20] if isinstance(v, str) else v for v in value[:8]]
    return out


class AuditTrail:
    """Records each successful non-GET /api/v1 request by a signed-in member of staff. Devices are
    left out: a visitor taking a number at a kiosk is not a staff action, and a row per ticket
    would compete with the tickets themselves for the database."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS")
                or not scope["path"].startswith(PREFIX + "/") or scope["path"].startswith(SKIP_PATHS)):
            await self.app(scope, receive, send)
            return
        principal: Principal | None = None
        with contextlib.suppress(Exception):  # bad credentials: the route answers 401, nothing to record
            principal = await current_principal(HTTPConnection(scope))
        if principal is None or principal.kind != "user":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        status = 0

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < MAX_BODY:
                body.extend(message.get("body", b"")[: MAX_BODY - len(body)])
            return message

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive_and_keep, send_and_note)
        if not 200 <= status < 400:
            return
        with contextlib.suppress(Exception):
            await self._record(scope, principal, status, bytes(body))

    @staticmethod
    async def _record(scope: Scope, principal: Principal, status: int, body: bytes) -> None:
        context: AppContext = scope["state"]["ctx"]
        route = scope.get("route")
        params = {k: v for k, v in (scope.get("path_params") or {}).items()}
        template = getattr(route, "path", None) or scope["path"]
        action, target, path = describe(template, scope["method"], params)
        action = scope["state"].get("audit_action") or action  # a route may name it better (user.disable)
        hall = params.get("hall") or principal.hall
        detail = summarize(body) if len(body) < MAX_BODY else {"fields": ["…"]}
        detail.update(scope["state"].get("audit_detail") or {})  # what a route says changed (before, after)
        await audit.record(context, actor=principal.name, kind=principal.kind, role=principal.role, hall=hall,
                           action=action, method=scope["method"], path=path, target=target, status=status,
                           detail=detail)


# ------------------------------------------------------------------ search
@endpoint("GET", "/audit", "The audit trail, newest first: ?hall=&actor=&action=&from=&to=&q=&limit= "
          "(managers: their hall; admins: all)", tag="manage",
          responses={200: "{entries: [...]}", 403: "not a manager or admin, or another hall"},
          query={"hall": Param("a hall's code (admins; managers: their own)"), "actor": Param("a username"),
                 "action": Param("an action or its first part, e.g. counter"),
                 "from": Param("a date YYYY-MM-DD (the whole day, China time) or an ISO date-time"),
                 "to": Param("a date YYYY-MM-DD (the whole day, China time) or an ISO date-time"),
                 "q": Param("text in the actor, action, target or summary"),
                 "limit": whole("entries, newest first (100)", 1, 1000)})
async def search_audit(request: Request) -> Response:
    """``action`` matches a name or its first part (``counter`` finds ``counter.call-next``); ``from``
    and ``to`` take a date (whole days, China time) or a date-time; ``q`` finds text in the actor,
    action, target or summary; ``limit`` up to 1000 (100)."""
    principal = await require_principal(request)
    query = request.query_params
    entries = await audit.search(ctx(request), principal, hall=query.get("hall"), actor=query.get("actor"),
                                 action=query.get("action"), start=query.get("from"), end=query.get("to"),
                                 q=query.get("q"), limit=query.get("limit"))
    return JSONResponse({"entries": entries})


ROUTES = [search_audit]
