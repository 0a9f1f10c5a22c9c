"""``onewindow agent --config FILE``: logging, the event loop, and a clean stop on Ctrl-C/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from .config import load_config
from .link import Agent


def run(config_path: str, log_level: str = "info") -> None:
    """Raises ConfigError (one line) for a bad file; otherwise runs until stopped."""
    config = load_config(config_path)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("websockets").setLevel(logging.WARNING)
    kinds = ", ".join(f"{d.kind} ({d.url})" for d in config.devices) or "none"
    logging.getLogger("onewindow.agent").info("agent for %s; devices: %s", config.server, kinds)

    async def main() -> None:
        task = asyncio.create_task(Agent(config).run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
