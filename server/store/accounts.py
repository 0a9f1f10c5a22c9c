"""Users and bearer tokens.

A token is kept only as its SHA-256 (``token_hash``); the first ``TOKEN_ID_LENGTH`` characters of
that hash are its public id, which lists show and revocations take. Staff tokens end at
``expires_at`` (a sign-in, a CLI ``token add --user``); device tokens have none and last until revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import tables as t
from . import tables_cases  # noqa: F401  (adds users.department)
from .repo import utc

ROLES = ("clerk", "guide", "manager", "admin", "department")
DEVICE_KINDS = ("kiosk", "display", "counter", "agent")
TOKEN_ID_LENGTH = 12  # 48 bits of the hash: unique among a hall's devices, and useless for guessing the token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(conn: Connection, username: str) -> Any:
    return conn.execute(select(t.users).where(t.users.c.username == username)).first()


def upsert_user(conn: Connection, username: str, password_hash: str, role: str, hall: str | None,
                counter: int | None, display_name: str | None = None, staff_no: str | None = None,
                department: str | None = None, must_change_password: bool = False) -> int:
    """``department``: for role ``department``, the department (区市场监管局) whose cases the user
    reports on; when not given it is the display name (demo and earlier callers name them so).
    Writes the password as given: the strength rule (server/domain/passwords.py) is the callers'."""
    if role == "department" and not department:
        department = display_name
    values = {"password_hash": password_hash, "role": role, "hall": hall, "counter": counter,
              "display_name": display_name, "staff_no": staff_no, "active": True,
              "department": department if role == "department" else None,
              "must_change_password": must_change_password}
    row = find_user(conn, username)
    if row is None:
        key = conn.execute(insert(t.users).values(username=username, **values)).inserted_primary_key
        assert key is not None
        return int(key[0])
    conn.execute(update(t.users).where(t.users.c.id == row.id).values(**values))
    return int(row.id)


def create_user(conn: Connection, username: str, **values: Any) -> int | None:
    """A new user with these columns; None when the username is taken (checked by the insert itself,
    so two administrators adding the same name at once get one account and one refusal)."""
    try:
        with conn.begin_nested():
            key = conn.execute(insert(t.users).values(username=username, **values)).inserted_primary_key
    except IntegrityError:
        return None
    assert key is not None
    return int(key[0])


STAFF_COLUMNS = ("username", "role", "hall", "counter", "department", "active", "must_change_password",
                 "display_name", "staff_no")


def staff_view(row: Any) -> dict[str, Any]:
    """A user as lists and answers show them: never the password's hash."""
    return {name: (bool(getattr(row, name)) if name in ("active", "must_change_password") else getattr(row, name))
            for name in STAFF_COLUMNS}


def hall_users(conn: Connection, hall: str) -> list[dict[str, Any]]:
    """The hall's staff by username, disabled ones included."""
    rows = conn.execute(select(*(t.users.c[name] for name in STAFF_COLUMNS))
                        .where(t.users.c.hall == hall).order_by(t.users.c.username))
    return [staff_view(row) for row in rows]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def add_token(conn: Connection, token: str, *, user_id: int | None = None, device_kind: str | None = None,
              hall: str | None = None, name: str | None = None, counter: int | None = None,
              expires_at: datetime | None = None) -> None:
    conn.execute(insert(t.tokens).values(
        token_hash=token_hash(token), user_id=user_id, device_kind=device_kind, hall=hall, name=name,
        counter=counter, created_at=datetime.now(UTC), revoked=False, expires_at=expires_at))


def has_token(conn: Connection, token: str) -> bool:
    return conn.scalar(select(t.tokens.c.token_hash).where(t.tokens.c.token_hash == token_hash(token))) is not None


