"""Routes declare what they take and give; the OpenAPI document is generated from that.

``@endpoint("POST", "/halls/{hall}/tickets", body=IssueTicket, ...)`` wraps a handler so that
it receives the request and the validated body. Bad JSON is a 400 and a failed field a 422,
both naming the field, before the handler runs (bodies.py). A body over 1 MiB is a 413
(server/limits.py); a route that takes more (a file import) says so with ``max_body=`` and, for
JSON, ``max_values=``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.params import MAX_COUNTER

from .bodies import MAX_VALUES, parse_body

PREFIX = "/api/v1"
Handler = Callable[..., Awaitable[Response]]


@dataclass(frozen=True)
class ApiSpec:
    method: str
    path: str
    summary: str
    body: type[BaseModel] | None = None
    auth: bool = True
    responses: dict[int, str] = field(default_factory=dict)
    tag: str = "hall"
    max_body: int | None = None  # bytes, if more than ONEWINDOW_MAX_BODY_BYTES (a file import)
    max_values: int = MAX_VALUES  # JSON values in the body (bodies.py)
    query: dict[str, Param] = field(default_factory=dict)
    path_params: dict[str, Param] = field(default_factory=dict)  # where PATH_PARAMS does not say it
    produces: tuple[str, ...] = ("application/json",)  # the media types of its 2xx answers


@dataclass(frozen=True)
class Param:
    """A path or query parameter as the OpenAPI description shows it. The route still parses it
    itself, strictly (server/params.py): this only tells clients, and the schema fuzzer, what it takes."""

    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


def whole(description: str, low: int, high: int, required: bool = False) -> Param:
    return Param(description, {"type": "integer", "minimum": low, "maximum": high}, required)


def day(description: str, required: bool = False) -> Param:
    return Param(description, {"type": "string", "format": "date"}, required)


def choice(description: str, *values: str, required: bool = False) -> Param:
    return Param(description, {"type": "string", "enum": list(values)}, required)


# Path parameters by name, wherever they appear; any other is a string.
PATH_PARAMS: dict[str, Param] = {
    "number": whole("a counter's number", 1, MAX_COUNTER),
    "year": whole("a year the working calendar covers", 2000, 2100),
}


def endpoint(method: str, path: str, summary: str, *, body: type[BaseModel] | None = None, auth: bool = True,
             responses: dict[int, str] | None = None, tag: str = "hall", prefix: str = PREFIX,
             max_body: int | None = None, max_values: int = MAX_VALUES, query: dict[str, Param] | None = None,
             path_params: dict[str, Param] | None = None, produces: tuple[str, ...] = ("application/json",)
             ) -> Callable[[Handler], Route]:
    spec = ApiSpec(method, prefix + path, summary, body, auth, responses or {}, tag, max_body, max_values,
                   query or {}, path_params or {}, produces)

    def wrap(handler: Handler) -> Route:
        async def run(request: Request) -> Response:
            if spec.body is not None:
                return await handler(request, await parse_body(request, spec.body, spec.max_values))
            return await handler(request)

        run.__name__ = handler.__name__
        run.__doc__ = handler.__doc__
        run.__module__ = handler.__module__  # /metrics labels a request by its route's module
        run.__api__ = spec  # type: ignore[attr-defined]
        return Route(spec.path, run, methods=[method])

    return wrap


def route_limits(routes: Sequence[BaseRoute]) -> list[tuple[str, re.Pattern[str], int]]:
    """The routes that take bodies over the default limit, for server/limits.py."""
    out = []
    for route in routes:
        spec: ApiSpec | None = getattr(getattr(route, "endpoint", None), "__api__", None)
        if spec is not None and spec.max_body is not None and isinstance(route, Route):
            out.append((spec.method, route.path_regex, spec.max_body))
    return out
