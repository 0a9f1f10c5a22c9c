"""Tickets beyond the hall's own commands: finding one by its status token, printing it."""

from __future__ import annotations

from server.context import AppContext
from server.domain.hall import Hall
from server.domain.model import Ticket
from server.domain.views import ticket_from_state
from server.services.printing import send_ticket_to_printer
from server.store import devices as store_devices
from server.store import repo


async def locate_ticket(context: AppContext, token: str) -> tuple[Hall, Ticket] | None:
    """The ticket behind a status token: live in a loaded hall, else from the store (an earlier day's)."""
    for hall in await context.engine.loaded_halls():
        live = hall.ticket_by_token(token)
        if live is not None:
            return hall, live
    found = await context.engine.read(lambda conn: repo.ticket_data_by_token(conn, token))
    if found is None:
        return None
    hall = await context.engine.hall(found[0])
    return hall, hall.ticket_by_token(token) or ticket_from_state(found[1])


async def print_for_kiosk(context: AppContext, hall: Hall, kiosk: str, ticket: Ticket, base_url: str) -> str:
    """Sends the ticket to the kiosk's printer when its agent has one that can print; says which:
    ``sent``, ``no_printer``, or the printer's state (``paper_out``…) so the kiosk can tell the visitor."""
    rows = await context.engine.read(lambda conn: store_devices.states(conn, hall.config.code, kiosk))
    state = {row["device"]: row["state"] for row in rows}
    if state.get("agent") != "ok" or "printer" not in state:
        return "no_printer"
    if state["printer"] not in ("ok", "paper_low"):
        return str(state["printer"])
    await send_ticket_to_printer(context.bus, hall, kiosk, ticket, base_url)
    return "sent"
