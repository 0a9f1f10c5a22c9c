"""The working calendar: chinesecalendar's years, and an admin loading a later year's notice."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import login

NOTICE_2027 = {"holidays": ["2027-01-01", "2027-10-01", "2027-10-04", "2027-10-05", "2027-10-06", "2027-10-07"],
               "workdays": ["2027-09-26", "2027-10-09"], "source": "国务院办公厅关于2027年部分节假日安排的通知"}


def test_a_known_year_comes_from_chinesecalendar(sqlite_client: TestClient) -> None:
    body = sqlite_client.get("/api/v1/calendar/2025").json()
    assert body["source"] == "chinesecalendar" and not body["provisional"]
    assert "2025-10-01" in body["holidays"] and "2025-10-11" in body["workdays"]


def test_a_later_year_is_provisional_until_an_admin_loads_it(sqlite_client: TestClient) -> None:
    assert sqlite_client.get("/api/v1/calendar/2027").json()["provisional"] is True
    manager = login(sqlite_client, "manager")
    assert sqlite_client.put("/api/v1/calendar/2027", json=NOTICE_2027, headers=manager).status_code == 403
    admin = login(sqlite_client, "admin")
    loaded = sqlite_client.put("/api/v1/calendar/2027", json=NOTICE_2027, headers=admin)
    assert loaded.status_code == 200, loaded.text
    body = sqlite_client.get("/api/v1/calendar/2027").json()
    assert body["source"] == "loaded" and not body["provisional"]
    assert "2027-10-04" in body["holidays"] and body["workdays"] == ["2027-09-26", "2027-10-09"]


def test_a_notice_with_a_wrong_day_is_422_naming_the_list(sqlite_client: TestClient) -> None:
    admin = login(sqlite_client, "admin")
    weekend_holiday = {**NOTICE_2027, "holidays": ["2027-10-02"]}  # a Saturday
    response = sqlite_client.put("/api/v1/calendar/2027", json=weekend_holiday, headers=admin)
    assert response.status_code == 422 and response.json()["error"]["field"] == "holidays"
    other_year = {**NOTICE_2027, "workdays": ["2026-09-26"]}
    response = sqlite_client.put("/api/v1/calendar/2027", json=other_year, headers=admin)
    assert response.status_code == 422 and response.json()["error"]["field"] == "workdays"
    assert sqlite_client.get("/api/v1/calendar/99999").status_code == 404
