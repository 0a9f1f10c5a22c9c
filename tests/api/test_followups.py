"""整改: an unhappy rating opens a follow-up that the hall's managers assign, call back, fix and close."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from server.domain.clock import FakeClock
from server.services.followups import overdue_followups

from .conftest import login
from .test_ratings import rate
from .test_ratings_everywhere import HALL, app, serve

__all__ = ["app"]  # the fixture


def rate_by_phone(client: TestClient, ticket: dict[str, Any], level: int, reasons: list[str] | None = None) -> None:
    made = client.post(f"/api/v1/tickets/{ticket['status_token']}/rating",
                       json={"level": level, "reasons": reasons or []})
    assert made.status_code == 201, made.text


def followups(client: TestClient, headers: dict[str, str], status: str = "") -> list[dict[str, Any]]:
    response = client.get(f"{HALL}/followups" + (f"?status={status}" if status else ""), headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["followups"]
    return found


def test_an_unhappy_rating_opens_a_followup_due_in_five_working_days(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    happy = serve(client)
    rate_by_phone(client, happy, 4)
    unhappy = serve(client)
    rate_by_phone(client, unhappy, 1, ["服务态度差"])
    tablet = serve(client)
    assert rate(client, 1, {"ticket_id": tablet["id"], "level": 2}).status_code == 201
    manager = login(client, "manager")
    found = followups(client, manager, "open")
    assert [f["ticket"] for f in found] == [unhappy["number"], tablet["number"]]
    first = found[0]
    # rated Wednesday 2026-11-25: five working days later is Wednesday 2026-12-02
    assert first["due_date"] == "2026-12-02" and first["status"] == "open" and not first["overdue"]
    assert first["rating"]["level"] == 1 and first["rating"]["label"] == "非常不满意"
    assert first["rating"]["reasons"] == ["服务态度差"] and first["rating"]["source"] == "phone"
    assert (first["counter"], first["clerk"], first["assignee"], first["callback"], first["fix"]) == (
        1, "clerk01", None, None, None)
    assert found[1]["rating"]["source"] == "tablet"
    assert client.get(f"/api/v1/followups/{first['id']}", headers=manager).json() == first


def test_close_only_after_call_back_and_fix(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    rate_by_phone(client, serve(client), 2, ["等候时间长"])
    manager = login(client, "manager")
    [followup] = followups(client, manager)
    url = f"/api/v1/followups/{followup['id']}"
    assert client.patch(url, json={"assignee": "nobody"}, headers=manager).status_code == 422
    assigned = client.patch(url, json={"assignee": "guide"}, headers=manager)
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "guide"
    early = client.patch(url, json={"close": True}, headers=manager)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_ready_to_close"
    clock.advance(3600)
    called = client.patch(url, json={"callback": {"note": "已电话回访，群众表示理解", "reached": True}},
                          headers=manager)
    assert called.json()["callback"]["reached"] is True and called.json()["callback"]["by"] == "manager"
    assert client.patch(url, json={"close": True}, headers=manager).status_code == 409
    closed = client.patch(url, json={"fix": {"note": "增开 A 类窗口"}, "close": True}, headers=manager)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["closed"]["by"] == "manager" and body["fix"]["note"] == "增开 A 类窗口"
    assert followups(client, manager, "open") == []
    assert [f["id"] for f in followups(client, manager, "closed")] == [followup["id"]]
    again = client.patch(url, json={"assignee": "manager"}, headers=manager)
    assert again.status_code == 409 and again.json()["error"]["code"] == "followup_closed"


def test_overdue_after_the_due_day(app: tuple[TestClient, FakeClock]) -> None:
    client, clock = app
    rate_by_phone(client, serve(client), 1)
    manager = login(client, "manager")
    assert followups(client, manager, "overdue") == []
    clock.advance(8 * 86400)  # Thursday 2026-12-03: past the due Wednesday
    [late] = followups(client, manager, "overdue")
    assert late["status"] == "overdue" and late["overdue"]
    assert [f["id"] for f in followups(client, manager, "open")] == [late["id"]]
    context = client.app_state["ctx"]
    assert client.portal is not None
    found = client.portal.call(overdue_followups, context, "jinan")
    assert [f["id"] for f in found] == [late["id"]]


def test_the_due_days_are_set_per_hall(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    manager = login(client, "manager")
    assert client.get(f"{HALL}/followups/settings", headers=manager).json() == {"due_days": 5}
    assert client.put(f"{HALL}/followups/settings", json={"due_days": 0}, headers=manager).status_code == 422
    assert client.put(f"{HALL}/followups/settings", json={"due_days": 2}, headers=manager).status_code == 200
    rate_by_phone(client, serve(client), 2)
    [followup] = followups(client, manager)
    assert followup["due_date"] == "2026-11-27"  # Wednesday + 2 working days = Friday


def test_only_the_halls_managers(app: tuple[TestClient, FakeClock]) -> None:
    client, _ = app
    rate_by_phone(client, serve(client), 1)
    [followup] = followups(client, login(client, "admin"))
    clerk = login(client, "clerk01")
    assert client.get(f"{HALL}/followups", headers=clerk).status_code == 403
    assert client.get(f"/api/v1/followups/{followup['id']}", headers=clerk).status_code == 404
    assert client.patch(f"/api/v1/followups/{followup['id']}", json={"close": True}, headers=clerk).status_code == 404
    assert client.get("/api/v1/followups/99999", headers=login(client, "manager")).status_code == 404
    assert client.get(f"{HALL}/followups?status=late", headers=login(client, "manager")).status_code == 422
