"""The bus channels, one place for every name (server/bus carries JSON by channel).

Who publishes and who listens:
- ``hall:{hall}``: the hall's committed events, from the engine to every process's screens.
- ``dashboard:{hall}``: the managers' own messages (alerts, cases due), to the dashboard feed.
- ``kiosk:{hall}:{name}``: card reads and device states for one kiosk page, from its agent.
- ``agent:{hall}:{name}``: print jobs for one agent's ticket printer.
- ``counter-print:{hall}:{counter}``: a counter's documents, to the agent whose bus serves it.
- ``counter-card:{hall}:{counter}``: an ID card read at a counter, as that person's cases in the hall
  (server/services/case_register.py), to the clerk's page on the counter's feed.
- ``case:{status_token}``: one case's changes, to its visitor's page.
- ``department:{hall}:{code}``: which of a department's cases changed (receipt numbers only), to its
  workbenches' feeds (server/services/backoffice.py, server/hub/departments.py).
- ``auth``: ended tokens (by hash) and users whose tokens ended or changed, from the process that
  ended them to every process's cache of token holders (server/services/credentials.py).
- ``bookings``: which hall's bookings changed (booked or cancelled), from the process that changed
  them to every process's halls, whose wait estimates expect the booked visitors
  (server/services/appointments.py).
"""

from __future__ import annotations


def hall_channel(hall: str) -> str:
    return f"hall:{hall}"


def dashboard_channel(hall: str) -> str:
    return f"dashboard:{hall}"


def kiosk_channel(hall: str, name: str) -> str:
    return f"kiosk:{hall}:{name}"


def agent_channel(hall: str, name: str) -> str:
    return f"agent:{hall}:{name}"


def counter_print_channel(hall: str, counter: int) -> str:
    """Where a counter's documents go: every agent whose bus serves that counter follows it."""
    return f"counter-print:{hall}:{counter}"


def counter_card_channel(hall: str, counter: int) -> str:
    """The cases of the person whose card was just read at a counter, for its clerk's page."""
    return f"counter-card:{hall}:{counter}"


def case_channel(status_token: str) -> str:
    return f"case:{status_token}"


def department_channel(hall: str, department: str) -> str:
    return f"department:{hall}:{department}"


AUTH_CHANNEL = "auth"
BOOKINGS_CHANNEL = "bookings"
