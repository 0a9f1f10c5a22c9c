"""Tickets to paper: the job a kiosk's agent prints when that kiosk issues a ticket.

The job carries the slip ready to print (the agent knows nothing of halls): the number, the
queue, people ahead, the estimated wait, the time and the QR code's address. It is sent once, to
the agent's bus channel; a ticket is valid whether or not it prints, and the kiosk learns which
from the agent's ``print.result``.
"""

from __future__ import annotations

from typing import Any

from server.bus import Bus
from server.channels import agent_channel, counter_print_channel
from server.domain.estimate import wait_minutes
from server.domain.hall import Hall
from server.domain.model import Priority, Ticket

PRIORITY_LABELS = {Priority.ELDERLY: "老年人优先", Priority.DISABLED: "残疾人优先", Priority.PREGNANT: "孕妇优先",
                   Priority.MINORITY: "少数民族优先", Priority.MILITARY: "军人优先"}

def ticket_slip(hall: Hall, ticket: Ticket, base_url: str) -> dict[str, Any]:
    queue = hall.config.queue(ticket.queue)
    eta_s = hall.ticket_eta_s(ticket)
    return {
        "hall_name": hall.config.name,
        "number": ticket.number,
        "queue_name": queue.name if queue else ticket.queue,
        "priority_label": PRIORITY_LABELS.get(ticket.priority),
        "ahead": hall.ahead(ticket),
        "eta_minutes": None if eta_s is None else max(1, round(eta_s / 60)),
        "eta_wait": None if eta_s is None else wait_minutes(eta_s, hall.eta_range_s(eta_s)),
        "issued_at": ticket.issued_at.astimezone(hall.tz).strftime("%Y-%m-%d %H:%M"),
        "qr_url": f"{base_url.rstrip('/')}/t/{ticket.status_token}",
    }


async def send_ticket_to_printer(bus: Bus, hall: Hall, kiosk: str, ticket: Ticket, base_url: str) -> None:
    job = {"type": "print", "job": ticket.id, "kind": "ticket", "slip": ticket_slip(hall, ticket, base_url)}
    await bus.publish(agent_channel(hall.config.code, kiosk), job)

async def send_to_counter_printer(bus: Bus, hall: str, counter: int, kind: str, document: dict[str, Any],
                                  job: str) -> None:
    """``kind`` ``receipt`` (接件回执: devices.printer.escpos.CaseReceipt's fields) or ``notice``
    (一次性告知书: MissingNotice's fields); printed by the counter's agent if it has a printer."""
    await bus.publish(counter_print_channel(hall, counter), {"type": "print", "job": job, "kind": kind,
                                                             "document": document})
