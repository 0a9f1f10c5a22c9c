"""The screens' pages: the wall display /display/{hall} and the counter screen
/display/{hall}/counter/{number}. The announcer is a script of the wall display's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain.views import hall_info
from server.web import hall_counter, not_found, public_hall, render


async def display_page(request: Request) -> Response:
    """The hall's wall screen: the hall's layout embedded, everything live over the public
    display feed. Options in the address: ?queues=A,B ?repeat=N ?rate=R ?token=DISPLAY_TOKEN."""
    hall = await public_hall(request)
    if hall is None:
        return not_found("没有找到这个大厅", "Hall not found")
    return render("display.html", hall=hall.config, page={"hall": hall_info(hall)})


async def counter_screen_page(request: Request) -> Response:
    """The small screen above one window, following the same public feed."""
    found = await hall_counter(request)
    if found is None:
        return not_found("没有找到这个窗口", "Counter not found")
    hall, counter = found
    return render("counter_screen.html", hall=hall.config, counter=counter,
                  page={"hall": hall_info(hall), "counter": counter.number})


ROUTES = [
    Route("/display/{hall}", display_page),
    Route("/display/{hall}/counter/{number}", counter_screen_page),
]
