"""The counter's pages: the clerk's app /counter/{hall}/{number} and the rating tablet …/rate."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain.ratings import LEVELS, REASONS, UNHAPPY
from server.domain.views import hall_info
from server.web import hall_counter, not_found, render, signed_in, to_login


async def counter_page(request: Request) -> Response:
    """The clerk's counter app: signed in with the clerk's account, live over the counter's feed."""
    principal = await signed_in(request)
    if principal is None:
        return to_login(request)
    found = await hall_counter(request)
    if found is None:
        return not_found("没有找到这个窗口", "Counter not found")
    hall, counter = found
    user = {"username": principal.name, "role": principal.role, "name": principal.display_name,
            "manager": principal.is_manager}
    others = [{"number": c.number, "name": c.name}
              for c in hall.config.counters if c.number != counter.number]
    return render("counter.html", hall=hall.config, counter=counter, user=user,
                  page={"hall": hall_info(hall), "counter": counter.number, "user": user, "others": others})


async def rate_page(request: Request) -> Response:
    """好差评 on the tablet facing the visitor: public, lights up when this counter finishes."""
    found = await hall_counter(request)
    if found is None:
        return not_found("没有找到这个窗口", "Counter not found")
    hall, counter = found
    levels = [{"level": level, "label": label} for level, label in LEVELS.items()]
    return render("rate.html", hall=hall.config, counter=counter, levels=levels, reasons=REASONS,
                  page={"hall": hall_info(hall), "counter": counter.number, "unhappy": UNHAPPY})


ROUTES = [
    Route("/counter/{hall}/{number}", counter_page),
    Route("/counter/{hall}/{number}/rate", rate_page),
]
