"""Notifications to applicants (SMS): what they say, and how the hall asks for one to be sent.

``await notify(context, called_notification(...))`` from any async code: it hands the message to
the job runner off the event loop and never raises into the caller (a lost SMS must not fail a
call to the counter). Delivery, retries and the at-most-once guard live in ``runner.deliver``.

Texts carry no more personal data than needed: a ticket number, a counter number, the last
four characters of a receipt number; never a name, an ID number or a phone number.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime, timedelta
from typing import Protocol

from server.settings import Settings

from .message import Notification
from .runner import Runner, runner_for

log = logging.getLogger("onewindow.notify")
_TICKET = re.compile(r"[A-Z]{1,3}\d{1,5}")


# ---------------------------------------------------------------- the four texts
def _ticket(number: str) -> str:
    if not _TICKET.fullmatch(number):
        raise ValueError(f"not a ticket number: {number!r}")
    return number


def ahead_text(hall_name: str, ticket_number: str, ahead: int) -> str:
    """【晋安区行政服务中心】您的号码 A012 前面还有 3 人，请留意叫号。"""
    return f"【{hall_name}】您的号码 {_ticket(ticket_number)} 前面还有 {int(ahead)} 人，请留意叫号。"


def called_text(hall_name: str, ticket_number: str, counter: int) -> str:
    """【晋安区行政服务中心】请 A012 到 3号窗口办理。"""
    return f"【{hall_name}】请 {_ticket(ticket_number)} 到 {int(counter)}号窗口办理。"


def case_ready_text(hall_name: str, receipt_no: str) -> str:
    """【晋安区行政服务中心】您的办件 …1234 已办结，请到查询发证窗口领取。 (only the receipt's last four)"""
    tail = re.sub(r"[^0-9A-Za-z]", "", receipt_no)[-4:]
    if not tail:
        raise ValueError(f"not a receipt number: {receipt_no!r}")
    return f"【{hall_name}】您的办件 …{tail} 已办结，请到查询发证窗口领取。"


def appointment_reminder_text(hall_name: str, start: datetime, business: str, today: date) -> str:
    """【晋安区行政服务中心】您预约了明天 09:00 社会民生类业务，请准时到达。

    ``start`` in the hall's time zone; ``today`` the hall-local date the message goes out."""
    day = start.date()
    if day == today:
        when = "今天"
    elif day == today + timedelta(days=1):
        when = "明天"
    else:
        when = f"{day.month}月{day.day}日"
    name = business if business.endswith("业务") else f"{business}业务"
    return f"【{hall_name}】您预约了{when} {start:%H:%M} {name}，请准时到达。"


# ---------------------------------------------------------------- ready-made messages with their keys
def ahead_notification(hall: str, hall_name: str, to_phone: str, ticket_id: str, ticket_number: str,
                       ahead: int) -> Notification:
    """Sent once per ticket, when ``ahead`` first reaches the hall's threshold (settings.notify_ahead)."""
    return Notification("ahead", hall, to_phone, ahead_text(hall_name, ticket_number, ahead), f"ahead:{ticket_id}")


def called_notification(hall: str, hall_name: str, to_phone: str, ticket_id: str, ticket_number: str,
                        counter: int) -> Notification:
    """Sent once per ticket: a recall or a later call does not send it again."""
    return Notification("called", hall, to_phone, called_text(hall_name, ticket_number, counter),
                        f"called:{ticket_id}")


def case_ready_notification(hall: str, hall_name: str, to_phone: str, receipt_no: str) -> Notification:
    return Notification("case_ready", hall, to_phone, case_ready_text(hall_name, receipt_no),
                        f"case_ready:{receipt_no}")


def appointment_reminder_notification(hall: str, hall_name: str, to_phone: str, appointment_id: str,
                                      start: datetime, business: str, today: date) -> Notification:
    return Notification("appointment_reminder", hall, to_phone,
                        appointment_reminder_text(hall_name, start, business, today),
                        f"appointment_reminder:{appointment_id}")


# ---------------------------------------------------------------- asking for delivery
class HasSettings(Protocol):
    """Anything carrying the settings, such as the routes' AppContext."""

    @property
    def settings(self) -> Settings: ...


async def notify(target: Runner | HasSettings, notification: Notification) -> bool:
    """Queue the message for delivery; True once queued. Never blocks the loop, never raises:
    a failure to queue is logged and the caller carries on."""
    try:
        runner = target if isinstance(target, Runner) else runner_for(target.settings)
        await asyncio.to_thread(runner.enqueue, notification)
        return True
    except Exception:
        log.exception("notification %s (%s) could not be queued", notification.key, notification.kind)
        return False
