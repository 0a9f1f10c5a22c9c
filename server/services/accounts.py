"""Signing in; adding, changing and listing staff; changing one's own password.

A sign-in is throttled per (username, client address) pair with growing delays, never per address
or per user alone (server/context.py ``login_limiter``), checked with Argon2 on a read connection
(it takes tens of milliseconds by design, and must never hold the SQLite write lock that issuing
tickets needs), and recorded in the audit trail, success and failure alike. Its token (the bearer
token and, for the pages, the session cookie's content) ends after ONEWINDOW_SESSION_HOURS.

Who may do what to an account: an admin anything; a manager the staff of their own hall, never an
admin nor into another hall. A password someone else chose (a new account, a reset) must be changed
by its user at the next sign-in (server/context.py refuses everything else meanwhile); every
password set here passes server/domain/passwords.py. A department account has exactly one
department, a code of its hall's departments (server/store/catalog.py); other roles have none.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from server.auth import Principal, hash_password, verify_password
from server.context import AppContext
from server.domain import passwords
from server.domain.audit_text import ROLES as ROLE_WORDS
from server.domain.errors import (
    BadCredentials,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    UnknownHall,
)
from server.store import accounts, catalog

from .audit import record
from .credentials import end_user_tokens


@dataclass(frozen=True)
class SignedIn:
    token: str
    user_id: int
    user: dict[str, Any]  # {username, role, hall, counter, display_name, staff_no, must_change_password}


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
            "display_name": row.display_name, "staff_no": row.staff_no,
            "must_change_password": bool(row.must_change_password)}
    return SignedIn(token, row.id, user)


# ------------------------------------------------------------------ staff
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
CHANGEABLE = ("active", "role", "hall", "counter", "department", "password", "display_name", "staff_no")
NULLABLE = ("hall", "counter", "department", "display_name", "staff_no")
LIMITED = {"too_many_attempts": ("原密码错误次数过多，请 {s} 秒后再试", "too many wrong passwords; retry in {s} s")}


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    role: str
    hall: str | None = None  # a manager's own when not given
    counter: int | None = None
    department: str | None = None  # a department's code, for role department
    display_name: str | None = None  # 林晓燕, as the counter's sign and the lists show
    staff_no: str | None = None  # 工号


@dataclass(frozen=True)
class StaffChange:
    """What an account was and is (never its password), and the audit trail's name for the change."""

    action: str  # user.create, user.update, user.reset-password, user.disable, user.enable, auth.password
    before: dict[str, Any] | None
    after: dict[str, Any]
    ended: int = 0  # sessions and tokens ended by it

    def said(self) -> dict[str, str]:
        """Before and after as the audit trail's sentence reads them."""
        if self.action == "auth.password":
            was = "管理人员设置的临时密码" if self.before and self.before["must_change_password"] else "原密码"
            return {"before": was, "after": f"本人设置的新密码，其他 {self.ended} 个登录已结束"}
        return {"before": said(self.before), "after": said(self.after)}


def said(user: dict[str, Any] | None) -> str:
    """An account in a line: clerk13 林小雨（工号 JA013），窗口人员，jinan，1号窗口，启用."""
    if user is None:
        return "无"
    who = user["username"] + (f" {user['display_name']}" if user.get("display_name") else "")
    if user.get("staff_no"):
        who += f"（工号 {user['staff_no']}）"
    parts = [who, ROLE_WORDS.get(user["role"], user["role"])]
    if user.get("hall"):
        parts.append(f"大厅 {user['hall']}")
    if user.get("counter") is not None:
        parts.append(f"{user['counter']}号窗口")
    if user.get("department"):
        parts.append(f"部门 {user['department']}")
    parts.append("启用" if user["active"] else "停用")
    if user.get("must_change_password"):
        parts.append("须修改密码")
    return "，".join(parts)


async def hall_users(context: AppContext, principal: Principal, hall: str) -> list[dict[str, Any]]:
    """The hall's staff (a manager of the hall, or an admin): roles, places, states; never a secret."""
    if not principal.manages(hall):
        raise Forbidden("只有本大厅的管理人员可以查看人员", "only a manager of this hall may list its staff")
    await context.engine.hall(hall)  # UnknownHall: a 404
    return await context.engine.read(lambda conn: accounts.hall_users(conn, hall))


