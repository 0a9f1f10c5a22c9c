"""Messages to departments as the rooms above need them: each department's webhook (where its own system
receives them, set by the hall's managers) and the list of what a department was told (its workbench
and the managers). Sending is server/jobs/department_notify.py's; live, each new message is also
published on the department's bus channel (server/channels.py ``department_channel``) as
``{"type": "department.notice", "notice": …}`` (``notice_view``) for its open workbench.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

from server import params
from server.auth import Principal
from server.context import AppContext, forbid
from server.domain.errors import InvalidInput, NotFound
from server.domain.hall import Hall
from server.domain.views import iso
from server.store import catalog as catalog_store
from server.store import department_notices as store
from server.store.repo import utc

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
URL_MAX = 500
SECRET_MIN, SECRET_MAX = 16, 200


def notice_view(row: dict[str, Any], hall: Hall) -> dict[str, Any]:
    """One message as the workbench and the managers see it (times in the hall's zone)."""
    payload = dict(row.get("payload") or {})
    return {"id": row["id"], "kind": row["kind"], "department": row["department"], "text": row["text"],
            "receipt_no": payload.get("receipt_no"), "ref": row["ref"], "payload": payload,
            "status": row["status"], "attempts": row["attempts"], "created_at": iso(utc(row["created_at"]), hall),
            "sent_at": iso(utc(row["sent_at"]), hall) if row["sent_at"] else None, "error": row["error"]}


async def recent_notices(context: AppContext, hall: str, department: str, limit: int = DEFAULT_LIMIT
                         ) -> list[dict[str, Any]]:
    """A department's messages, newest first, for whoever already checked the caller (the workbench)."""
    state = await context.engine.hall(hall)
    rows = await context.engine.read(lambda conn: store.recent(conn, hall, department, max(1, min(limit, MAX_LIMIT))))
    return [notice_view(row, state) for row in rows]


def may_read(principal: Principal, hall: str, department: str) -> None:
    """The department's own accounts of this hall, and the hall's managers."""
    own = principal.kind == "user" and principal.role == "department" and principal.department == department \
        and principal.in_hall(hall)
    if not own and not principal.manages(hall):
        raise forbid("只能查看本部门的消息", "only the department itself and the hall's managers")


async def for_department(context: AppContext, principal: Principal, hall: str, department: str,
                         limit: str | None = None) -> list[dict[str, Any]]:
    """``GET …/departments/{code}/notifications``: ``limit`` (as sent) 1–500, 50 if absent."""
    await context.engine.hall(hall)  # UnknownHall first
    may_read(principal, hall, department)
    count = params.query_number(limit, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)
    await _department(context, hall, department)
    return await recent_notices(context, hall, department, count)


# ---------------------------------------------------------------- webhooks
@dataclass(frozen=True)
class WebhookChange:
    """The webhook after a change (``secret`` only when the server chose it: shown this once), and
    before and after as the audit trail reads them."""

    view: dict[str, Any] | None
    created: bool
    said: dict[str, list[str]]


def _manager(principal: Principal, hall: str) -> None:
    if not principal.manages(hall):
        raise forbid("只有本大厅的管理人员可以设置部门的消息推送",
                     "only the hall's managers set a department's webhook")


async def _department(context: AppContext, hall: str, code: str) -> dict[str, Any]:
    found = await context.engine.read(lambda conn: catalog_store.department(conn, hall, code))
    if found is None:
        raise NotFound.coded("unknown_department", f"本大厅没有部门 {code[:32]} (no department {code[:32]!r})", "code")
    return found


def checked_url(raw: str) -> str:
    """An http(s) address with a host and neither credentials nor a fragment; refusals name ``url``."""
    url = raw.strip()
    try:
        parts = urlsplit(url)
        good = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0 \
            and not (parts.username or parts.password or parts.fragment)
    except ValueError:  # a port that is no number, a bad IPv6 address
        good = False
    if not good or len(url) > URL_MAX or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidInput(f"字段 url 无效：须为 http:// 或 https:// 开头的完整地址（不超过 {URL_MAX} 字符，"
                           "不含用户名、密码和 #）", "url must be an http(s) address without credentials", "url")
    return url


def checked_secret(raw: str | None) -> str | None:
    if raw is None:
        return None
    secret = raw.strip()
    if not SECRET_MIN <= len(secret) <= SECRET_MAX or not secret.isprintable():
        raise InvalidInput(f"字段 secret 无效：签名密钥须为 {SECRET_MIN} 至 {SECRET_MAX} 个可见字符",
                           f"secret must be {SECRET_MIN} to {SECRET_MAX} printable characters", "secret")
    return secret


def _where(url: str | None) -> str:
    """The address as the audit trail keeps it: scheme and host only (a path may carry a token)."""
    if not url:
        return "无"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def _view(hall: Hall, department: dict[str, Any], hook: dict[str, Any]) -> dict[str, Any]:
    return {"department": department["code"], "department_name": department["name"], "url": hook["url"],
            "has_secret": bool(hook["secret"]), "updated_at": iso(hook["updated_at"], hall),
            "updated_by": hook["updated_by"]}


async def webhook_of(context: AppContext, principal: Principal, hall: str, code: str) -> dict[str, Any]:
    """The department's webhook without its secret; 404 when it has none."""
    state = await context.engine.hall(hall)
    _manager(principal, hall)
    department = await _department(context, hall, code)
    hook = await context.engine.read(lambda conn: store.webhook(conn, hall, code))
    if hook is None:
        raise NotFound.coded("no_webhook", f"{department['name']}尚未设置消息推送地址 (no webhook)", "code")
    return _view(state, department, hook)


async def set_webhook(context: AppContext, principal: Principal, hall: str, code: str, url: str,
                      secret: str | None = None) -> WebhookChange:
    """Sets where the department's messages go. Without ``secret`` the one set before is kept, or the
    server chooses one and answers it this once."""
    state = await context.engine.hall(hall)
    _manager(principal, hall)
    url, given = checked_url(url), checked_secret(secret)
    department = await _department(context, hall, code)
    chosen = context.new_token(24)
    now = context.clock.now().astimezone(UTC)

    def write(conn: Any) -> tuple[dict[str, Any] | None, str, bool]:
        before = store.webhook(conn, hall, code)
        key = given or (before["secret"] if before else chosen)
        created = store.put_webhook(conn, hall, code, url, key, principal.name, now)
        return before, key, created

    before, key, created = await context.engine.write(write)
    view = _view(state, department, {"url": url, "secret": key, "updated_at": now, "updated_by": principal.name})
    if given is None and before is None:
        view["secret"] = key
    changes = [f"{department['name']}的消息推送地址：{_where(before['url'] if before else None)} → {_where(url)}"]
    if given is not None or before is None:
        changes.append("签名密钥已更换" if before else "已设置签名密钥")
    return WebhookChange(view, created, {"changes": changes})


async def drop_webhook(context: AppContext, principal: Principal, hall: str, code: str) -> WebhookChange:
    """The department reads its messages on its workbench only from now on."""
    await context.engine.hall(hall)
    _manager(principal, hall)
    department = await _department(context, hall, code)
    before = await context.engine.read(lambda conn: store.webhook(conn, hall, code))
    if before is None or not await context.engine.write(lambda conn: store.delete_webhook(conn, hall, code)):
        raise NotFound.coded("no_webhook", f"{department['name']}尚未设置消息推送地址 (no webhook)", "code")
    said = f"{department['name']}的消息推送地址：{_where(before['url'])} → 无"
    return WebhookChange(None, False, {"changes": [said]})
