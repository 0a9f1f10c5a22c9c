"""Routes declare what they take and give; the OpenAPI document is generated from that.

``@endpoint("POST", "/halls/{hall}/tickets", body=IssueTicket, ...)`` wraps a handler so that
it receives the request and the validated body. Bad JSON is a 400 and a failed field a 422,
both naming the field, before the handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .errors import ApiError

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


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


async def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"请求体不是有效的 JSON (body is not valid JSON: {exc})", "body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "请求体须为 JSON 对象 (body must be a JSON object)", "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _field_name(first["loc"])
        raise ApiError(422, "invalid_field", f"字段 {name} 无效: {first['msg']} (field {name!r}: {first['msg']})",
                       name) from None


def endpoint(method: str, path: str, summary: str, *, body: type[BaseModel] | None = None, auth: bool = True,
             responses: dict[int, str] | None = None, tag: str = "hall", prefix: str = PREFIX
             ) -> Callable[[Handler], Route]:
    spec = ApiSpec(method, prefix + path, summary, body, auth, responses or {}, tag)

    def wrap(handler: Handler) -> Route:
        async def run(request: Request) -> Response:
            if spec.body is not None:
                return await handler(request, await parse_body(request, spec.body))
            return await handler(request)

        run.__name__ = handler.__name__
        run.__doc__ = handler.__doc__
        run.__api__ = spec  # type: ignore[attr-defined]
        return Route(spec.path, run, methods=[method])

    return wrap


# ---------------------------------------------------------------- OpenAPI
def _error_ref() -> dict[str, Any]:
    return {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi(routes: list[BaseRoute], title: str, version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}}
    for route in routes:
        handler = getattr(route, "endpoint", None)
        spec: ApiSpec | None = getattr(handler, "__api__", None)
        if spec is None:
            continue
        op: dict[str, Any] = {"summary": spec.summary, "tags": [spec.tag],
                              "operationId": getattr(route, "name", spec.path)}
        doc = handler.__doc__
        if doc:
            op["description"] = doc.strip()
        params = [seg[1:-1].split(":")[0] for seg in spec.path.split("/") if seg.startswith("{")]
        if params:
            op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                for p in params]
        if spec.body is not None:
            schema = spec.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[spec.body.__name__] = schema
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{spec.body.__name__}"}}}}
        responses: dict[str, Any] = {str(code): {"description": text} for code, text in spec.responses.items()}
        if not any(code < 300 for code in spec.responses):
            responses["200"] = {"description": "OK"}
        if spec.body is not None:
            responses["400"] = _error_ref()
            responses["422"] = _error_ref()
        if spec.auth:
            responses["401"] = _error_ref()
            responses["403"] = _error_ref()
            op["security"] = [{"bearer": []}, {"session": []}]
        op["responses"] = responses
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "onewindow_session"}}},
    }
