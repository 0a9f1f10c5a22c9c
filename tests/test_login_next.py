"""server/web.py ``same_site_path``: the login page's ``next`` is a path of this site or "/"."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.web import same_site_path
from tests.api.conftest import serve

ELSEWHERE = ["//example.invalid/phish", "/\\example.invalid", "/\\/example.invalid", "/a\\b", "/\t/example.invalid",
             "/\n/example.invalid", "/x\x00", "/x\x7f", "https://example.invalid/", "javascript:alert(1)",
             " //example.invalid", "example.invalid", "", None]


@pytest.mark.parametrize("raw", ELSEWHERE)
def test_anything_a_browser_could_read_as_another_site_becomes_the_index(raw: str | None) -> None:
    assert same_site_path(raw) == "/"


@pytest.mark.parametrize("raw", ["/", "/dashboard/jinan", "/counter/jinan/1?x=1#top", "/c/a%2F%2Fb"])
def test_a_path_of_the_site_is_kept(raw: str) -> None:
    assert same_site_path(raw) == raw


def test_the_login_page_writes_only_a_safe_next(sqlite_url: str) -> None:
    client: TestClient
    for client in serve(sqlite_url):
        page = client.get("/login", params={"next": "//example.invalid/phish"})
        assert page.status_code == 200 and 'data-next="/"' in page.text and "example.invalid" not in page.text
        kept = client.get("/login", params={"next": "/dashboard/jinan"})
        assert 'data-next="/dashboard/jinan"' in kept.text


def test_a_staff_page_sends_to_login_and_back_with_its_query(sqlite_url: str) -> None:
    """A guide who opens /guide/jinan?desk=desk1 before signing in comes back to that desk."""
    client: TestClient
    for client in serve(sqlite_url):
        away = client.get("/guide/jinan", params={"desk": "desk1"}, follow_redirects=False)
        assert away.status_code == 303
        assert away.headers["location"] == "/login?next=/guide/jinan%3Fdesk%3Ddesk1"
        page = client.get(away.headers["location"])
        assert 'data-next="/guide/jinan?desk=desk1"' in page.text
