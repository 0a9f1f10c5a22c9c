"""Schema migrations with Alembic, run by ``onewindow migrate`` and at ``serve``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Several hosts started together (deploy/) each run `serve`, which migrates first: on PostgreSQL
# they take turns under this advisory lock, so the second finds the schema at head and does nothing
# instead of failing on a table the first just created. (SQLite is one host's file: no lock needed.)
MIGRATION_LOCK = 0x6F6E6577  # "onew"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(db: Database) -> None:
    """Create or upgrade the schema to the newest revision; does nothing when already there."""
    cfg = alembic_config()
    with db.reader.connect() as conn:
        if db.is_sqlite:
            # Our engine issues BEGIN itself; Alembic's DDL runs inside one transaction here.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if not db.is_sqlite:
                conn.rollback()
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                conn.commit()