async def create_user(context: AppContext, principal: Principal, new: NewUser) -> StaffChange:
    """A new account whose user must choose their own password at the first sign-in."""
    if not principal.is_manager:
        raise Forbidden("只有管理人员可以添加账号", "only a manager or an admin may add a user")
    if not USERNAME.fullmatch(new.username):
        raise InvalidInput("用户名须为 2 至 64 个小写字母、数字或 . _ -，以字母或数字开头，例如 clerk13",
                           "a username is 2 to 64 lower-case letters, digits, dots, underscores or hyphens",
                           "username")
    _check_role(new.role)
    hall = new.hall if new.hall is not None or principal.role == "admin" else principal.hall
    if hall is None and new.role != "admin":
        raise InvalidInput("除系统管理员外，账号须属于一个大厅", "a user other than an admin belongs to a hall", "hall")
    _check_may_change(principal, None, new.role, hall)
    await _check_place(context, hall, new.counter)
    if new.role != "department" and new.department:
        raise InvalidInput("只有部门账号可以指定部门", "only a department account has a department", "department")
    if new.role == "department" and new.counter is not None:
        raise InvalidInput("部门账号不属于窗口，请不要指定窗口", "a department account has no counter", "counter")
    department = await _check_department(context, hall, new.department) if new.role == "department" else None
    passwords.check(new.password, (new.username, new.display_name, new.staff_no, hall))
    password_hash = await asyncio.to_thread(hash_password, new.password)
    values = {"password_hash": password_hash, "role": new.role, "hall": hall, "counter": new.counter,
              "department": department, "display_name": new.display_name, "staff_no": new.staff_no,
              "active": True, "must_change_password": True}

    def insert(conn: Connection) -> Any:
        created = accounts.create_user(conn, new.username, **values)
        return accounts.user_by_id(conn, created) if created is not None else None

    row = await context.engine.write(insert)
    if row is None:
        raise Conflict.coded("user_exists", f"用户名 {new.username} 已被使用，请换一个 "
                                            f"(the username {new.username} is taken)", "username")
    return StaffChange("user.create", None, accounts.staff_view(row))


async def change_user(context: AppContext, principal: Principal, username: str, changes: dict[str, Any]
                      ) -> StaffChange:
    """Changes the given fields of a user (who may: the module's docstring). ``active: false`` and a
    new password end every token and session of the user at once; a password set for someone else
    must be changed by them at their next sign-in; any other change reaches their tokens on the next
    request."""
    if not principal.is_manager:
        raise Forbidden("只有管理人员可以修改账号", "only a manager or an admin may change a user")
    row = await context.engine.read(lambda conn: accounts.find_user(conn, username))
    if row is None:
        raise NotFound.coded("unknown_user", f"没有账号 {username} (no user {username!r})", "username")
    # null clears a place (hall, counter, department); for the rest it means "unchanged"
    values = {k: v for k, v in changes.items() if k in CHANGEABLE and (v is not None or k in NULLABLE)}
    role, hall = values.get("role", row.role), values.get("hall", row.hall)
    _check_may_change(principal, row, role, hall)
    _check_role(role)
    if values.get("active") is False and row.id == principal.user_id:
        raise Conflict.coded("own_account", "不能停用自己的账号 (you cannot disable your own account)", "active")
    if "hall" in values or "counter" in values:
        await _check_place(context, hall, values.get("counter", row.counter))
    await _place_department(context, row, role, hall, values)
    reset = "password" in values
    if reset:
        passwords.check(values["password"], (row.username, row.display_name, row.staff_no, hall))
        values["password_hash"] = await asyncio.to_thread(hash_password, values.pop("password"))
        values["must_change_password"] = row.id != principal.user_id  # one's own needs no second change
    ends = values.get("active") is False or reset

    def apply(conn: Connection) -> tuple[Any, int]:
        accounts.update_user(conn, row.id, **values)
        ended = accounts.revoke_user_tokens(conn, row.id) if ends else 0
        return accounts.find_user(conn, username), ended

    changed, ended = await context.engine.write(apply)
    await end_user_tokens(context, row.id)
    before, after = accounts.staff_view(row), accounts.staff_view(changed)
    return StaffChange(_action(before, after, reset), before, after, ended)


def _action(before: dict[str, Any], after: dict[str, Any], reset: bool) -> str:
    if reset:
        return "user.reset-password"
    if before["active"] != after["active"]:
        return "user.enable" if after["active"] else "user.disable"
    return "user.update"


def _check_role(role: str) -> None:
    if role not in accounts.ROLES:
        raise InvalidInput(f"角色 {role} 无效，可选：窗口人员 clerk、导办 guide、管理人员 manager、系统管理员 admin、"
                           f"部门 department", f"role must be one of {', '.join(accounts.ROLES)}", "role")


