"""Schema migrations with Alembic, run by ``onewindow migrate`` and at ``serve``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


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
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
