"""The OpenAPI 3.1 description of every ``/api/v1`` route, generated from what the routes declare
(declare.py): their parameters, bodies and answers.

It must be true, since clients and the schema fuzzer (tests/api/test_schema_fuzz.py) hold the
server to it: besides what a route lists itself, every error any route can give is listed where it
can happen: 404 when the address names something (an unknown hall, counter, ticket, year …), 400
for a NUL in the address (server/limits.py) and for bad JSON, 413 and 422 for bodies, 422 for a bad
query value, 401 and 403 where credentials are needed, and 503 everywhere (the database or the bus
is away).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from .declare import PATH_PARAMS, ApiSpec, Param

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _answer(spec: ApiSpec, code: int, description: str) -> dict[str, Any]:
    if code == 204 or code >= 300:
        return {"description": description}
    return {"description": description, "content": {media_type: {} for media_type in spec.produces}}


def _parameter(name: str, where: str, param: Param) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path" or param.required,
            "description": param.description, "schema": param.schema}


def _parameters(spec: ApiSpec) -> list[dict[str, Any]]:
    names = [seg[1:-1].split(":")[0] for seg in spec.path.split("/") if seg.startswith("{")]
    out = [_parameter(name, "path", spec.path_params.get(name) or PATH_PARAMS.get(name) or Param(name))
           for name in names]
    return out + [_parameter(name, "query", param) for name, param in spec.query.items()]


def _responses(spec: ApiSpec) -> dict[str, Any]:
    out: dict[str, Any] = {str(code): (_answer(spec, code, text) if code < 400 else _error(text))
                           for code, text in spec.responses.items()}
    if not any(code < 300 for code in spec.responses):
        out["200"] = _answer(spec, 200, "OK")
    implied: list[tuple[bool, int, str]] = [
        ("{" in spec.path, 404, "the address names nothing known (hall, counter, ticket …)"),
        ("{" in spec.path or bool(spec.query), 400, "a NUL character in the address"),
        (spec.body is not None, 400, "the body is not a JSON object"),
        (spec.body is not None, 413, "the body is over its size limit"),
        (spec.body is not None or bool(spec.query), 422, "a field or query value is not acceptable (named)"),
        (spec.auth, 401, "no credentials, or unknown, expired or revoked ones"),
        (spec.auth, 403, "these credentials may not do this"),
        (True, 503, "the database or the event bus is unavailable; retry after Retry-After"),
    ]
    for applies, code, text in implied:
        if applies:
            out.setdefault(str(code), _error(text))
    return out


def openapi(routes: list[BaseRoute], title: str, version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
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
        parameters = _parameters(spec)
        if parameters:
            op["parameters"] = parameters
        if spec.body is not None:
            schema = spec.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[spec.body.__name__] = schema
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{spec.body.__name__}"}}}}
        if spec.auth:
            op["security"] = [{"bearer": []}, {"session": []}]
        op["responses"] = _responses(spec)
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "onewindow_session"}}},
    }
