"""Report exports run as background jobs: in-process threads in embedded mode, an rq job on the
queue ``onewindow`` when REDIS_URL is set. ``run_export`` is the job in both; it opens its own
database engine, records its progress in report_exports and keeps the file there too (so that any
process can serve it)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

from server.settings import Settings
from server.store import case_register
from server.store import reports as store
from server.store.case_register import CaseQuery
from server.store.db import Database, open_database
from server.store.tables_reports import report_exports

from .export import case_line, render, render_cases
from .report import build_report
from .rollup import hall_info

log = logging.getLogger("onewindow.reports")
QUEUE = "onewindow"
CASE_PROGRESS_EVERY = 200


def run_export(export_id: str, database_url: str) -> str:
    """Build one export; returns its final status (``done`` or ``failed``)."""
    db = open_database(database_url)
    try:
        with db.reader.connect() as conn:
            row = conn.execute(report_exports.select().where(report_exports.c.id == export_id)).first()
        if row is None:
            return "failed"
        params: dict[str, Any] = row.params

        def update(**values: Any) -> None:
            with db.writer.begin() as conn:
                store.update_export(conn, export_id, updated_at=datetime.now(UTC), **values)

        update(status="running", progress=1)
        try:
            def progress(done: int, total: int) -> None:
                if done == total or done % 5 == 0:
                    update(progress=max(1, min(90, int(90 * done / total))))

            now = datetime.fromisoformat(params["now"])
            if params.get("kind") == "cases":  # the case register (办件台账) with its filters
                content, filename, count = _case_register(db, row.hall, params, now, progress)
                update(status="done", progress=100, rows=count, content=content, filename=filename)
                return "done"
            report = build_report(db, row.hall, params["period"], date.fromisoformat(params["date"]), params["by"],
                                  now, progress)
            content, _, filename = render(report, params["format"])
            update(status="done", progress=100, rows=len(report["rows"]), content=content, filename=filename)
            return "done"
        except Exception as exc:
            log.exception("export %s failed", export_id)
            update(status="failed", error=str(exc)[:500])
            return "failed"
    finally:
        db.dispose()


def _case_register(db: Database, hall: str, params: dict[str, Any], now: datetime,
                   progress: Callable[[int, int], None]) -> tuple[bytes, str, int]:
    """The register's cases found by the export's filters, newest first, as a file; its progress
    told every ``CASE_PROGRESS_EVERY`` lines."""
    query = CaseQuery.from_json(params["filters"])
    with db.reader.connect() as conn:
        info = hall_info(conn, hall)
        if info is None:
            raise ValueError(f"no hall {hall!r}")
        total = max(1, case_register.count(conn, query))
        today = info.local_day(now)
        lines = []
        for done, line in enumerate(case_register.export_lines(conn, query), start=1):
            lines.append(case_line(line, info.tz, today))
            if done % CASE_PROGRESS_EVERY == 0:
                progress(done, total)
    title = f"办件台账 {info.name} {now.astimezone(info.tz):%Y-%m-%d %H:%M} 导出 共 {len(lines)} 件"
    content, _, filename = render_cases(title, lines, params["format"], f"cases-{today.isoformat()}")
    return content, filename, len(lines)


class EmbeddedExports:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="report-export")

    def enqueue(self, export_id: str) -> Future[str]:
        return self._pool.submit(run_export, export_id, self.database_url)


class RqExports:
    def __init__(self, redis_url: str, database_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.database_url = database_url
        self.queue = Queue(QUEUE, connection=Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5))

    def enqueue(self, export_id: str) -> object:
        return self.queue.enqueue(run_export, args=(export_id, self.database_url), job_timeout=1800,
                                  result_ttl=3600, failure_ttl=7 * 86400, description=f"report export {export_id}")


@functools.lru_cache(maxsize=8)
def exports_for(settings: Settings) -> EmbeddedExports | RqExports:
    if settings.redis_url:
        return RqExports(settings.redis_url, settings.database_url)
    return EmbeddedExports(settings.database_url)
