"""The manager's alerts: what in the hall needs someone to act now, and what to do about it.

Pure: :func:`compute` takes the hall's state, the instant, the hall's alert settings and what the
store knows (device states, cases near or past due, today's bad ratings, overdue follow-ups) and
returns the alerts as they stand. Acknowledgements are folded in by the caller (:func:`with_acks`).

Each alert's ``id`` is stable while its cause lasts (``long_wait:jinan-20261125-A003``,
``crowded:A``, ``long_pause:5``, ``device:kiosk-1:printer``, ``case_due:…``, ``prereview_due:7``,
``bad_rating:12``, ``followup_overdue:3``), so an acknowledgement sticks to it. See docs/alerts.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from .hall import Hall
from .model import CounterMode
from .ratings import LEVELS

KINDS = ("long_wait", "crowded", "long_pause", "device", "case_due", "prereview_due", "bad_rating",
         "followup_overdue", "feedback_overdue", "backup_failed")
DEFAULT_WAIT_TARGET_MIN = 20
DEFAULT_CROWDED_PER_COUNTER = 10
DEFAULT_PAUSE_MAX_MIN = 15
DEVICE_PROBLEMS = {  # state: (severity, what it means)
    "offline": ("critical", "离线"),
    "paper_out": ("critical", "缺纸"),
    "cover_open": ("warning", "仓盖打开"),
    "error": ("warning", "故障"),
}
DEVICE_NAMES = {"agent": "设备代理", "printer": "打印机", "idcard": "身份证阅读器", "counterbus": "窗口总线",
                "pcsc": "读卡器"}
UNHAPPY_LEVEL = 2  # 不满意 and 非常不满意


@dataclass(frozen=True)
class AlertSettings:
    """Per hall: the wait target in minutes (``default`` and per queue code), how many waiting per
    open counter make a queue crowded, and how long a pause may last."""

    wait_target_min: Mapping[str, int] = field(default_factory=lambda: {"default": DEFAULT_WAIT_TARGET_MIN})
    crowded_per_counter: int = DEFAULT_CROWDED_PER_COUNTER
    pause_max_min: int = DEFAULT_PAUSE_MAX_MIN

    def wait_target_s(self, queue: str) -> int:
        minutes = self.wait_target_min.get(queue, self.wait_target_min.get("default", DEFAULT_WAIT_TARGET_MIN))
        return int(minutes) * 60

    def to_json(self) -> dict[str, Any]:
        targets = {"default": DEFAULT_WAIT_TARGET_MIN, **self.wait_target_min}
        return {"wait_target_min": targets, "crowded_per_counter": self.crowded_per_counter,
                "pause_max_min": self.pause_max_min}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> AlertSettings:
        if not data:
            return cls()
        targets = {"default": DEFAULT_WAIT_TARGET_MIN, **{str(k): int(v) for k, v in
                                                          (data.get("wait_target_min") or {}).items()}}
        return cls(targets, int(data.get("crowded_per_counter", DEFAULT_CROWDED_PER_COUNTER)),
                   int(data.get("pause_max_min", DEFAULT_PAUSE_MAX_MIN)))


@dataclass(frozen=True)
class Alert:
    id: str
    kind: str
    severity: str  # warning | critical
    title: str
    action: str
    since: datetime | None
    acked: dict[str, Any] | None = None  # {by, at}
    subject: dict[str, Any] = field(default_factory=dict)  # what it is about: queue, counter, ticket…


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def _start_of(day: date, hall: Hall) -> datetime:
    return datetime.combine(day, time(0), tzinfo=hall.tz)


def long_waits(hall: Hall, now: datetime, settings: AlertSettings) -> list[Alert]:
    out = []
    for q in hall.config.queues:
        target = settings.wait_target_s(q.code)
        for ticket in hall.waiting_in(q.code):
            waited = (now - ticket.issued_at).total_seconds()
            if waited <= target:
                continue
            severity = "critical" if waited > 2 * target else "warning"
            out.append(Alert(
                f"long_wait:{ticket.id}", "long_wait", severity,
                f"{ticket.number} 已等候 {_minutes(waited)} 分钟（{q.name}目标 {target // 60} 分钟）",
                f"请安排窗口尽快呼叫 {ticket.number}，或增开 {q.code} 类窗口",
                ticket.issued_at + timedelta(seconds=target), subject={"queue": q.code, "ticket": ticket.number}))
    for number in sorted(hall.counters):  # transferred to a named counter: its queue's target
        for ticket in hall.targeted_at(number):
            target = settings.wait_target_s(ticket.queue)
            waited = (now - ticket.issued_at).total_seconds()
            if waited > target:
                out.append(Alert(
                    f"long_wait:{ticket.id}", "long_wait", "critical" if waited > 2 * target else "warning",
                    f"{ticket.number} 已等候 {_minutes(waited)} 分钟（转至 {number}号窗口）",
                    f"请 {number}号窗口尽快呼叫 {ticket.number}",
                    ticket.issued_at + timedelta(seconds=target),
                    subject={"queue": ticket.queue, "ticket": ticket.number, "counter": number}))
    return out


def crowding(hall: Hall, settings: AlertSettings) -> list[Alert]:
    """More than N waiting per working (open, not paused) counter that serves the queue."""
    out = []
    limit = settings.crowded_per_counter
    for q in hall.config.queues:
        waiting = hall.waiting_count(q.code)
        working = sum(1 for c in hall.counters.values() if c.mode == CounterMode.OPEN and q.code in c.queues)
        if waiting <= limit * max(working, 1):
            continue
        severity = "critical" if working == 0 or waiting > 2 * limit * working else "warning"
        per = f"{waiting / working:.1f}" if working else str(waiting)
        title = (f"{q.name}（{q.code}）{waiting} 人等候，" +
                 (f"仅 {working} 个窗口办理，每窗口 {per} 人" if working else "没有开放的窗口"))
        out.append(Alert(f"crowded:{q.code}", "crowded", severity, title,
                         f"请增开 {q.code} 类窗口，或把空闲窗口加开 {q.code} 类业务（每窗口不超过 {limit} 人）",
                         None, subject={"queue": q.code, "waiting": waiting, "open_counters": working}))
    return out


def long_pauses(hall: Hall, now: datetime, settings: AlertSettings) -> list[Alert]:
    out = []
    limit = settings.pause_max_min * 60
    for number in sorted(hall.counters):
        counter = hall.counters[number]
        if counter.mode != CounterMode.PAUSED or counter.changed_at is None:
            continue
        paused = (now - counter.changed_at).total_seconds()
        if paused <= limit:
            continue
        reason = f"（{counter.pause_reason}）" if counter.pause_reason else ""
        out.append(Alert(
            f"long_pause:{number}", "long_pause", "critical" if paused > 2 * limit else "warning",
            f"{counter.name or str(number) + '号窗口'}已暂停 {_minutes(paused)} 分钟{reason}",
            f"请联系 {number}号窗口{counter.clerk_name or ''}尽快恢复办理，或安排其他人员顶岗",
            counter.changed_at + timedelta(seconds=limit), subject={"counter": number}))
    return out


def device_problems(hall: Hall, devices: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """``devices``: rows of device_status ({agent, device, state, detail, updated_at}). An offline
    agent stands for all its devices: one alert for it, not one per device."""
    rows = list(devices)
    offline_agents = {r["agent"] for r in rows if r["device"] == "agent" and r["state"] == "offline"}
    out = []
    for row in rows:
        problem = DEVICE_PROBLEMS.get(row["state"])
        if problem is None or (row["agent"] in offline_agents and row["device"] != "agent"):
            continue
        severity, meaning = problem
        device = DEVICE_NAMES.get(row["device"], row["device"])
        what = f"{row['agent']} 的{device}"
        action = {"offline": f"请检查 {row['agent']} 的电源和网络，必要时重启设备代理",
                  "paper_out": f"请给 {row['agent']} 的打印机更换打印纸",
                  "cover_open": f"请合上 {row['agent']} 打印机的仓盖"}.get(
            row["state"], f"请检查 {what}，必要时联系运维")
        if row["device"] == "agent" and row["state"] == "offline":
            what = f"设备 {row['agent']}"
        out.append(Alert(f"device:{row['agent']}:{row['device']}", "device", severity, f"{what}{meaning}", action,
                         row.get("updated_at"), subject={"agent": row["agent"], "device": row["device"],
                                                         "state": row["state"]}))
    return out


def cases_due(hall: Hall, due: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[Alert]:
    """``due``: what ``cases_due`` gives the dashboard, ``{"soon": [case…], "overdue": [case…]}``."""
    out = []
    for overdue, cases in ((True, due.get("overdue", ())), (False, due.get("soon", ()))):
        for case in cases:
            item = case.get("item") or {}
            name = item.get("name") or item.get("code") or ""
            due_at = case.get("due_at") or ""
            title = (f"办件 {case['receipt_no']}（{name}）已超期，承诺办结日 {due_at}" if overdue
                     else f"办件 {case['receipt_no']}（{name}）即将到期：{due_at}")
            action = (f"请督促{item.get('department') or '承办部门'}立即办结并向申请人说明" if overdue
                      else f"请提醒{item.get('department') or '承办部门'}在 {due_at} 前办结")
            since = None
            if due_at:
                since = _start_of(date.fromisoformat(str(due_at)[:10]), hall)
            out.append(Alert(f"case_due:{case['receipt_no']}", "case_due", "critical" if overdue else "warning",
                             title, action, since, subject={"receipt_no": case["receipt_no"]}))
    return out


def prereviews_due(hall: Hall, due: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[Alert]:
    """``due``: online applications still waiting for their pre-review (网上预审, 2 working days), due by
    the next working day (``soon``) or past due (``overdue``), each ``{id, item: {name}, department_name,
    due_on}`` (server/services/applications.py ``prereviews_due``)."""
    out = []
    for overdue, waiting in ((True, due.get("overdue", ())), (False, due.get("soon", ()))):
        for application in waiting:
            name = (application.get("item") or {}).get("name") or ""
            due_on = str(application.get("due_on") or "")[:10]
            who = application.get("department_name") or "承办部门"
            title = (f"网上申请 #{application['id']}（{name}）预审已超期，期限 {due_on}" if overdue
                     else f"网上申请 #{application['id']}（{name}）预审即将到期：{due_on}")
            action = (f"请督促{who}立即完成预审并告知申请人" if overdue
                      else f"请提醒{who}在 {due_on} 前完成预审（网上预审页面）")
            since = _start_of(date.fromisoformat(due_on), hall) if due_on else None
            out.append(Alert(f"prereview_due:{application['id']}", "prereview_due",
                             "critical" if overdue else "warning", title, action, since,
                             subject={"application": application["id"]}))
    return out


def bad_ratings(hall: Hall, now: datetime, ratings: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """``ratings``: {id, level, counter, ticket_id, reasons, at}; today's 不满意 and 非常不满意 only."""
    today = hall.local_day(now)
    out = []
    for r in ratings:
        at = r.get("at")
        if int(r["level"]) > UNHAPPY_LEVEL or at is None or hall.local_day(at) != today:
            continue
        reasons = "、".join(r.get("reasons") or [])
        ticket = str(r.get("ticket_id") or "").rsplit("-", 1)[-1]
        title = f"{r['counter']}号窗口收到差评「{LEVELS[int(r['level'])]}」" + (f"：{reasons}" if reasons else "")
        out.append(Alert(f"bad_rating:{r['id']}", "bad_rating", "critical" if int(r["level"]) == 1 else "warning",
                         title, f"请核实 {ticket} 的办理情况，联系办事人回访并跟进整改", at,
                         subject={"counter": r["counter"], "ticket": ticket, "rating": r["id"]}))
    return out


