"""ASGI entry point: ``uvicorn --factory server.asgi:create`` (the Procfile's web line)."""

from __future__ import annotations

from starlette.applications import Starlette

from server import logs
from server.app import create_app
from server.domain.clock import ShiftedClock
from server.settings import load_settings


def create() -> Starlette:
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    return create_app(settings, ShiftedClock(settings.clock_at) if settings.clock_at else None)
