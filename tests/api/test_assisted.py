"""代办 (assisted service, art. 13): a guide opens a matter for a visitor, records its steps, closes it
with the result; the hall's managers list them, the visitor's name masked."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from starlette.testclient import TestClient

from server.store.db import open_database
from server.store.tables_assisted import assisted

from .conftest import KIOSK, login

HALL = "/api/v1/halls/jinan"


def test_a_guide_records_a_matter_through_its_steps_to_its_result(client: TestClient) -> None:
    guide = login(client, "guide")
    ticket = client.post(f"{HALL}/tickets", json={"queue": "V", "priority": "elderly", "channel": "guide"},
                         headers=guide)
    assert ticket.status_code == 201, ticket.text
    opened = client.post(f"{HALL}/assisted", headers=guide, json={
        "visitor_name": "王秀英", "contact": "13812345678", "ticket_id": ticket.json()["id"],
        "note": "老人行动不便，需陪同"})
    assert opened.status_code == 201, opened.text
    matter = opened.json()
    assert matter["status"] == "open"
    assert matter["visitor"] == {"masked_name": "王*英", "contact": "138****5678"}
    assert matter["ticket"]["number"] == ticket.json()["number"]
    assert matter["assistant"] == {"username": "guide", "name": "导办员"}
    assert [s["step"] for s in matter["steps"]] == ["接待"]

    for step, note in (("代为取号", None), ("陪同办理", "到12号窗口"), ("代为递交材料", "身份证复印件")):
        added = client.post(f"{HALL}/assisted/{matter['id']}/steps", headers=guide, json={"step": step, "note": note})
        assert added.status_code == 200, added.text
    assert [s["step"] for s in added.json()["steps"]] == ["接待", "代为取号", "陪同办理", "代为递交材料"]
    assert added.json()["steps"][2]["note"] == "到12号窗口"
    assert added.json()["steps"][2]["by"] == "guide"

    manager = login(client, "manager")
    listed = client.get(f"{HALL}/assisted?status=open", headers=manager).json()["assisted"]
    assert [m["id"] for m in listed] == [matter["id"]]
    assert "王秀英" not in str(listed) and "13812345678" not in str(listed)

    closed = client.patch(f"{HALL}/assisted/{matter['id']}", headers=guide,
                          json={"result": "已代为办结，证件已交本人", "close": True})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed"]["result"] == "已代为办结，证件已交本人"
    assert client.get(f"{HALL}/assisted?status=open", headers=manager).json()["assisted"] == []
    assert [m["id"] for m in client.get(f"{HALL}/assisted?status=closed", headers=manager).json()["assisted"]] \
        == [matter["id"]]
    again = client.post(f"{HALL}/assisted/{matter['id']}/steps", headers=guide, json={"step": "电话回访"})
    assert again.status_code == 409, again.text


def test_an_item_is_named_from_the_catalog(client: TestClient) -> None:
    guide = login(client, "guide")
    code = client.get(f"{HALL}/items").json()[0]["code"]
    made = client.post(f"{HALL}/assisted", headers=guide, json={"visitor_name": "李四", "item": code})
    assert made.status_code == 201, made.text
    assert made.json()["item"]["code"] == code and made.json()["item"]["name"]


def test_only_the_halls_staff_handle_matters(client: TestClient) -> None:
    body = {"visitor_name": "李四"}
    assert client.post(f"{HALL}/assisted", json=body, headers=KIOSK).status_code == 403
    assert client.get(f"{HALL}/assisted", headers=KIOSK).status_code == 403
    assert client.post(f"{HALL}/assisted", json=body).status_code == 401  # nobody signed in
    assert client.get(f"{HALL}/assisted").status_code == 401
    assert client.get(f"{HALL}/assisted", headers=login(client, "dept-scjg")).status_code == 403
    assert client.post(f"{HALL}/assisted/1/steps", json={"step": "接待"}, headers=KIOSK).status_code in (403, 404)


def test_bad_fields_are_named(client: TestClient) -> None:
    guide = login(client, "guide")
    cases = [({}, "visitor_name"), ({"visitor_name": "李四", "contact": "12345"}, "contact"),
             ({"visitor_name": "李四", "item": "NO-SUCH-ITEM"}, "item"),
             ({"visitor_name": "李四", "ticket_id": "nope"}, "ticket_id")]
    for body, field in cases:
        response = client.post(f"{HALL}/assisted", json=body, headers=guide)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (field, response.text)
    made = client.post(f"{HALL}/assisted", json={"visitor_name": "李四"}, headers=guide).json()
    step = client.post(f"{HALL}/assisted/{made['id']}/steps", json={"step": ""}, headers=guide)
    assert step.status_code == 422 and "step" in step.text
    shut = client.patch(f"{HALL}/assisted/{made['id']}", json={"close": True}, headers=guide)
    assert shut.status_code == 422 and "result" in shut.text
    assert client.get(f"{HALL}/assisted?status=maybe", headers=guide).status_code == 422
    assert client.post(f"{HALL}/assisted/999999/steps", json={"step": "接待"}, headers=guide).status_code == 404


def test_managers_list_matters_by_the_days_they_were_opened(client: TestClient, database_url: str) -> None:
    guide, manager = login(client, "guide"), login(client, "manager")
    old = client.post(f"{HALL}/assisted", headers=guide, json={"visitor_name": "王秀英"}).json()
    new = client.post(f"{HALL}/assisted", headers=guide, json={"visitor_name": "李四"}).json()
    client.post(f"{HALL}/assisted/{new['id']}/steps", headers=guide, json={"step": "陪同办理"})
    client.patch(f"{HALL}/assisted/{new['id']}", headers=manager, json={"result": "已办结", "close": True})
    db = open_database(database_url)  # the first was opened at 10:00 hall time on 2026-11-20
    with db.writer.begin() as conn:
        conn.execute(update(assisted).where(assisted.c.id == old["id"]).values(
            opened_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC)))
    db.dispose()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    def ids(query: str) -> list[int]:
        found = client.get(f"{HALL}/assisted?{query}", headers=manager)
        assert found.status_code == 200, found.text
        return [m["id"] for m in found.json()["assisted"]]

    assert ids(f"from={today}&to={today}") == [new["id"]]
    assert ids("from=2026-11-20&to=2026-11-20") == [old["id"]]
    assert ids("to=2026-11-19") == [] and ids("from=2026-11-21&to=2026-11-21") == []
    assert ids(f"status=open&from=2026-11-01&to={today}") == [old["id"]]
    assert ids(f"status=closed&from={today}") == [new["id"]]
    # who did each step and who closed it, by name
    closed = client.get(f"{HALL}/assisted?status=closed", headers=manager).json()["assisted"][0]
    assert [(s["step"], s["by_name"]) for s in closed["steps"]] == [("接待", "导办员"), ("陪同办理", "导办员"),
                                                                    ("办结", "督查科")]
    assert closed["closed"]["by_name"] == "督查科" and closed["closed"]["result"] == "已办结"
    for query, field in (("from=2026-13-01", "from"), ("to=yesterday", "to"), ("from=2026-11-21&to=2026-11-20", "to")):
        refused = client.get(f"{HALL}/assisted?{query}", headers=manager)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field, (query, refused.text)
