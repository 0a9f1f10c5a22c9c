"""JSON request bodies: parsed, checked, then validated by the route's model (server/api/schemas.py).

pydantic builds an error object for every value that fails, and the answer names only the first:
a 1 MiB body of 80,000 unknown keys, or a list of 250,000 bad dates, kept the event loop busy for
a second or more (security issue, point 5). So before the model sees the body:

- an unknown top-level field is refused by name, the first one, without an error per key;
- a body holds at most ``max_values`` JSON values (each key's value, each array item), counted as
  they are walked and no further: whatever pydantic then reports is bounded by that;
- text with a NUL character is refused naming its field, since PostgreSQL refuses NUL in text
  (point 7; server/limits.py keeps NUL out of addresses).

The body's size was bounded before it was read (server/limits.py). Small bodies (the ticket
path's ``{"queue": "A"}``) are never walked: a value takes at least one byte, so a body no longer
than ``max_values`` bytes holds no more values than that.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from .errors import ApiError

MAX_VALUES = 5_000  # per body; a route may declare more (declare.py endpoint(max_values=...))
NUL_ESCAPE = b"\\u0000"  # how JSON writes NUL inside a string (a bare NUL byte is not valid JSON)


def field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def _shown(name: str) -> str:
    return name if len(name) <= 40 else name[:40] + "…"


@functools.cache
def known_fields(model: type[BaseModel]) -> frozenset[str] | None:
    """The top-level keys ``model`` takes (names and aliases), or None if it takes any."""
    if model.model_config.get("extra") != "forbid":
        return None
    names = set(model.model_fields)
    names.update(f.alias for f in model.model_fields.values() if f.alias)
    return frozenset(names)


async def parse_body(request: Request, model: type[BaseModel], max_values: int = MAX_VALUES) -> BaseModel:
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"请求体不是有效的 JSON (body is not valid JSON: {exc})", "body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "请求体须为 JSON 对象 (body must be a JSON object)", "body")
    known = known_fields(model)
    if known is not None:
        unknown = next((key for key in data if key not in known), None)
        if unknown is not None:
            name = _shown(unknown)
            raise ApiError(422, "invalid_field", f"字段 {name} 无效: 不接受此字段 (field {name!r}: unknown field)",
                           name)
    if len(raw) > max_values or NUL_ESCAPE in raw:
        inspect(data, max_values)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        name = field_name(first["loc"])
        raise ApiError(422, "invalid_field", f"字段 {name} 无效: {first['msg']} (field {name!r}: {first['msg']})",
                       name) from None


def inspect(data: dict[str, Any], max_values: int) -> None:
    """Walks the parsed body: at most ``max_values`` values, and no NUL in any text or key."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    count = 0
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            count += len(value)
            items: Any = value.items()
        elif isinstance(value, list):
            count += len(value)
            items = enumerate(value)
        else:
            if isinstance(value, str) and "\x00" in value:
                _refuse_nul(path)
            continue
        if count > max_values:
            name = _shown(field_name(path))
            raise ApiError(422, "too_many_values", f"请求体中的值过多，最多 {max_values} 个 (the body holds more "
                                                   f"than {max_values} values; at {name!r})", name)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                _refuse_nul((*path, key))
            stack.append(((*path, key), item))


def _refuse_nul(path: tuple[Any, ...]) -> None:
    name = _shown(field_name(path))
    raise ApiError(422, "invalid_field", f"字段 {name} 不能含有空字符 (field {name!r} must not contain a NUL "
                                         "character)", name)
