"""Background jobs: notifications today. Run by rq workers, or in-process in embedded mode."""

from .message import Notification
from .notify import (
    ahead_notification,
    appointment_reminder_notification,
    called_notification,
    case_ready_notification,
    notify,
)

__all__ = ["Notification", "ahead_notification", "appointment_reminder_notification", "called_notification",
           "case_ready_notification", "notify"]