def lookup_token(conn: Connection, token: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The holder of a token: a user's row or a device's, or None when unknown, revoked, expired or
    its user disabled."""
    return lookup_hash(conn, token_hash(token), now or datetime.now(UTC))


_HOLDER = (select(t.tokens, t.users.c.username, t.users.c.role, t.users.c.hall.label("user_hall"),
                  t.users.c.counter.label("user_counter"), t.users.c.active, t.users.c.display_name,
                  t.users.c.staff_no, t.users.c.department, t.users.c.must_change_password)
           .select_from(t.tokens.outerjoin(t.users, t.users.c.id == t.tokens.c.user_id)))


def lookup_hash(conn: Connection, hashed: str, now: datetime) -> dict[str, Any] | None:
    """``lookup_token`` by the token's hash: one read by primary key (every authenticated request)."""
    row = conn.execute(_HOLDER.where(t.tokens.c.token_hash == hashed)).first()
    if row is None or row.revoked or (row.user_id is not None and not row.active):
        return None
    if row.expires_at is not None and utc(row.expires_at) <= now:
        return None
    return dict(row._mapping)


def revoke_hash(conn: Connection, hashed: str) -> bool:
    """Ends one token (a sign-out); False when it was unknown or already ended."""
    done = conn.execute(update(t.tokens).where(t.tokens.c.token_hash == hashed, t.tokens.c.revoked.is_(False))
                        .values(revoked=True))
    return bool(done.rowcount)


def revoke_user_tokens(conn: Connection, user_id: int, keep: str | None = None) -> int:
    """Ends every token and session of a user (disabled, or a new password) but the one whose hash
    is ``keep`` (the caller's own, when they changed their password); how many were live."""
    live = [t.tokens.c.user_id == user_id, t.tokens.c.revoked.is_(False)]
    if keep is not None:
        live.append(t.tokens.c.token_hash != keep)
    done = conn.execute(update(t.tokens).where(*live).values(revoked=True))
    return int(done.rowcount)


def device_tokens(conn: Connection, hall: str) -> list[dict[str, Any]]:
    """The hall's live device tokens, by kind and name, without the secret: ``id`` is the public id."""
    rows = conn.execute(
        select(t.tokens.c.token_hash, t.tokens.c.device_kind, t.tokens.c.name, t.tokens.c.counter,
               t.tokens.c.created_at)
        .where(t.tokens.c.hall == hall, t.tokens.c.device_kind.is_not(None), t.tokens.c.revoked.is_(False))
        .order_by(t.tokens.c.device_kind, t.tokens.c.name, t.tokens.c.created_at))
    return [{"id": r.token_hash[:TOKEN_ID_LENGTH], "kind": r.device_kind, "name": r.name, "counter": r.counter,
             "created_at": utc(r.created_at)} for r in rows]


def find_device_token(conn: Connection, hall: str, token_id: str) -> list[str]:
    """The hashes of the hall's live device tokens whose public id is ``token_id`` (one, or none)."""
    if not 8 <= len(token_id) <= 64 or any(c not in "0123456789abcdef" for c in token_id):
        return []
    rows = conn.execute(select(t.tokens.c.token_hash).where(
        t.tokens.c.hall == hall, t.tokens.c.device_kind.is_not(None), t.tokens.c.revoked.is_(False),
        t.tokens.c.token_hash.startswith(token_id)))
    return [r.token_hash for r in rows]


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    """Sets the given columns of a user (active, role, hall, counter, department, password_hash,
    must_change_password)."""
    if values:
        conn.execute(update(t.users).where(t.users.c.id == user_id).values(**values))


def user_by_id(conn: Connection, user_id: int) -> Any:
    return conn.execute(select(t.users).where(t.users.c.id == user_id)).first()


def display_names(conn: Connection, usernames: set[str]) -> dict[str, str]:
    """The names people know staff by (张三), for the usernames that have one."""
    if not usernames:
        return {}
    rows = conn.execute(select(t.users.c.username, t.users.c.display_name)
                        .where(t.users.c.username.in_(sorted(usernames)[:1000])))
    return {r.username: r.display_name for r in rows if r.display_name}
