"""Users and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from . import tables as t
from . import tables_cases  # noqa: F401  (adds users.department)

ROLES = ("clerk", "guide", "manager", "admin", "department")
DEVICE_KINDS = ("kiosk", "display", "counter", "agent")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(conn: Connection, username: str) -> Any:
    return conn.execute(select(t.users).where(t.users.c.username == username)).first()


def upsert_user(conn: Connection, username: str, password_hash: str, role: str, hall: str | None,
                counter: int | None, display_name: str | None = None, staff_no: str | None = None,
                department: str | None = None) -> int:
    """``department``: for role ``department``, the department (区市场监管局) whose cases the user
    reports on; when not given it is the display name (demo and earlier callers name them so)."""
    if role == "department" and not department:
        department = display_name
    values = {"password_hash": password_hash, "role": role, "hall": hall, "counter": counter,
              "display_name": display_name, "staff_no": staff_no, "active": True,
              "department": department if role == "department" else None}
    row = find_user(conn, username)
    if row is None:
        key = conn.execute(insert(t.users).values(username=username, **values)).inserted_primary_key
        assert key is not None
        return int(key[0])
    conn.execute(update(t.users).where(t.users.c.id == row.id).values(**values))
    return int(row.id)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def add_token(conn: Connection, token: str, *, user_id: int | None = None, device_kind: str | None = None,
              hall: str | None = None, name: str | None = None, counter: int | None = None) -> None:
    conn.execute(insert(t.tokens).values(
        token_hash=token_hash(token), user_id=user_id, device_kind=device_kind, hall=hall, name=name,
        counter=counter, created_at=datetime.now(UTC), revoked=False))


def has_token(conn: Connection, token: str) -> bool:
    return conn.scalar(select(t.tokens.c.token_hash).where(t.tokens.c.token_hash == token_hash(token))) is not None


def lookup_token(conn: Connection, token: str) -> dict[str, Any] | None:
    """The holder of a token: a user's row or a device's, or None when unknown or revoked."""
    row = conn.execute(
        select(t.tokens, t.users.c.username, t.users.c.role, t.users.c.hall.label("user_hall"),
               t.users.c.counter.label("user_counter"), t.users.c.active, t.users.c.display_name,
               t.users.c.staff_no)
        .select_from(t.tokens.outerjoin(t.users, t.users.c.id == t.tokens.c.user_id))
        .where(t.tokens.c.token_hash == token_hash(token))).first()
    if row is None or row.revoked or (row.user_id is not None and not row.active):
        return None
    return dict(row._mapping)


def user_by_id(conn: Connection, user_id: int) -> Any:
    return conn.execute(select(t.users).where(t.users.c.id == user_id)).first()


def display_names(conn: Connection, usernames: set[str]) -> dict[str, str]:
    """The names people know staff by (张三), for the usernames that have one."""
    if not usernames:
        return {}
    rows = conn.execute(select(t.users.c.username, t.users.c.display_name)
                        .where(t.users.c.username.in_(sorted(usernames)[:1000])))
    return {r.username: r.display_name for r in rows if r.display_name}
