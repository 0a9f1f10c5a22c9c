"""The kiosk's page: /kiosk/{hall}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.hall import Hall
from server.domain.views import hall_info
from server.params import whole_number
from server.services import catalog
from server.web import keep_device_token, not_found, public_hall, render

KIOSK_COOKIE = "onewindow_kiosk"
IDLE_S = 30


def _kiosk_unconfigured(hall: Hall, reason: str, reason_en: str) -> Response:
    return render("kiosk_unconfigured.html", status=403, hall=hall.config, reason=reason, reason_en=reason_en)


async def kiosk_page(request: Request) -> Response:
    """The self-service ticket machine. It is set up once with ``?token=KIOSK_TOKEN``: the token
    goes into an HttpOnly cookie (path /kiosk/) and the page reloads without it in the address; from
    then on the server reads the cookie and renders the token into the page, whose script needs it
    to issue tickets and to open the kiosk feed. ``?idle=S`` shortens the 30 s return home (tests)."""
    hall = await public_hall(request)
    if hall is None:
        return not_found("没有找到这个大厅", "Hall not found")
    code = hall.config.code
    given = request.query_params.get("token")
    token = given or request.cookies.get(KIOSK_COOKIE)
    if not token:
        return _kiosk_unconfigured(hall, "本机尚未配置取号令牌。", "This kiosk has no token yet.")
    principal = await ctx(request).principal_for_token(token)
    if (principal is None or principal.kind != "device" or principal.role != "kiosk"
            or not principal.in_hall(code)):
        return _kiosk_unconfigured(hall, "取号令牌无效或不属于本大厅。",
                                   "The kiosk token is not valid for this hall.")
    if given:
        return keep_device_token(request, KIOSK_COOKIE, "/kiosk/")
    raw_idle = request.query_params.get("idle", "")
    idle = whole_number(raw_idle, 1, 24 * 3600) or IDLE_S
    items = await catalog.items(ctx(request), code)
    page = {"hall": hall_info(hall), "kiosk": principal.name, "token": token, "idle_s": idle,
            "items": [{"code": i["code"], "name": i["name"], "queue": i["queue"], "pinyin": i["pinyin"]}
                      for i in items]}
    return render("kiosk.html", hall=hall.config, page=page)


ROUTES = [
    Route("/kiosk/{hall}", kiosk_page),
]
