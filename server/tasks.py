"""Small asyncio helpers."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel and wait until the tasks are really done. Cancelling once is not enough on Python
    3.11: ``asyncio.wait_for`` (which redis-py uses for every command) can swallow a cancel that
    arrives just as its inner call finishes, and the task then runs on (fixed in 3.12)."""
    pending = {t for t in tasks if t is not None and not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)
