"""What the fronts' pages share: the templates (each front's ``templates/`` and the shared ones in
``server/templates/``), ``/static`` (the shared ``static/`` and each front's ``static/``, one URL
space), the login and index pages, and the small helpers every front's routes use.

The fronts (``kiosk``, ``counters``, ``displays``, ``dashboard``, ``visitor``) import this module;
it never imports them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth import Principal
from server.context import ctx, session_token
from server.domain import passwords
from server.domain.errors import UnknownHall
from server.domain.hall import Hall
from server.domain.model import Counter
from server.params import MAX_COUNTER, whole_number
from server.services.layout import public_halls

FRONTS = ("kiosk", "counters", "displays", "dashboard", "visitor", "admin", "backoffice", "prereview", "guide")
HERE = Path(__file__).resolve().parent
# The assets several fronts share (live.js, hall_model.js, base.css, the sounds, …). In the source
# tree server/static is a link to the top-level static/; the wheel carries the files themselves
# there (pyproject.toml), so both an editable and a plain install find them at this path.
SHARED_STATIC = HERE / "static"

TEMPLATES = Environment(
    loader=ChoiceLoader([FileSystemLoader(HERE / "templates"),
                         *(PackageLoader(front, "templates") for front in FRONTS)]),
    autoescape=select_autoescape(["html"]))
TEMPLATES.globals["password_rule"] = passwords.RULE  # the login page's and the staff tab's words for it


# Every page's script, style, font, sound and socket comes from this server (no CDN, no inline
# code), so the policy can be strict: an injected <script> or onclick never runs, no other site
# may frame a page (a counter's buttons under a transparent overlay), and nothing is sniffed.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; font-src 'self'; media-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status, headers=PAGE_HEADERS)


def static_files() -> ASGIApp:
    """``/static``: the shared ``static/`` first, then each front's ``static/``, all with the same
    ``js/``, ``css/`` layout, so ``/static/js/kiosk.js`` and ``/static/js/hall_model.js`` are
    neighbours for the browser (module imports such as ``./hall_model.js`` resolve)."""
    return NoSniff(StaticFiles(directory=SHARED_STATIC, packages=[(front, "static") for front in FRONTS]))


def static_sources() -> list[Path]:
    """The folders ``/static`` is served from, in the order a name is looked up (the first wins)."""
    import importlib

    fronts = [Path(importlib.import_module(front).__file__ or "").resolve().parent / "static" for front in FRONTS]
    return [SHARED_STATIC, *(folder for folder in fronts if folder.is_dir())]


def collect_static(target: Path) -> int:
    """Copies every file ``/static`` serves into ``target`` under the same URL path, so a proxy in
    front (nginx, deploy/nginx/onewindow.conf) can serve them itself; returns how many. A file
    that left the sources since the last collection is removed, so a release never serves an old
    script beside the new ones."""
    import shutil

    chosen: dict[Path, Path] = {}
    for source in static_sources():
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                chosen.setdefault(path.relative_to(source), path)
    target.mkdir(parents=True, exist_ok=True)
    for relative, path in chosen.items():
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    for stale in [path for path in target.rglob("*") if path.is_file() and path.relative_to(target) not in chosen]:
        stale.unlink()
    return len(chosen)


class NoSniff:
    """Static files keep the type their name gives them: a browser never runs a .txt or .svg as script."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, send_nosniff)


def keep_device_token(request: Request, cookie: str, path: str) -> Response:
    """A device page set up once with ``?token=``: the token goes into an HttpOnly cookie for ``path``
    (Secure when the page came over HTTPS) and the page reloads without it in the address, so it is
    neither in the history nor in a photo of the screen."""
    rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
    response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
    response.set_cookie(cookie, request.query_params["token"], max_age=10 * 365 * 24 * 3600, path=path,
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def not_found(title: str, title_en: str) -> Response:
    return render("not_found.html", status=404, title=title, title_en=title_en,
                  message="请核对网址是否完整，或联系大厅管理人员。",
                  message_en="Please check the address, or ask the hall's staff.")


async def public_hall(request: Request) -> Hall | None:
    """The hall named by ``{hall}`` in the address, or None."""
    try:
        return await ctx(request).engine.hall(request.path_params["hall"])
    except UnknownHall:
        return None


async def hall_counter(request: Request) -> tuple[Hall, Counter] | None:
    """The hall and counter named by ``{hall}`` and ``{number}`` in the address, or None."""
    hall = await public_hall(request)
    number = whole_number(request.path_params["number"], 1, MAX_COUNTER)
    counter = hall.counters.get(number) if hall is not None and number is not None else None
    return (hall, counter) if hall is not None and counter is not None else None


async def _session_holder(request: Request) -> Principal | None:
    token = session_token(request)
    return await ctx(request).principal_for_token(token) if token else None


async def signed_in(request: Request) -> Principal | None:
    """The staff member signed in on this browser (the session cookie), or None; None too while they
    must change a password someone else chose: the login page (to_login) asks them to first."""
    principal = await _session_holder(request)
    return None if principal is None or principal.must_change_password else principal


async def staff_and_hall(request: Request) -> tuple[Principal, Hall] | Response:
    """A staff page's first checks: who is signed in on this browser and the hall named by
    ``{hall}``; else the answer to send instead (the login page, which comes back here, or 404)."""
    principal = await signed_in(request)
    if principal is None:
        return to_login(request)
    hall = await public_hall(request)
    if hall is None:
        return not_found("没有找到这个大厅", "Hall not found")
    return principal, hall


def to_login(request: Request) -> Response:
    """Off to the login page, which comes back here once signed in, with the page's own query
    (a guide's ``?desk=``, a counter screen's options) kept."""
    query = request.url.query
    back = request.url.path + (f"?{query}" if query else "")
    return RedirectResponse("/login?next=" + quote(back, safe="/"), status_code=303)


def same_site_path(raw: str | None) -> str:
    r"""``raw`` when it is a path of this site, else "/": one "/" not followed by "/" or "\" (a
    browser reads //host and /\host as another site), no backslash, no control character (the URL
    parser drops tabs and newlines: "/<TAB>/host" is "//host"), no scheme or host."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        return "/"
    parts = urlsplit(raw)
    return raw if not parts.scheme and not parts.netloc else "/"


async def login_page(request: Request) -> Response:
    """``?next=``: where to go once signed in; only a path of this site (login.js checks it again).
    A session whose password someone else chose gets the password change form straight away."""
    principal = await _session_holder(request)
    change = principal is not None and principal.must_change_password
    return render("login.html", next=same_site_path(request.query_params.get("next")),
                  must_change=principal.name if change and principal else "")


async def index(request: Request) -> Response:
    """Each hall's pages, for whoever sets up the PCs of a hall; the administration's."""
    return render("index.html", halls=await public_halls(ctx(request)))


ROUTES = [
    Route("/", index),
    Route("/login", login_page),
]
