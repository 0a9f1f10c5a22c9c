"""Tokens in the store (server/store/accounts.py), on SQLite and PostgreSQL: expiry, revocation,
a hall's device tokens by public id, and migration 0013's end for the user tokens that never expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import insert, update

from server.store import accounts
from server.store import tables as t
from server.store.db import Database, open_database
from server.store.migrate import alembic_config, migrate
from tests.api.conftest import seed

NOW = datetime.now(UTC)


def _upgrade(db: Database, revision: str) -> None:
    cfg = alembic_config()
    with db.reader.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def test_user_tokens_made_before_0013_end_90_days_after_they_were_made(database_url: str) -> None:
    db = open_database(database_url)
    try:
        _upgrade(db, "0012")
        with db.writer.begin() as conn:
            uid = conn.execute(insert(t.users).values(username="li", password_hash="x", role="clerk", active=True)
                               ).inserted_primary_key[0]  # type: ignore[index]
            for token, user, made in (("old", uid, NOW - timedelta(days=91)), ("recent", uid, NOW - timedelta(days=1)),
                                      ("kiosk", None, NOW - timedelta(days=900))):
                conn.execute(insert(t.tokens).values(token_hash=accounts.token_hash(token), user_id=user,
                                                     device_kind=None if user else "kiosk", hall=None,
                                                     created_at=made, revoked=False))
        migrate(db)
        with db.reader.connect() as conn:
            assert accounts.lookup_token(conn, "old") is None
            assert accounts.lookup_token(conn, "recent") is not None
            assert accounts.lookup_token(conn, "recent", NOW + timedelta(days=90)) is None
            assert accounts.lookup_token(conn, "kiosk", NOW + timedelta(days=3650)) is not None
    finally:
        db.dispose()


def test_expiry_revocation_and_device_ids(database_url: str) -> None:
    seed(database_url)
    db = open_database(database_url)
    try:
        with db.writer.begin() as conn:
            manager = accounts.find_user(conn, "manager")
            accounts.add_token(conn, "signed-in", user_id=manager.id, expires_at=NOW + timedelta(hours=12))
            accounts.add_token(conn, "second", user_id=manager.id, expires_at=NOW + timedelta(hours=12))
            accounts.add_token(conn, "wall-2", device_kind="display", hall="jinan", name="wall-2")
        with db.reader.connect() as conn:
            holder = accounts.lookup_token(conn, "signed-in", NOW + timedelta(hours=11))
            assert holder is not None and holder["username"] == "manager"
            assert accounts.lookup_token(conn, "signed-in", NOW + timedelta(hours=12)) is None
            listed = {d["name"]: d for d in accounts.device_tokens(conn, "jinan")}
            wall = listed["wall-2"]
            assert accounts.token_hash("wall-2").startswith(wall["id"]) and len(wall["id"]) == 12
            assert accounts.find_device_token(conn, "jinan", wall["id"]) == [accounts.token_hash("wall-2")]
            assert accounts.find_device_token(conn, "other-hall", wall["id"]) == []
            assert accounts.find_device_token(conn, "jinan", "%") == []  # ids are hex, never a pattern
            assert not any(d["id"] == accounts.token_hash("signed-in")[:12] for d in listed.values())
        with db.writer.begin() as conn:
            assert accounts.revoke_hash(conn, accounts.token_hash("wall-2"))
            assert not accounts.revoke_hash(conn, accounts.token_hash("wall-2"))
            assert accounts.revoke_user_tokens(conn, manager.id) == 2
            conn.execute(update(t.users).where(t.users.c.id == manager.id).values(active=True))
        with db.reader.connect() as conn:
            assert [accounts.lookup_token(conn, x) for x in ("signed-in", "second", "wall-2")] == [None] * 3
            assert "wall-2" not in {d["name"] for d in accounts.device_tokens(conn, "jinan")}
    finally:
        db.dispose()
