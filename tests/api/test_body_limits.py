"""Body limits in process (security issue, point 5): a route may declare a larger body, and a JSON
body's values are bounded before the model sees them. tests/live/test_request_limits.py has the
same limits against a real server."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from server.api.declare import endpoint, route_limits
from server.api.errors import EXCEPTION_HANDLERS, JSONResponse
from server.api.schemas import Body
from server.limits import RequestLimits
from tests.api.conftest import login


class Rows(Body):
    rows: list[str]


async def took(request: Request, body: BaseModel) -> Response:
    assert isinstance(body, Rows)
    return JSONResponse({"rows": len(body.rows)})


def app() -> Starlette:
    """Two routes with the same body: one keeps the default limit, one declares a file import's."""
    routes = [endpoint("POST", "/plain", "plain", body=Rows, auth=False)(took),
              endpoint("POST", "/import", "import", body=Rows, auth=False, max_body=64 * 1024, max_values=20_000)(took)]
    return Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS,
                     middleware=[Middleware(RequestLimits, max_body=16 * 1024, routes=route_limits(routes))])


def test_a_route_may_declare_a_larger_body_and_more_values() -> None:
    client = TestClient(app())
    rows = {"rows": ["x"] * 10_000}  # 50 kB, 10,000 values
    plain = client.post("/api/v1/plain", json=rows)
    assert plain.status_code == 413 and plain.json()["error"]["code"] == "body_too_large"
    assert plain.headers["connection"] == "close"
    assert client.post("/api/v1/import", json=rows).json() == {"rows": 10_000}
    assert client.post("/api/v1/import", json={"rows": ["x"] * 20_000}).status_code == 413  # 100 kB
    assert client.post("/api/v1/plain", json={"rows": ["x"] * 100}).json() == {"rows": 100}


def test_a_chunked_body_over_the_limit_is_a_413() -> None:
    client = TestClient(app())
    chunks = iter([b'{"rows": [', *[b'"x",' * 1000] * 10, b'"x"]}'])  # no Content-Length: chunked
    response = client.post("/api/v1/plain", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


def test_values_are_bounded_before_the_model_at_any_depth(sqlite_client: TestClient) -> None:
    clerk = login(sqlite_client, "clerk04")
    assert sqlite_client.post("/api/v1/halls/jinan/counters/4/open", headers=clerk).status_code == 200
    applicant = {"name": "王小明", **{f"k{i}": i for i in range(6000)}}
    response = sqlite_client.post("/api/v1/halls/jinan/cases", headers=clerk, json={"item": "B02",
                                                                                    "applicant": applicant})
    assert response.status_code == 422 and response.json()["error"] == {
        "code": "too_many_values", "field": "applicant",
        "message": "请求体中的值过多，最多 5000 个 (the body holds more than 5000 values; at 'applicant')"}
    unknown = sqlite_client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "k0": 0, "k1": 1})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "k0"
    nul_key = sqlite_client.post("/api/v1/halls/jinan/cases", headers=clerk,
                                 json={"item": "B02", "applicant": {"name": "王小明", "a\u0000": 1}})
    assert nul_key.status_code == 422 and nul_key.json()["error"]["field"] == "applicant.a\u0000"
