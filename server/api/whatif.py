"""The dashboard's 排队预测 (issue 22): a what-if over the rest of today, and the calling policies
compared over a month of the hall's history. Managers (and the admin) of the hall; the rules and
the simulations are server/services/whatif.py, docs/simulation.md ("What-if on the dashboard")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.params import MAX_COUNTER
from server.services import whatif

from .declare import Param, endpoint
from .errors import JSONResponse
from .schemas import Body

QueueCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)]


class WhatIfChange(Body):
    kind: Literal["open_counter", "serve_also", "close_counter"] = Field(
        description="open_counter: the counter opens (or, open, takes over) serving `queues` (default: its own); "
                    "serve_also: it also serves `queue`; close_counter: it closes for the rest of the day")
    counter: int = Field(ge=1, le=MAX_COUNTER, description="a counter of the hall")
    queues: list[QueueCode] | None = Field(default=None, max_length=20, description="open_counter: what it serves")
    queue: QueueCode | None = Field(default=None, description="serve_also: the queue it also serves")
    at: str | None = Field(default=None, pattern=r"^[0-9]{2}:[0-9]{2}$",
                           description="hall-local HH:MM today (absent or past: now)")


class WhatIf(Body):
    changes: list[WhatIfChange] = Field(default_factory=list, max_length=whatif.MAX_CHANGES,
                                        description="none: the rest of the day as it is, and the arrivals ahead")


@endpoint("POST", "/halls/{hall}/whatif", "What-if: the rest of today simulated as it is and with changes "
          "(managers)", body=WhatIf, tag="dashboard",
          responses={200: "{at, horizon_until, basis, changes, queues: [{code, name, changed, before: {avg_wait_s, "
                          "p90_wait_s, within_30, visitors, unserved}, after: {…}}], total, arrivals_next_2h: "
                          "[{code, name, expected}], seeds, elapsed_ms}",
                     403: "not a manager of this hall",
                     409: "not_enough_history: no tickets on the same weekday of the last weeks"})
async def post_whatif(request: Request, body: WhatIf) -> Response:
    """From the hall's state now, on a profile fitted from the same weekday of the last four weeks;
    a few seeds pooled, the same visitors in both runs. A bad change is a 422 naming
    ``changes.N.counter``, ``changes.N.queues`` (or ``queue``) or ``changes.N.at``."""
    assert isinstance(body, WhatIf)
    principal = await require_principal(request)
    asked = [whatif.ChangeRequest(c.kind, c.counter, tuple(c.queues or ()) + ((c.queue,) if c.queue else ()), c.at)
             for c in body.changes]
    return JSONResponse(await whatif.what_if(ctx(request), principal, request.path_params["hall"], asked))


@endpoint("GET", "/halls/{hall}/whatif/policies", "The calling policies compared over a month of the hall's "
          "history (managers)", tag="dashboard",
          query={"month": Param("YYYY-MM (default: last month)",
                                {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"})},
          responses={200: "{month, from, to, days, weekdays, current, policies: [{kind, name, current, walk_in, "
                          "priority, all}], elapsed_ms}",
                     403: "not a manager of this hall", 409: "not_enough_history: no tickets in that month"})
async def get_policies(request: Request) -> Response:
    """Each weekday of the month fitted from its own days and simulated under the default (guarded),
    strict priority, N:1 (ratio) and weighted ageing policies, with the hall's own K, T and weight."""
    principal = await require_principal(request)
    return JSONResponse(await whatif.policy_comparison(ctx(request), principal, request.path_params["hall"],
                                                       request.query_params.get("month")))


ROUTES: list[BaseRoute] = [post_whatif, get_policies]
