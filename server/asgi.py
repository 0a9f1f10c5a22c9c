"""ASGI entry point: ``uvicorn --factory server.asgi:create`` (the Procfile's web line)."""

from __future__ import annotations

import logging

from starlette.applications import Starlette

from server.app import create_app
from server.domain.clock import ShiftedClock
from server.settings import load_settings


def create() -> Starlette:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(settings, ShiftedClock(settings.clock_at) if settings.clock_at else None)
