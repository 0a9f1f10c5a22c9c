"""Alembic environment: the URL comes from the caller (server/store/migrate.py), never a file."""

from __future__ import annotations

from alembic import context

from server.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    raise RuntimeError("run migrations through `onewindow migrate`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
