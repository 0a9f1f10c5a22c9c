"""How healthy this process is, for /healthz and the load balancer in front of it; what /metrics reads
from the halls."""

from __future__ import annotations

from server.context import AppContext
from server.engine import WRITES, StorageError
from server.store import repo
from server.store.health import probe_write


async def failing(context: AppContext) -> dict[str, str]:
    """What fails now, with its cause: ``{}`` when the database (reads and writes) and the bus answer.
    Reads answer on a full disk: while the hall's writes fail, one small write is tried, so that a
    load balancer stops sending traffic here, and sees this process come back once it can write."""
    engine = context.engine
    causes: dict[str, str] = {}
    try:
        await engine.read(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
    except StorageError as exc:
        causes["database"] = str(exc)
    if "database" not in causes and engine.storage.failing_for(WRITES):
        now = context.clock.now()
        try:
            await engine.write(lambda conn: probe_write(conn, now))
        except StorageError as exc:
            causes["database"] = f"writes failing: {exc}"
    try:
        if not await context.bus.healthy():
            causes["bus"] = "the event bus does not answer"
    except Exception as exc:
        causes["bus"] = f"the event bus does not answer ({type(exc).__name__})"
    return causes


async def waiting(context: AppContext) -> dict[tuple[str, str], int]:
    """Visitors waiting per hall and queue, as /metrics reports them: every hall of the database,
    caught up with the log, whichever process is asked."""
    codes = await context.engine.read(repo.hall_codes)
    counts: dict[tuple[str, str], int] = {}
    for code in codes:
        hall = await context.engine.hall(code)
        for queue in hall.config.queues:
            counts[(code, queue.code)] = hall.waiting_count(queue.code)
    return counts