def _check_may_change(principal: Principal, row: Any, role: str, hall: str | None) -> None:
    """``row`` None: a new account."""
    if principal.role == "admin":
        return
    if (row is not None and row.role == "admin") or role == "admin":
        raise Forbidden("只有系统管理员可以添加、修改或任命系统管理员",
                        "only an admin may add, change or make an admin")
    if (row is not None and row.hall != principal.hall) or hall != principal.hall:
        raise Forbidden("管理人员只能管理本大厅的账号", "a manager may manage only the staff of their own hall")


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


async def _place_department(context: AppContext, row: Any, role: str, hall: str | None,
                            values: dict[str, Any]) -> None:
    """A department account keeps exactly one department of its hall (checked when the role, the
    hall or the department changes) and sits at no counter; another role has no department."""
    if role != "department":
        if values.get("department"):
            raise InvalidInput("只有部门账号可以指定部门", "only a department account has a department", "department")
        if row.department is not None:
            values["department"] = None
        return
    if values.get("counter") is not None:
        raise InvalidInput("部门账号不属于窗口，请不要指定窗口", "a department account has no counter", "counter")
    if row.counter is not None:
        values["counter"] = None
    if "department" in values or role != row.role or hall != row.hall:
        values["department"] = await _check_department(context, hall, values.get("department", row.department))


async def _check_department(context: AppContext, hall: str | None, code: str | None) -> str:
    """``code`` when it names a department of the hall that is not retired."""
    if not code:
        raise InvalidInput("部门账号须指定所属部门（本大厅部门的编码）",
                           "a department account needs its department's code", "department")
    if hall is None:
        raise InvalidInput("部门账号须属于一个大厅", "a department account belongs to a hall", "hall")
    found = await context.engine.read(lambda conn: catalog.department(conn, hall, code))
    if found is None:
        raise InvalidInput(f"大厅 {hall} 没有编码为 {code} 的部门，请先在“部门”中添加",
                           f"hall {hall} has no department {code!r}", "department")
    if not found["active"]:
        raise InvalidInput(f"部门 {found['name']} 已停用", f"department {code} is retired", "department")
    return code


# ------------------------------------------------------------------ one's own password
async def change_own_password(context: AppContext, principal: Principal, token: str, old_password: str,
                              new_password: str, address: str) -> StaffChange:
    """The caller's own new password, after the old one (guesses throttled as sign-ins are, on the
    same key). Clears "must change", and ends the user's other tokens and sessions: whoever else held
    one, it was with the old password."""
    if principal.kind != "user" or principal.user_id is None:
        raise Forbidden("只有工作人员账号可以修改密码", "only a member of staff has a password")
    user_id = principal.user_id
    pair = f"{principal.name}\n{address}"
    zh, en = LIMITED["too_many_attempts"]
    context.login_limiter.check(pair, zh=zh, en=en, code="too_many_attempts")
    context.login_limiter.fail(pair)  # counted first, as sign-ins are
    row = await context.engine.read(lambda conn: _verified_by_id(conn, user_id, old_password))
    if row is None:
        await record(context, actor=principal.name, kind="user", role=principal.role, hall=principal.hall,
                     action="auth.password.failed", status=422, detail={"address": address})
        raise InvalidInput.coded("wrong_password", "原密码不正确 (the old password is wrong)", "old_password")
    context.login_limiter.reset(pair)
    if new_password == old_password:
        raise InvalidInput.coded("same_password", "新密码不能与原密码相同 (choose a password other than the old one)",
                                 "new_password")
    passwords.check(new_password, (row.username, row.display_name, row.staff_no, row.hall), "new_password")
    password_hash = await asyncio.to_thread(hash_password, new_password)

    def apply(conn: Connection) -> tuple[Any, int]:
        accounts.update_user(conn, user_id, password_hash=password_hash, must_change_password=False)
        ended = accounts.revoke_user_tokens(conn, user_id, keep=accounts.token_hash(token))
        return accounts.user_by_id(conn, user_id), ended

    changed, ended = await context.engine.write(apply)
    await end_user_tokens(context, user_id)  # the others end; this one's cached "must change" goes
    return StaffChange("auth.password", accounts.staff_view(row), accounts.staff_view(changed), ended)


def _verified_by_id(conn: Connection, user_id: int, password: str) -> Any:
    row = accounts.user_by_id(conn, user_id)
    if not verify_password(row.password_hash if row else None, password) or row is None or not row.active:
        return None
    return row
