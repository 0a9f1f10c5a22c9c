"""The simulator over a hall's own history (issue 22): the hall's layout and settings and a profile
fitted from the same weekday of its last weeks. The simulation itself is server/simulation (pure);
the rows come from server/store/history.py. Synchronous on an open connection: the command line
calls it directly, a route through ``context.engine.read``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from server.domain.errors import InvalidInput, UnknownHall
from server.domain.model import HallConfig
from server.simulation.fit import CounterRow, TicketRow, fit_profile, history_days
from server.simulation.profile import Profile
from server.store import history, repo

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
MAX_WEEKS = 52


def hall_config(conn: Connection, hall: str) -> HallConfig:
    row = repo.hall_row(conn, hall)
    if row is None:
        raise UnknownHall(f"没有大厅 {hall}", f"no hall {hall!r}")
    return repo.config_from_json(row.code, row.name, row.config)


def fitted_profile(conn: Connection, hall: str, *, weeks: int, now: datetime,
                   weekday: int | None = None) -> tuple[HallConfig, Profile]:
    """The hall's config and the profile of a ``weekday`` (0 = Monday; default: today's) fitted
    from that weekday of the last ``weeks`` weeks. Its first day is the next such day (today if
    it is one). ``ProfileError`` (a ValueError) when those days hold no ticket."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(f"history_weeks 应为 1 至 {MAX_WEEKS}", f"history_weeks: 1 to {MAX_WEEKS}", "history_weeks")
    if weekday is not None and not 0 <= weekday <= 6:
        raise InvalidInput("weekday 应为 0（周一）至 6（周日）", "weekday: 0 (Monday) to 6 (Sunday)", "weekday")
    config = hall_config(conn, hall)
    tz = ZoneInfo(config.timezone)
    today = now.astimezone(tz).date()
    wanted = today.weekday() if weekday is None else weekday
    days = history_days(today, wanted, weeks)
    tickets = [TicketRow(**row) for row in history.ticket_rows(conn, hall, days)]
    counters = [CounterRow(**row) for row in history.counter_events(conn, hall, _midnight(days[0], tz),
                                                                      _midnight(days[-1] + timedelta(days=1), tz))]
    first_day = today + timedelta(days=(wanted - today.weekday()) % 7)
    name = f"{config.name} {WEEKDAY_NAMES[wanted]}（近 {weeks} 周）"
    return config, fit_profile(config, tickets, counters, days, name=name, first_day=first_day)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)
