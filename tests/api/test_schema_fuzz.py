"""schemathesis over /openapi.json against a real `onewindow serve` on SQLite and on PostgreSQL, as a
manager, as a kiosk and anonymously (security issue, point 7): every operation, its path and query
parameters and its body, with values the description allows and values it does not. No answer may
be a 5xx, and every answer must be one the description lists, of the type and shape it says.

Bounded: a fixed number of examples per operation, each run the same (derandomized), with no
shrinking, so the six runs take well under two minutes on two cores."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, text

from server.demo import DEMO_PASSWORD
from tests.api.conftest import KIOSK
from tests.conftest import unavailable
from tests.servers import ServerProcess, seeded

EXAMPLES = 12  # per operation, half within the description and half outside it
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Operations that end the caller's own credentials run last, so the rest run signed in.
ENDS_CREDENTIALS = ("POST /api/v1/auth/logout", "PATCH /api/v1/users/{username}",
                    "DELETE /api/v1/halls/{hall}/tokens/{token_id}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("fuzz")
    drop: Callable[[], None] | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder}/onewindow.db"
    else:
        url, drop = _postgres_database(request.getfixturevalue("postgres_server"))
    started = ServerProcess(seeded(url), folder).start()
    yield started
    started.stop()
    if drop is not None:
        drop()


def _postgres_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"ow_fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{admin_url.rsplit('/', 1)[0]}/{name}", drop


def _headers(server: ServerProcess, role: str) -> dict[str, str]:
    if role == "kiosk":
        return KIOSK
    if role == "anonymous":
        return {}
    response = requests.post(f"{server.base}/api/v1/auth/login", json={"username": role, "password": DEMO_PASSWORD},
                             timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.mark.parametrize("role", ["manager", "kiosk", "anonymous"])
def test_no_5xx_and_every_answer_as_described(server: ServerProcess, role: str) -> None:
    try:
        schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    except requests.ConnectionError:
        unavailable("the server did not answer")
    headers = _headers(server, role)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"schemathesis cannot read the description: {result.err()}")
        operations.append(result.ok())
    operations.sort(key=lambda op: op.label in ENDS_CREDENTIALS)
    session = requests.Session()
    found: dict[str, str] = {}
    started = time.monotonic()
    for operation in operations:
        cases = st.one_of(*(operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)))

        @given(case=cases)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case[Any]) -> None:
            response = case.call(base_url=server.base, session=session, headers=headers, timeout=10)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as failure:  # schemathesis raises a group; note it and go on to the next operation
            found[operation.label] = _described(failure)
    print(f"{role}: {len(operations)} operations in {time.monotonic() - started:.1f} s")
    assert not found, "\n\n".join(f"{label}: {failure}" for label, failure in found.items())


def _described(failure: BaseException) -> str:
    parts = [str(failure)]
    for inner in getattr(failure, "exceptions", ()):
        parts.append(str(inner))
    notes = getattr(failure, "__notes__", [])
    return "\n".join([*parts, *notes])[:3000]


def test_the_fuzzer_reaches_the_query_parameters(server: ServerProcess) -> None:
    """The description lists the query parameters, so the runs above fuzz them too."""
    spec = requests.get(f"{server.base}/openapi.json", timeout=10).json()
    audit = {p["name"]: p for p in spec["paths"]["/api/v1/audit"]["get"]["parameters"]}
    assert audit["limit"]["in"] == "query" and audit["limit"]["schema"]["type"] == "integer"
    assert {"hall", "actor", "action", "from", "to", "q"} <= set(audit)
    counter = spec["paths"]["/api/v1/halls/{hall}/counters/{number}"]["get"]["parameters"]
    number = next(p for p in counter if p["name"] == "number")
    assert number["in"] == "path" and number["required"] and number["schema"]["type"] == "integer"

