"""One settings page for a hall (issue 18, "Hall settings"): `GET`/`PUT /api/v1/halls/{hall}/settings`.

Name, consultation telephone, opening hours, the calling policy and its K/T/w, the no-show and 回呼
rules, the alert thresholds, the display's notice and languages: read and changed in one place, a
partial update changing only what it names, each bad field named with its bounds, by the hall's
managers and admins alone. Every change reaches the screens at once as `hall.changed`, lasts across
a restart (SQLite and PostgreSQL), is audited as a Chinese sentence with before → after, and does
what it says: the next `call-next` follows the new policy, the kiosk stops issuing outside the
opening hours, the clerk's 过号 and 回呼 follow their rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient
from stdnum.cn import ric

from server.app import create_app
from server.auth import hash_password
from server.demo import DEMO_PASSWORD
from server.domain.clock import FakeClock
from server.services.layout import create_hall
from server.settings import Settings
from server.store import accounts
from server.store.db import open_database

from .conftest import KIOSK, SECRET, login, seed

HALL = "/api/v1/halls/jinan"
SETTINGS = f"{HALL}/settings"
WEDNESDAY_9 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in the hall, an ordinary working day
SUNDAY_10 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
HOURS = {"workday": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}], "rest_day": [],
         "stop_issuing_min": 30}


def started(url: str, clock: FakeClock | None = None) -> TestClient:
    return TestClient(create_app(Settings(url, None, SECRET, True, "NORMAL", "warning"), clock),
                      base_url="http://testserver")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(WEDNESDAY_9)


@pytest.fixture
def hall(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    """The demo hall on the test clock, with a second hall `xinhall` and its own manager."""
    seed(sqlite_url)
    db = open_database(sqlite_url)
    with db.writer.begin() as conn:
        create_hall(conn, "xinhall", "新区政务服务中心")
        accounts.upsert_user(conn, "xinmanager", hash_password(DEMO_PASSWORD), "manager", "xinhall", None)
    db.dispose()
    with started(sqlite_url, clock) as client:
        yield client


def put(client: TestClient, body: dict[str, Any], who: str = "manager") -> Any:
    return client.put(SETTINGS, json=body, headers=login(client, who))


def issue(client: TestClient, queue: str = "A", priority: str = "none", headers: dict[str, str] = KIOSK) -> Any:
    return client.post(f"{HALL}/tickets", json={"queue": queue, "priority": priority}, headers=headers)


def test_a_manager_reads_every_setting_in_one_place(hall: TestClient) -> None:
    got = hall.get(SETTINGS, headers=login(hall, "manager"))
    assert got.status_code == 200, got.text
    assert got.json() == {
        "code": "jinan", "name": "晋安区行政服务中心", "phone": "87711892", "notice": None,
        "opening_hours": {"workday": [], "rest_day": [], "stop_issuing_min": 0},
        "policy": {"kind": "guarded", "max_priority_streak": 3, "walk_in_max_wait_s": 900, "priority_weight": 3},
        "reinstate_places": 2, "no_show_after_calls": 1, "reinstate_within_min": 0,
        "display_languages": ["zh", "en"],
        "alerts": {"wait_target_min": {"default": 20}, "crowded_per_counter": 10, "pause_max_min": 15},
    }


def test_a_partial_update_changes_only_the_fields_it_names(hall: TestClient) -> None:
    renamed = put(hall, {"name": " 晋安区政务服务中心 "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "晋安区政务服务中心"
    assert renamed.json()["policy"]["kind"] == "guarded" and renamed.json()["phone"] == "87711892"
    assert hall.get(HALL).json()["name"] == "晋安区政务服务中心"
    strict = put(hall, {"policy": {"kind": "strict"}}).json()
    assert strict["policy"] == {"kind": "strict", "max_priority_streak": 3, "walk_in_max_wait_s": 900,
                                "priority_weight": 3}
    assert strict["name"] == "晋安区政务服务中心"
    hours = put(hall, {"opening_hours": {"workday": HOURS["workday"]}}).json()["opening_hours"]
    assert hours == {"workday": HOURS["workday"], "rest_day": [], "stop_issuing_min": 0}
    assert put(hall, {"opening_hours": {"stop_issuing_min": 30}}).json()["opening_hours"] == HOURS
    assert hall.get(HALL).json()["opening_hours"] == HOURS  # public: kiosks, screens and visitors show them
    alerts = put(hall, {"alerts": {"wait_target_min": {"A": 15}}}).json()["alerts"]
    assert alerts["wait_target_min"] == {"default": 20, "A": 15} and alerts["pause_max_min"] == 15
    back = put(hall, {"alerts": {"wait_target_min": {"A": None, "default": 25}}}).json()["alerts"]
    assert back["wait_target_min"] == {"default": 25}  # a queue's own target gone: the default again
    rest = put(hall, {"phone": "0591-87711892", "notice": "今天下午系统维护", "reinstate_places": 3,
                      "no_show_after_calls": 3, "reinstate_within_min": 30, "display_languages": ["zh"]}).json()
    assert (rest["phone"], rest["notice"], rest["reinstate_places"], rest["no_show_after_calls"],
            rest["reinstate_within_min"], rest["display_languages"]) == (
        "0591-87711892", "今天下午系统维护", 3, 3, 30, ["zh"])
    assert rest["name"] == "晋安区政务服务中心" and rest["policy"]["kind"] == "strict"
    info = hall.get(HALL).json()
    assert info["phone"] == "0591-87711892" and info["display_languages"] == ["zh"]
    assert hall.get(f"{HALL}/snapshot").json()["notice"] == "今天下午系统维护"
    assert put(hall, {"notice": ""}).json()["notice"] is None  # empty clears it, as PUT /notice does


def test_the_old_endpoints_and_the_settings_page_agree(hall: TestClient) -> None:
    manager = login(hall, "manager")
    assert hall.put(f"{HALL}/phone", json={"phone": "12345"}, headers=manager).status_code == 200
    assert hall.put(f"{HALL}/notice", json={"notice": "暂停办理不动产业务"}, headers=manager).status_code == 200
    assert hall.put(f"{HALL}/alert-settings", json={"pause_max_min": 25}, headers=manager).status_code == 200
    got = hall.get(SETTINGS, headers=manager).json()
    assert (got["phone"], got["notice"], got["alerts"]["pause_max_min"]) == ("12345", "暂停办理不动产业务", 25)
    put(hall, {"alerts": {"crowded_per_counter": 4}})
    assert hall.get(f"{HALL}/alert-settings", headers=manager).json()["crowded_per_counter"] == 4


def test_each_bad_field_is_named_with_its_bounds(hall: TestClient) -> None:
    before = hall.get(SETTINGS, headers=login(hall, "manager")).json()
    bad = put(hall, {"name": "", "policy": {"kind": "fastest", "max_priority_streak": 0, "walk_in_max_wait_s": 99999},
                     "reinstate_places": -1, "no_show_after_calls": 9, "display_languages": ["en", "fr"],
                     "opening_hours": {"workday": [{"start": "9:00", "end": "12:00"}], "stop_issuing_min": 500}})
    assert bad.status_code == 422, bad.text
    error = bad.json()["error"]
    named = {f["field"]: f["message"] for f in error["fields"]}
    assert set(named) == {"name", "policy.kind", "policy.max_priority_streak", "policy.walk_in_max_wait_s",
                          "reinstate_places", "no_show_after_calls", "display_languages.1",
                          "opening_hours.workday.0.start", "opening_hours.stop_issuing_min"}
    assert error["field"] in named and error["code"] == "invalid_field"
    assert "1" in named["policy.max_priority_streak"] and "20" in named["policy.max_priority_streak"]
    assert "60" in named["policy.walk_in_max_wait_s"] and "7200" in named["policy.walk_in_max_wait_s"]
    assert "0" in named["reinstate_places"] and "50" in named["reinstate_places"]
    assert "HH:MM" in named["opening_hours.workday.0.start"]
    assert "严格优先" in named["policy.kind"]  # the choices, in the words of the page
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in named.values())  # Chinese, every one
    assert hall.get(SETTINGS, headers=login(hall, "manager")).json() == before  # nothing applied


def test_what_only_the_hall_can_judge_is_named_too(hall: TestClient) -> None:
    backwards = put(hall, {"opening_hours": {"workday": [{"start": "13:30", "end": "12:00"}]}})
    assert backwards.status_code == 422 and backwards.json()["error"]["field"] == "opening_hours.workday.0"
    overlap = put(hall, {"opening_hours": {"rest_day": [{"start": "09:00", "end": "12:00"},
                                                        {"start": "11:00", "end": "15:00"}]}})
    assert overlap.status_code == 422 and overlap.json()["error"]["field"] == "opening_hours.rest_day.1"
    no_chinese = put(hall, {"display_languages": ["en"]})
    assert no_chinese.status_code == 422 and no_chinese.json()["error"]["field"] == "display_languages"
    assert "中文" in no_chinese.json()["error"]["message"]
    unknown = put(hall, {"alerts": {"wait_target_min": {"Q": 10}}, "name": "不应改名"})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "alerts.wait_target_min.Q"
    assert hall.get(HALL).json()["name"] == "晋安区行政服务中心"  # all or nothing
    assert put(hall, {"colour": "red"}).json()["error"]["field"] == "colour"


def test_only_the_halls_managers_and_admins(hall: TestClient) -> None:
    assert put(hall, {"name": "x"}, who="clerk01").status_code == 403
    assert hall.get(SETTINGS, headers=login(hall, "clerk01")).status_code == 403
    assert put(hall, {"name": "x"}, who="xinmanager").status_code == 403
    assert hall.get(SETTINGS, headers=login(hall, "xinmanager")).status_code == 403
    assert TestClient(hall.app).get(SETTINGS).status_code == 401
    assert hall.put(SETTINGS, json={"name": "x"}, headers=KIOSK).status_code == 403
    assert put(hall, {"name": "晋安区政务服务中心"}, who="admin").status_code == 200
    own = hall.put("/api/v1/halls/xinhall/settings", json={"phone": "0591-1234567"},
                   headers=login(hall, "xinmanager"))
    assert own.status_code == 200 and own.json()["phone"] == "0591-1234567"
    assert hall.get("/api/v1/halls/nowhere/settings", headers=login(hall, "admin")).status_code == 404


def test_the_screens_hear_every_change_at_once(hall: TestClient) -> None:
    with hall.websocket_connect("/ws/halls/jinan/display") as wall:
        assert wall.receive_json()["type"] == "snapshot"
        put(hall, {"name": "晋安区政务服务中心", "display_languages": ["zh"], "opening_hours": HOURS})
        told = wall.receive_json()
        assert told["type"] == "hall.changed" and told["hall"] == "jinan" and told["seq"] > 0 and told["at"]
        assert told["name"] == "晋安区政务服务中心"
        assert told["settings"]["display_languages"] == ["zh"] and told["settings"]["opening_hours"] == HOURS
        assert told["settings"]["phone"] == "87711892"
        assert [q["code"] for q in told["queues"]][:2] == ["A", "B"] and told["counters"][0]["number"] == 1
        put(hall, {"notice": "请提前准备好身份证", "phone": "87711000"})
        told = [wall.receive_json() for _ in range(3)]  # the screens that follow these events, as today
        assert [m["type"] for m in told] == ["hall.notice", "hall.phone", "hall.changed"]
        assert told[0]["notice"] == "请提前准备好身份证" and told[1]["phone"] == "87711000"
        assert told[2]["settings"]["notice"] == "请提前准备好身份证" and told[2]["settings"]["phone"] == "87711000"
        put(hall, {"alerts": {"pause_max_min": 30}, "name": "晋安区政务服务中心"})  # nothing the screens show
        put(hall, {"policy": {"kind": "strict"}})
        told = wall.receive_json()
        assert told["type"] == "hall.changed" and told["settings"]["policy"]["kind"] == "strict"
        assert "alerts" not in told["settings"]  # the managers' thresholds stay off the public feed


def test_a_policy_change_decides_the_next_call(hall: TestClient) -> None:
    """Guarded (K = 3): after one priority call the next priority visitor goes first. The manager
    sets 比例 1:1: the same counter's next call is the walk-in, though nothing else changed; the
    ticket the counter holds stays as it was."""
    manager = login(hall, "manager")
    numbers = [issue(hall, "A", p).json()["number"] for p in ("none", "elderly", "elderly", "elderly")]
    assert numbers == ["A001", "A002", "A003", "A004"]
    assert hall.post(f"{HALL}/counters/1/open", headers=manager).status_code == 200
    assert hall.post(f"{HALL}/counters/1/call-next", headers=manager).json()["number"] == "A002"
    changed = put(hall, {"policy": {"kind": "ratio", "max_priority_streak": 1}})
    assert changed.status_code == 200, changed.text
    current = hall.get(f"{HALL}/snapshot").json()["counters"][0]["ticket"]
    assert current["number"] == "A002" and current["status"] == "called"  # nothing already called changes
    assert hall.post(f"{HALL}/counters/1/finish", headers=manager).status_code == 200
    assert hall.post(f"{HALL}/counters/1/call-next", headers=manager).json()["number"] == "A001"
    hall.post(f"{HALL}/counters/1/finish", headers=manager)
    put(hall, {"policy": {"kind": "strict"}})
    assert hall.post(f"{HALL}/counters/1/call-next", headers=manager).json()["number"] == "A003"


def test_the_weighted_policy_counts_a_priority_wait_w_times(hall: TestClient, clock: FakeClock) -> None:
    manager = login(hall, "manager")
    issue(hall, "B")  # B001, a walk-in, waits 10 minutes
    clock.advance(600)
    issue(hall, "B", "disabled")  # B002 arrives now
    clock.advance(240)  # walk-in 14 min, priority 4 min
    put(hall, {"policy": {"kind": "weighted", "priority_weight": 3}})  # 4 × 3 = 12 < 14: the walk-in
    hall.post(f"{HALL}/counters/4/open", headers=manager)
    assert hall.post(f"{HALL}/counters/4/call-next", headers=manager).json()["number"] == "B001"
    issue(hall, "B")  # B003 arrives now; B002 has waited 4 minutes
    hall.post(f"{HALL}/counters/4/finish", headers=manager)
    clock.advance(60)
    assert hall.post(f"{HALL}/counters/4/call-next", headers=manager).json()["number"] == "B002"


def test_the_kiosk_issues_only_in_opening_hours(hall: TestClient, clock: FakeClock) -> None:
    assert issue(hall).status_code == 201  # no hours set: the kiosk issues at any time
    put(hall, {"opening_hours": HOURS})
    assert issue(hall).status_code == 201  # Wednesday 09:00
    clock.advance(3.5 * 3600)  # 12:30, the lunch break
    closed = issue(hall)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "hall_closed"
    assert "09:00–12:00" in closed.json()["error"]["message"] and "13:30–17:00" in closed.json()["error"]["message"]
    assert issue(hall, headers=login(hall, "guide")).status_code == 201  # staff still hand out numbers
    clock.advance(3.5 * 3600)  # 16:00
    assert issue(hall).status_code == 201
    clock.advance(45 * 60)  # 16:45: past the last half hour, when the kiosk stops issuing
    assert issue(hall).status_code == 409
    sunday = FakeClock(SUNDAY_10)
    clock.advance((sunday.now() - clock.now()).total_seconds())
    assert issue(hall).status_code == 409  # rest days: closed
    put(hall, {"opening_hours": {"rest_day": [{"start": "09:00", "end": "12:00"}]}})
    assert issue(hall).status_code == 201


def test_a_booked_visitor_checks_in_before_the_doors_open(hall: TestClient, clock: FakeClock) -> None:
    body = f"11010519800101{7:03d}"
    booking = {"queue": "A", "date": "2026-11-25", "slot": "10:00", "name": "张三丰",
               "id_number": body + ric.calc_check_digit(body + "0"), "phone": "13800138000"}
    booked = hall.post(f"{HALL}/appointments", json=booking)
    assert booked.status_code == 201, booked.text
    put(hall, {"opening_hours": {"workday": [{"start": "10:00", "end": "12:00"}]}})
    clock.advance(45 * 60)  # 09:45: the doors open at 10:00, the booking's window now
    assert issue(hall).status_code == 409
    checked_in = hall.post(f"{HALL}/tickets", json={"queue": "A", "appointment_code": booked.json()["code"]},
                           headers=KIOSK)
    assert checked_in.status_code == 201 and checked_in.json()["channel"] == "appointment", checked_in.text


def test_no_show_and_reinstate_follow_the_halls_rules(hall: TestClient, clock: FakeClock) -> None:
    clerk = login(hall, "clerk01")
    put(hall, {"no_show_after_calls": 2, "reinstate_within_min": 10})
    issue(hall), issue(hall)
    hall.post(f"{HALL}/counters/1/open", headers=clerk)
    assert hall.post(f"{HALL}/counters/1/call-next", headers=clerk).json()["number"] == "A001"
    early = hall.post(f"{HALL}/counters/1/no-show", headers=clerk)
    assert early.status_code == 409 and "2 次" in early.json()["error"]["message"], early.text
    assert hall.post(f"{HALL}/counters/1/recall", headers=clerk).status_code == 200
    assert hall.post(f"{HALL}/counters/1/no-show", headers=clerk).status_code == 200
    clock.advance(11 * 60)
    late = hall.post(f"{HALL}/counters/1/reinstate", json={"number": "A001"}, headers=clerk)
    assert late.status_code == 409 and "10 分钟" in late.json()["error"]["message"], late.text
    put(hall, {"reinstate_within_min": 0})  # any time that day
    assert hall.post(f"{HALL}/counters/1/reinstate", json={"number": "A001"}, headers=clerk).status_code == 200


def test_settings_outlive_a_restart_and_are_audited(database_url: str) -> None:
    seed(database_url)
    everything = {"name": "晋安区政务服务中心", "phone": "0591-87711892", "notice": "周六上午延时服务",
                  "opening_hours": HOURS, "policy": {"kind": "ratio", "max_priority_streak": 2},
                  "reinstate_places": 4, "no_show_after_calls": 3, "reinstate_within_min": 30,
                  "display_languages": ["zh"], "alerts": {"crowded_per_counter": 6}}
    with started(database_url) as first:
        changed = put(first, everything)
        assert changed.status_code == 200, changed.text
        kept = changed.json()
    with started(database_url) as second:
        manager = login(second, "manager")
        assert second.get(SETTINGS, headers=manager).json() == kept
        assert second.get(HALL).json()["name"] == "晋安区政务服务中心"
        assert second.get(f"{HALL}/snapshot").json()["notice"] == "周六上午延时服务"
        trail = second.get("/api/v1/audit?action=settings", headers=manager).json()["entries"]
        sentence = trail[0]["sentence"]
        assert "修改了大厅设置" in sentence, sentence
        for said in ("大厅名称：晋安区行政服务中心 → 晋安区政务服务中心",
                     "叫号策略：保护等候（连续 3 位优先、普通号等满 15 分钟） → 比例 2:1",
                     "显示屏语言：中文、英文 → 中文", "过号：呼叫 1 次未到 → 呼叫 3 次未到",
                     "开放时间：未设置 → 工作日 09:00–12:00、13:30–17:00，休息日不开放，结束前 30 分钟停止取号",
                     "拥挤预警：每个窗口等候超过 10 人 → 每个窗口等候超过 6 人"):
            assert said in sentence, sentence
