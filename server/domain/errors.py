"""Every way a hall action can be refused, under one base.

DomainError
├── NotFound               the thing named does not exist          (HTTP 404)
│   ├── UnknownQueue
│   ├── UnknownCounter
│   └── UnknownTicket
├── NotHolder              a clerk acting at a counter they do not hold (HTTP 403)
└── Conflict               the current state forbids the action    (HTTP 409)
    ├── CounterClosed       a closed counter refuses all but ``open``
    ├── CounterPaused       call or open while paused
    ├── CounterOccupied     another clerk holds the counter
    ├── CounterBusy         the counter still has a current ticket
    ├── NoCurrentTicket     recall/start/finish/no-show with nothing called
    ├── TicketNotWaiting    call a number that is not waiting
    ├── TicketNotCalled     start/recall a ticket that is not in the called state
    ├── NotNoShow           reinstate a ticket that was not a no-show
    ├── InvalidTransfer     transfer to the same queue, or to a counter that serves nothing
    └── AlreadyWaiting      an ID card that already holds a waiting ticket in that queue

Each carries a stable snake_case ``code`` and a message in Chinese and English; the API edge
turns them into the CONTRACT error shape without knowing the subclasses.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 409

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en

    @property
    def message(self) -> str:
        return f"{self.zh} ({self.en})"


class NotFound(DomainError):
    code = "not_found"
    status = 404


class UnknownHall(NotFound):
    code = "unknown_hall"


class UnknownQueue(NotFound):
    code = "unknown_queue"


class UnknownCounter(NotFound):
    code = "unknown_counter"


class UnknownTicket(NotFound):
    code = "unknown_ticket"


class NotHolder(DomainError):
    """A clerk acting at a counter that another clerk (or nobody) holds."""

    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


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
