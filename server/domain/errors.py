"""Every way an action can be refused, under one base.

DomainError
├── NotFound               the thing named does not exist
│   ├── UnknownHall
│   ├── UnknownQueue
│   ├── UnknownCounter
│   └── UnknownTicket
├── NotAuthenticated       no credentials, or ones that are unknown, revoked or malformed
├── Forbidden              the caller may not do this
│   └── NotHolder          a clerk acting at a counter they do not hold
├── InvalidInput           a value the caller sent is not acceptable (names the field)
├── RateLimited            too many attempts; try again after ``retry_after_s``
└── Conflict               the current state forbids the action
    ├── CounterClosed       a closed counter refuses all but ``open``
    ├── CounterPaused       call or open while paused
    ├── CounterNotPaused    resume a counter that is not paused
    ├── CounterOccupied     another clerk holds the counter
    ├── CounterBusy         the counter still has a current ticket
    ├── NoCurrentTicket     recall/start/finish/no-show with nothing called
    ├── TicketNotWaiting    call a number that is not waiting
    ├── TicketNotCalled     start/recall a ticket that is not in the called state
    ├── NotNoShow           reinstate a ticket that was not a no-show
    ├── InvalidTransfer     transfer to the same queue, or to a counter that serves nothing
    └── AlreadyWaiting      an ID card that already holds a waiting ticket in that queue

Each carries a stable snake_case ``code``, a message in Chinese and English and, where the caller
sent something wrong, the ``field``. None knows HTTP: the edge (server/api/errors.py) maps the
branches to statuses (404, 401, 403, 422, 429, 409) and the CONTRACT error shape.
"""

from __future__ import annotations

from typing import Self


class DomainError(Exception):
    code = "domain_error"
    field: str | None = None
    written: str | None = None  # the message as written, when made by ``coded``

    def __init__(self, zh: str, en: str, field: str | None = None) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        if field is not None:
            self.field = field

    def details(self) -> dict[str, object]:
        """More of the refusal for the caller, beside code, message and field (a catalog's bad rows)."""
        return {}

    @classmethod
    def coded(cls, code: str, message: str, field: str | None = None) -> Self:
        """A refusal of this branch with a code of its own, from a message "中文 (English)": the
        message is kept exactly as written; ``zh`` and ``en`` are its two halves."""
        zh, sep, en = message.rpartition(" (")
        split = bool(sep) and message.endswith(")")
        error = cls(zh if split else message, en[:-1] if split else message, field)
        error.code = code
        error.written = message
        return error

    @property
    def message(self) -> str:
        if self.written is not None:
            return self.written
        return self.zh if self.zh == self.en else f"{self.zh} ({self.en})"


class NotFound(DomainError):
    code = "not_found"


class UnknownHall(NotFound):
    code = "unknown_hall"


class UnknownQueue(NotFound):
    code = "unknown_queue"


class UnknownCounter(NotFound):
    code = "unknown_counter"


class UnknownTicket(NotFound):
    code = "unknown_ticket"


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    field = "Authorization"


class BadCredentials(NotAuthenticated):
    code = "bad_credentials"


class Forbidden(DomainError):
    code = "forbidden"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"


class NotHolder(Forbidden):
    """A clerk acting at a counter that another clerk (or nobody) holds."""


class InvalidInput(DomainError):
    code = "invalid_field"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, zh: str, en: str, retry_after_s: float, code: str | None = None) -> None:
        super().__init__(zh, en)
        self.retry_after_s = retry_after_s
        if code is not None:
            self.code = code


class Conflict(DomainError):
    code = "conflict"


class CounterClosed(Conflict):
    code = "counter_closed"


class CounterPaused(Conflict):
    code = "counter_paused"


class CounterNotPaused(Conflict):
    code = "counter_not_paused"


class CounterOccupied(Conflict):
    code = "counter_occupied"


class CounterBusy(Conflict):
    code = "counter_busy"


class NoCurrentTicket(Conflict):
    code = "no_current_ticket"


class TicketNotWaiting(Conflict):
    code = "ticket_not_waiting"


class TicketNotCalled(Conflict):
    code = "ticket_not_called"


class NotNoShow(Conflict):
    code = "ticket_not_no_show"


class InvalidTransfer(Conflict):
    code = "invalid_transfer"


class AlreadyWaiting(Conflict):
    """One waiting ticket per ID card per queue: ``ticket_id`` is the one already held."""

    code = "already_waiting"

    def __init__(self, zh: str, en: str, ticket_id: str) -> None:
        super().__init__(zh, en)
        self.ticket_id = ticket_id
