"""The counter's pages: the clerk's app /counter/{hall}/{number} and the rating tablet …/rate."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.hall import Hall
from server.domain.model import Counter
from server.domain.ratings import LEVELS, REASONS, UNHAPPY
from server.domain.views import hall_info
from server.web import hall_counter, keep_device_token, not_found, render, signed_in, to_login

RATE_COOKIE = "onewindow_rate"


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


def _tablet_unconfigured(hall: Hall, counter: Counter, reason: str, reason_en: str) -> Response:
    return render("rate_unconfigured.html", status=403, hall=hall.config, counter=counter, reason=reason,
                  reason_en=reason_en)


async def rate_page(request: Request) -> Response:
    """好差评 on the tablet facing the visitor: lights up when this counter finishes. The tablet is
    a device of its counter, set up once (as the kiosk is) with ``?token=COUNTER_TOKEN`` (a counter
    token bound to this counter): the token goes into an HttpOnly cookie for this page's path alone
    and the page reloads without it in the address; the page's script sends it as its bearer token,
    without which the rating API answers nobody."""
    found = await hall_counter(request)
    if found is None:
        return not_found("没有找到这个窗口", "Counter not found")
    hall, counter = found
    given = request.query_params.get("token")
    token = given or request.cookies.get(RATE_COOKIE)
    if not token:
        return _tablet_unconfigured(hall, counter, "本评价器尚未配置令牌。", "This tablet has no token yet.")
    principal = await ctx(request).principal_for_token(token)
    if (principal is None or principal.kind != "device" or principal.role != "counter"
            or principal.hall != hall.config.code or principal.counter != counter.number):
        return _tablet_unconfigured(hall, counter, f"令牌无效或不属于{counter.name}。",
                                    "The token is not this counter's.")
    if given:
        return keep_device_token(request, RATE_COOKIE, request.url.path)
    levels = [{"level": level, "label": label} for level, label in LEVELS.items()]
    return render("rate.html", hall=hall.config, counter=counter, levels=levels, reasons=REASONS,
                  page={"hall": hall_info(hall), "counter": counter.number, "unhappy": UNHAPPY, "token": token})


ROUTES = [
    Route("/counter/{hall}/{number}", counter_page),
    Route("/counter/{hall}/{number}/rate", rate_page),
]
