from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import hash_password
from server.cli import demo_token
from server.demo import DEMO_PASSWORD, DEVICES, JINAN, STAFF, STAFF_DEPARTMENTS, load_demo
from server.settings import Settings
from server.store import accounts
from server.store.db import open_database
from server.store.migrate import migrate

SECRET = "test-secret-of-at-least-32-characters"  # SECRET_KEY outside demo mode needs 32


def seed(url: str) -> None:
    db = open_database(url)
    migrate(db)
    password_hash = hash_password(DEMO_PASSWORD)
    with db.writer.begin() as conn:
        load_demo(conn)
        for username, role, counter, display, staff_no in STAFF:
            accounts.upsert_user(conn, username, password_hash, role, JINAN.code, counter, display, staff_no,
                                 department=STAFF_DEPARTMENTS.get(username))
        for kind, name, counter in DEVICES:
            accounts.add_token(conn, demo_token(SECRET, kind, name), device_kind=kind, hall=JINAN.code, name=name,
                               counter=counter)
    db.dispose()


def serve(url: str) -> Generator[TestClient, None, None]:
    seed(url)
    settings = Settings(url, None, SECRET, True, "NORMAL", "warning")
    with TestClient(create_app(settings), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The app on each backend: SQLite and PostgreSQL."""
    yield from serve(database_url)


@pytest.fixture
def sqlite_client(sqlite_url: str) -> Iterator[TestClient]:
    yield from serve(sqlite_url)


KIOSK = {"Authorization": f"Bearer {demo_token(SECRET, 'kiosk', 'kiosk-1')}"}
DISPLAY = {"Authorization": f"Bearer {demo_token(SECRET, 'display', 'hall-screen')}"}


def counter_tablet(number: int) -> dict[str, str]:
    """The rating tablet of that counter: the demo's counter-N device token, bound to counter N."""
    return {"Authorization": f"Bearer {demo_token(SECRET, 'counter', f'counter-{number}')}"}


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
