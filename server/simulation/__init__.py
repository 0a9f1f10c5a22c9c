"""The hall-day simulator (issue 22): the real :class:`~server.domain.hall.Hall` driven through
whole days by a simulated clock. Pure: it imports the domain (and the SVG charts), never the store.

- ``profile``: what a day looks like (arrivals, service times, counters' schedules, clerks), read
  from TOML (docs/simulation.md lists every key);
- ``run``: :func:`~server.simulation.run.simulate`, a discrete-event simulation whose every action
  is a Hall command, with what-if changes;
- ``result``: waits, utilisation, abandonment and the timeline, as a table, JSON or SVG charts;
- ``fit``: a profile fitted from a hall's history (plain rows; the query is server/store/history.py).
"""

from .profile import Profile, ProfileError, load_profile, parse_profile
from .result import Result, Visit
from .run import Change, CloseCounter, OpenCounter, ServeAlso, simulate

__all__ = ["Change", "CloseCounter", "OpenCounter", "Profile", "ProfileError", "Result", "ServeAlso", "Visit",
           "load_profile", "parse_profile", "simulate"]
