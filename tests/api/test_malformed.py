"""Every endpoint, fed every kind of bad input, answers a 4xx in the CONTRACT shape: never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from server.app import create_app
from server.domain.clock import FakeClock
from server.settings import Settings
from tests.api.conftest import KIOSK, SECRET, login, seed
from tests.api.test_appointments import booking
from tests.api.test_cases import APPLICANT, PHONE
from tests.conftest import HALL_MORNING

BAD_BODIES: list[bytes] = [
    b"", b"{", b"[]", b"null", b"42", b'"text"', b"\xff\xfe", b'{"queue": 5}', b'{"queue": null}',
    b'{"queue": "A", "surprise": 1}', b'{"number": ["A001"]}', b'{"reason": ""}', b'{"counter": "two"}',
    b'{"counter": -1}', b'{"queue": "' + b"A" * 10000 + b'"}', b'{"username": 1, "password": {}}',
    b'{"priority": "royalty", "queue": "A"}', b'{"channel": "appointment", "queue": "A"}',
    b'{"number": "\'; drop table tickets; --"}', b'{"queue": "A\\u0000"}',
]
# fill() takes the first four of each; Unicode digits and 5,000 digits once yielded 500s (point 7)
PARAMS = {"hall": ["jinan", "nowhere", "%00", "j" * 300], "number": ["1", "\u00b2", "9" * 5000, "-1"],
          "status_token": ["nope", "a" * 500, "a%00b", "\u00e9"], "year": ["2026", "\u00b2", "9" * 5000, "0"],
          "id": ["1", "\u00b2", "5343782798", "x"]}

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


# ------------------------------------------------ inputs that once yielded a 5xx (security issue, point 7)
# Unicode digits pass str.isdigit() but not int(); 5,000 digits pass both but not int()'s digit limit;
# dates at the calendar's edge overflow a day's or a month's arithmetic; PostgreSQL refuses NUL in text.
SUPERSCRIPT, HUGE, TWENTY_DIGITS = "²", "9" * 5000, "1" * 20
EDGE_CASES: list[tuple[str, str, str]] = [  # method, address, who ("" anonymous, "manager", "admin", "kiosk")
    ("GET", f"/api/v1/calendar/{SUPERSCRIPT}", ""), ("GET", f"/api/v1/calendar/{HUGE}", ""),
    ("GET", f"/api/v1/halls/jinan/counters/{SUPERSCRIPT}", "manager"),
    ("POST", f"/api/v1/halls/jinan/counters/{SUPERSCRIPT}/open", "manager"),
    ("POST", f"/api/v1/halls/jinan/counters/{HUGE}/open", "manager"),
    ("GET", f"/api/v1/halls/jinan/counters/{TWENTY_DIGITS}/current", "manager"),
    ("GET", f"/display/jinan/counter/{SUPERSCRIPT}", ""), ("GET", f"/display/jinan/counter/{HUGE}", ""),
    ("GET", f"/counter/jinan/{SUPERSCRIPT}", "manager"), ("GET", f"/counter/jinan/{SUPERSCRIPT}/rate", "manager"),
    ("GET", f"/kiosk/jinan?idle={SUPERSCRIPT}", "kiosk"), ("GET", f"/kiosk/jinan?idle={HUGE}", "kiosk"),
    ("GET", f"/api/v1/followups/{SUPERSCRIPT}", "manager"), ("GET", f"/api/v1/followups/{HUGE}", "manager"),
    ("GET", "/api/v1/followups/5343782798", "manager"),  # past PostgreSQL's integer (found by the schema fuzzer)
    ("GET", f"/api/v1/audit?limit={SUPERSCRIPT}", "manager"), ("GET", f"/api/v1/audit?limit={HUGE}", "manager"),
    ("GET", "/api/v1/audit?to=9999-12-31", "manager"), ("GET", "/api/v1/audit?from=0001-01-01", "manager"),
    ("GET", "/api/v1/audit?to=9999-12-31T23:59:59", "manager"),
    ("GET", "/api/v1/halls/jinan/reports?period=month&date=9999-12-31", "manager"),
    ("GET", "/api/v1/halls/jinan/reports?period=week&date=0001-01-01", "manager"),
    ("GET", "/api/v1/halls/jinan/reports?period=day&date=9999-12-31", "manager"),
    ("GET", f"/api/v1/halls/jinan/notifications?limit={SUPERSCRIPT}", "manager"),
    ("GET", "/api/v1/halls/jinan/appointments?date=9999-12-31", "manager"),
    ("GET", "/api/v1/halls/jinan/appointments/slots?queue=A&date=9999-12-31", ""),
    ("GET", "/api/v1/halls/jinan/appointments/slots?queue=A&date=0001-01-01", ""),
    ("GET", "/api/v1/tickets/a%00b", ""), ("GET", "/t/a%00b", ""), ("GET", "/api/v1/halls/a%00b", ""),
    ("GET", "/api/v1/halls/jinan/items?q=a%00b", ""), ("GET", "/display/a%00b", ""),
    ("GET", "/api/v1/audit?q=a%00b", "manager"), ("GET", "/api/v1/audit?actor=a%00b", "manager"),
    ("GET", "/api/v1/cases/JA202611250001?check=a%00b", ""),
]
NUL = "a\u0000b"
NUL_BODIES: list[tuple[str, str, str, dict[str, object]]] = [
    ("POST", "/api/v1/auth/login", "", {"username": NUL, "password": "demo1234"}),
    ("POST", "/api/v1/auth/login", "", {"username": "manager", "password": NUL}),
    ("POST", "/api/v1/halls/jinan/cases", "clerk04", {"item": "B02", "applicant": {"name": NUL}}),
    ("POST", "/api/v1/halls/jinan/counters/4/pause", "clerk04", {"reason": NUL}),
    ("PUT", "/api/v1/halls/jinan/notice", "manager", {"notice": NUL}),
    ("POST", "/api/v1/halls/jinan/appointments", "", {"queue": "A", "date": "2026-11-25", "slot": "10:00",
                                                      "name": NUL, "id_number": "x", "phone": "13800138000"}),
    ("POST", "/api/v1/halls/jinan/tickets", "kiosk", {"queue": NUL}),
    ("POST", "/api/v1/halls/jinan/tickets", "kiosk", {NUL: "A"}),
]


@pytest.fixture
def hall(database_url: str) -> Iterator[TestClient]:
    """The demo hall on each backend at 09:00 on a Wednesday, answering 500s instead of raising them."""
    seed(database_url)
    settings = Settings(database_url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings, FakeClock(HALL_MORNING)), base_url="http://testserver",
                    raise_server_exceptions=False) as c:
        yield c


def _who(client: TestClient, who: str) -> dict[str, str]:
    if who == "kiosk":
        return KIOSK
    return login(client, who) if who else {}


def test_edge_inputs_are_a_4xx_on_each_backend(hall: TestClient) -> None:
    client = hall
    assert client.post("/api/v1/halls/jinan/counters/4/open", headers=login(client, "clerk04")).status_code == 200
    case = client.post("/api/v1/halls/jinan/cases", headers=login(client, "clerk04"), json={
        "item": "B02", "applicant": {"name": "王小明", "id_number": APPLICANT.id_number, "phone": PHONE}})
    assert case.status_code == 201, case.text
    booked = client.post("/api/v1/halls/jinan/appointments", json=booking(1))
    assert booked.status_code == 201, booked.text
    wrong: list[str] = []
    for method, address, who in EDGE_CASES:
        headers = _who(client, who)
        if who == "kiosk":  # the kiosk's page takes its token in the address, then from a cookie
            address += f"&token={KIOSK['Authorization'].split()[1]}"
        response = client.request(method, address, headers=headers)
        if who == "kiosk" and response.status_code == 200:
            continue  # the kiosk's page ignores a bad ?idle= (its 30 s return home stays)
        if not 400 <= response.status_code < 500:
            wrong.append(f"{method} {address[:60]} -> {response.status_code}")
        elif address.startswith("/api/") and not response.json()["error"]["code"]:
            wrong.append(f"{method} {address[:60]}: not the CONTRACT error shape")
    for method, address, who, body in NUL_BODIES:
        response = client.request(method, address, json=body, headers=_who(client, who))
        if not 400 <= response.status_code < 500:
            wrong.append(f"{method} {address} {body} -> {response.status_code}")
    receipt = case.json()["receipt_no"]
    for check in ("éééé", "é", "\u00ff" * 4):  # hmac.compare_digest refuses non-ASCII str
        response = client.get(f"/api/v1/cases/{receipt}", params={"check": check})
        if response.status_code != 404:
            wrong.append(f"check={check!r} -> {response.status_code}")
    cancel = client.post(f"/api/v1/appointments/{booked.json()['code']}/cancel", json={"id_last4": "é"})
    if cancel.status_code != 404:
        wrong.append(f"cancel with id_last4 é -> {cancel.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_nul_in_a_json_string_is_a_422_naming_the_field(sqlite_client: TestClient) -> None:
    clerk = login(sqlite_client, "clerk04")
    assert sqlite_client.post("/api/v1/halls/jinan/counters/4/open", headers=clerk).status_code == 200
    response = sqlite_client.post("/api/v1/halls/jinan/cases", headers=clerk,
                                  json={"item": "B02", "applicant": {"name": NUL}})
    assert response.status_code == 422 and response.json()["error"]["field"] == "applicant.name"


@pytest.mark.parametrize("since", [SUPERSCRIPT, TWENTY_DIGITS, HUGE, "-1", "1e3", " 1", str(2**63)])
def test_a_bad_since_closes_the_socket_with_1008(sqlite_client: TestClient, since: str) -> None:
    for feed in ("/ws/halls/jinan/display", "/ws/halls/jinan/counters/1"):
        with sqlite_client.websocket_connect(f"{feed}?since={quote(since)}", headers=login(sqlite_client, "manager")
                                             ) as ws:
            closed = ws.receive()
        assert closed["type"] == "websocket.close" and closed["code"] == 1008, (feed, since, closed)