def followups_overdue(hall: Hall, now: datetime, followups: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """``followups``: open follow-ups (整改) past their due date, {id, due, assignee?, counter?}."""
    out = []
    for f in followups:
        due = f.get("due")
        since = _start_of(date.fromisoformat(str(due)[:10]), hall) if due else None
        who = f.get("assignee") or "责任人"
        out.append(Alert(f"followup_overdue:{f['id']}", "followup_overdue", "warning",
                         f"整改 #{f['id']} 已超过办结期限 {str(due)[:10] if due else ''}".rstrip(),
                         f"请督促{who}尽快完成回访和整改并关闭", since, subject={"followup": f["id"]}))
    return out


def feedback_overdue(hall: Hall, feedback: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """``feedback``: open suggestions and complaints (意见建议/投诉) past their due day, {id, kind, due}."""
    out = []
    for f in feedback:
        due = str(f.get("due") or "")[:10]
        what = "投诉" if f.get("kind") == "complaint" else "意见建议"
        out.append(Alert(f"feedback_overdue:{f['id']}", "feedback_overdue",
                         "critical" if f.get("kind") == "complaint" else "warning",
                         f"{what} #{f['id']} 已超过答复期限 {due}".rstrip(),
                         "请在「意见建议」页尽快分类、答复并办结",
                         _start_of(date.fromisoformat(due), hall) if due else None,
                         subject={"feedback": f["id"]}))
    return out


SEVERITY_ORDER = {"critical": 0, "warning": 1}


def system_problems(problems: Mapping[str, tuple[str, datetime]]) -> list[Alert]:
    """Work the server does by itself that failed (the day close): the log has the details."""
    return [Alert(f"system:{key}", "system", "critical", title,
                  "请检查服务器日志并联系技术支持；问题排除后提醒自动解除", since, subject={"task": key})
            for key, (title, since) in sorted(problems.items())]


BACKUP_GRACE = timedelta(hours=2)  # a scheduled backup with no outcome this long after its time was lost
BACKUP_ACTION = ("请检查备份目录（ONEWINDOW_BACKUP_DIR）是否存在、可写、磁盘空间是否足够，并用 onewindow backup "
                 "手动备份一次；下次备份成功后提醒自动解除")


def backup_problems(hall: Hall, now: datetime, backup: Mapping[str, Any] | None) -> list[Alert]:
    """``backup``: when scheduled backups are set up, ``{slot, last}``: the latest scheduled time and the
    latest outcome since then (``{ok, at, detail}``, server/store/backup.py) or None. A failure stands
    until a later backup succeeds; no outcome at all two hours after the time is a failure too."""
    if backup is None or (backup.get("last") or {}).get("ok"):
        return []
    slot: datetime = backup["slot"]
    last = backup.get("last")
    local = slot.astimezone(hall.tz)
    key, when = f"backup_failed:{local:%Y%m%d}", f"{local:%m月%d日 %H:%M}"
    if last is not None:
        error = str(last["detail"].get("error") or "原因见服务器日志")
        return [Alert(key, "backup_failed", "critical", f"{when} 的自动备份失败：{error}", BACKUP_ACTION,
                      last["at"], subject={"slot": local.isoformat(), "error": error})]
    if now < slot + BACKUP_GRACE:
        return []
    return [Alert(key, "backup_failed", "critical",
                  f"{when} 的自动备份没有完成（{BACKUP_GRACE.seconds // 3600} 小时内没有结果）",
                  BACKUP_ACTION + "（使用 Redis 时请确认 rq worker 正在运行）", slot + BACKUP_GRACE,
                  subject={"slot": local.isoformat()})]


def compute(hall: Hall, now: datetime, settings: AlertSettings, *,
            devices: Iterable[Mapping[str, Any]] = (),
            due: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
            prereviews: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
            ratings: Iterable[Mapping[str, Any]] = (),
            followups: Iterable[Mapping[str, Any]] = (),
            feedback: Iterable[Mapping[str, Any]] = (),
            problems: Mapping[str, tuple[str, datetime]] | None = None,
            backup: Mapping[str, Any] | None = None) -> list[Alert]:
    """Every alert standing now, the critical first, then the oldest first."""
    alerts = [*long_waits(hall, now, settings), *crowding(hall, settings), *long_pauses(hall, now, settings),
              *device_problems(hall, devices), *cases_due(hall, due or {}), *prereviews_due(hall, prereviews or {}),
              *bad_ratings(hall, now, ratings),
              *followups_overdue(hall, now, followups), *feedback_overdue(hall, feedback),
              *system_problems(problems or {}), *backup_problems(hall, now, backup)]
    alerts.sort(key=lambda a: (SEVERITY_ORDER[a.severity], a.since.timestamp() if a.since else 0.0, a.id))
    return alerts


def with_acks(alerts: list[Alert], acks: Mapping[str, dict[str, Any]]) -> list[Alert]:
    """Acknowledged alerts carry who acknowledged them and when ({by, at})."""
    return [replace(a, acked=acks[a.id]) if a.id in acks else a for a in alerts]


def alert_json(alert: Alert, hall: Hall) -> dict[str, Any]:
    def iso(at: Any) -> Any:
        return at.astimezone(hall.tz).isoformat(timespec="seconds") if isinstance(at, datetime) else at

    acked = {"by": alert.acked["by"], "at": iso(alert.acked["at"])} if alert.acked else None
    return {"id": alert.id, "kind": alert.kind, "severity": alert.severity, "title": alert.title,
            "action": alert.action, "since": iso(alert.since), "acked": acked, "subject": alert.subject}
