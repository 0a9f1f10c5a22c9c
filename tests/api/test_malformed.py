"""Every endpoint, fed every kind of bad input, answers a 4xx in the CONTRACT shape: never a 5xx."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.api.conftest import KIOSK, login

BAD_BODIES: list[bytes] = [
    b"", b"{", b"[]", b"null", b"42", b'"text"', b"\xff\xfe", b'{"queue": 5}', b'{"queue": null}',
    b'{"queue": "A", "surprise": 1}', b'{"number": ["A001"]}', b'{"reason": ""}', b'{"counter": "two"}',
    b'{"counter": -1}', b'{"queue": "' + b"A" * 10000 + b'"}', b'{"username": 1, "password": {}}',
    b'{"priority": "royalty", "queue": "A"}', b'{"channel": "appointment", "queue": "A"}',
    b'{"number": "\'; drop table tickets; --"}', b'{"queue": "A\\u0000"}',
]
PARAMS = {"hall": ["jinan", "nowhere", "%00", "j" * 300], "number": ["1", "0", "99", "x", "-1", "1e3"],
          "status_token": ["nope", "a" * 500]}

json_values = st.recursive(st.none() | st.booleans() | st.integers()
                           | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=8)


def endpoints(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops]


def fill(path: str, choice: int) -> str:
    for name, values in PARAMS.items():
        path = path.replace("{" + name + "}", values[choice % len(values)])
    return path


def assert_contract_error(response: object, where: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status < 500, f"{where} -> {status}: {response.text}"  # type: ignore[attr-defined]
    if status >= 400:
        error = response.json()["error"]  # type: ignore[attr-defined]
        assert error["code"] and error["message"], where


def test_bad_bodies_and_paths_never_yield_a_5xx(sqlite_client: TestClient) -> None:
    client = sqlite_client
    manager = login(client, "manager")
    client.post("/api/v1/halls/jinan/counters/1/open", headers=manager)
    for method, template in endpoints(client):
        for choice in range(4):
            path = fill(template, choice)
            for headers in (manager, KIOSK, {}):
                for body in BAD_BODIES:
                    response = client.request(method, path, content=body,
                                              headers={**headers, "Content-Type": "application/json"})
                    assert_contract_error(response, f"{method} {path} {body[:40]!r}")


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer  ", "bearer x y", "Token abc"])
def test_malformed_authorization_is_a_401(sqlite_client: TestClient, header: str) -> None:
    response = sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "A"}, headers={"Authorization": header})
    assert response.status_code == 401 and response.json()["error"]["field"] == "Authorization"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values)
def test_random_json_to_the_busiest_endpoints(sqlite_client: TestClient, body: object) -> None:
    client = sqlite_client
    manager = login(client, "manager")
    for path in ("/api/v1/halls/jinan/tickets", "/api/v1/halls/jinan/counters/1/transfer",
                 "/api/v1/halls/jinan/counters/1/pause", "/api/v1/auth/login"):
        assert_contract_error(client.post(path, json=body, headers=manager), f"POST {path} {body!r}")
