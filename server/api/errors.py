"""The CONTRACT error shape, and the one place where exceptions become HTTP answers."""

from __future__ import annotations

import logging
import math
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from server.bus import BusUnavailable
from server.domain import errors
from server.domain.errors import DomainError
from server.engine import READS, StorageError
from server.limits import BodyTooLarge, too_large_message
from server.outage import STORAGE_ERRORS

log = logging.getLogger("onewindow.api")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.headers = status, code, message, field, headers


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None, details: dict[str, object] | None = None
                   ) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    body.update(details or {})
    return JSONResponse({"error": body}, status_code=status, headers=headers)


_HTTP_CODES = {404: ("not_found", "没有这个地址 (no such endpoint)"),
               405: ("method_not_allowed", "不支持此请求方法 (method not allowed)")}


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)


# The branches of the domain's refusals (server/domain/errors.py) and their HTTP statuses: the
# domain knows none of them. The first that matches wins; a plain DomainError is a conflict.
DOMAIN_STATUSES: tuple[tuple[type[DomainError], int], ...] = (
    (errors.NotFound, 404), (errors.NotAuthenticated, 401), (errors.Forbidden, 403),
    (errors.InvalidInput, 422), (errors.RateLimited, 429), (DomainError, 409),
)


def domain_status(exc: DomainError) -> int:
    return next(status for kind, status in DOMAIN_STATUSES if isinstance(exc, kind))


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = None
    if isinstance(exc, errors.RateLimited):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    return error_response(domain_status(exc), exc.code, exc.message, exc.field, headers, exc.details())


RETRY_AFTER_S = "2"


async def on_storage_error(request: Request, exc: Exception) -> Response:
    """The database or the bus is away: 503 with Retry-After on every path. Logged once per
    outage by the engine or the bus (server/outage.py), never a traceback per request."""
    if isinstance(exc, BusUnavailable):
        return error_response(503, "bus_unavailable",
                              "实时消息服务暂时不可用，请稍后重试 (the event bus is unavailable; retry)",
                              headers={"Retry-After": RETRY_AFTER_S})
    if not isinstance(exc, StorageError):  # a path that queried the database without the engine
        context = getattr(request.state, "ctx", None)
        if context is not None:
            context.engine.storage.failed(exc, READS)
    return error_response(503, "storage_unavailable",
                          "数据库暂时不可用，请稍后重试 (the database is unavailable; retry)",
                          headers={"Retry-After": RETRY_AFTER_S})


async def on_body_too_large(request: Request, exc: Exception) -> Response:
    """A chunked body past its limit (server/limits.py); the connection is closed, not read to its end."""
    assert isinstance(exc, BodyTooLarge)
    return error_response(413, "body_too_large", too_large_message(exc.limit), headers={"Connection": "close"})


async def on_client_gone(request: Request, exc: Exception) -> Response:
    """The client went away, or was cut off (server/serving.py), before its body arrived: no server
    error and nothing to log; the answer goes nowhere."""
    return error_response(400, "client_disconnected", "请求未发送完整 (the request was not sent whole)")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    return error_response(exc.status_code, code, message)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    if isinstance(exc, OUTAGES):  # raised in a middleware, outside the routes' handlers
        return await on_storage_error(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "服务器内部错误，已记录 (internal error; it has been logged)")


OUTAGES: tuple[type[BaseException], ...] = (StorageError, BusUnavailable, *STORAGE_ERRORS)

EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: on_api_error,
    DomainError: on_domain_error,
    BodyTooLarge: on_body_too_large,
    ClientDisconnect: on_client_gone,
    **dict.fromkeys(OUTAGES, on_storage_error),
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
