"""A rating as the provincial 好差评 platform's record, and a day's records as a file: no I/O."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from server.domain.rating_export import (
    FIELDS,
    CaseFacts,
    RatingFacts,
    batch_body,
    batch_key,
    local_day,
    mask_numbers,
    national_record,
    to_csv,
    to_jsonl,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
B01 = CaseFacts("JA202611250001", "B01", "个体工商户设立登记", "SCJG", "区市场监管局")
B02 = CaseFacts("JA202611250002", "B02", "有限责任公司设立登记", "SCJG", None)


def facts(**more: object) -> RatingFacts:
    base: dict[str, object] = {
        "rating_id": 7, "hall": "jinan", "hall_name": "晋安区行政服务中心",
        "at": datetime(2026, 11, 25, 15, 59, 30, tzinfo=UTC), "level": 1, "reasons": ("服务态度差",),
        "comment": None, "source": "tablet", "counter": 4, "clerk": "clerk04", "clerk_name": "郑伟",
        "staff_no": "JA004", "cases": (B01,)}
    base.update(more)
    return RatingFacts(**base)  # type: ignore[arg-type]


def test_a_rating_on_a_case_carries_its_item_case_clerk_and_hall_time() -> None:
    record = national_record(facts(), "350111", SHANGHAI)
    assert record == {
        "assessId": "jinan-7", "areaCode": "350111", "hallCode": "jinan", "hallName": "晋安区行政服务中心",
        "taskCode": "B01", "taskName": "个体工商户设立登记", "projectNo": "JA202611250001", "otherProjectNos": [],
        "deptCode": "SCJG", "proDepart": "区市场监管局", "windowNo": 4, "proManager": "郑伟",
        "proManagerAccount": "clerk04", "proManagerNo": "JA004", "pf": "4", "pfName": "政务大厅平板电脑",
        "satisfaction": 1, "satisfactionName": "非常不满意", "evalReasons": ["服务态度差"], "writingEvaluation": "",
        "assessTime": "2026-11-25T23:59:30+08:00", "assessNumber": 1}
    assert local_day(record) == date(2026, 11, 25)  # the hall's day, not UTC's
    assert [key for key, _ in FIELDS] == list(record)


def test_without_a_case_the_item_and_case_number_stay_empty() -> None:
    record = national_record(facts(cases=(), clerk=None, clerk_name=None, staff_no=None), "", SHANGHAI)
    assert (record["taskCode"], record["projectNo"], record["proDepart"], record["proManager"]) == ("", "", "", "")


def test_a_ticket_with_two_cases_names_the_first_and_lists_the_other() -> None:
    record = national_record(facts(cases=(B02, B01)), "", SHANGHAI)
    assert (record["taskCode"], record["projectNo"], record["proDepart"]) == ("B02", "JA202611250002", "SCJG")
    assert record["otherProjectNos"] == ["JA202611250001"]


def test_each_source_has_its_national_channel() -> None:
    channels = {source: national_record(facts(source=source), "", SHANGHAI)["pfName"]
                for source in ("tablet", "evaluator", "kiosk", "phone", "sms", "something-new")}
    assert channels == {"tablet": "政务大厅平板电脑", "evaluator": "政务大厅其他终端", "kiosk": "政务大厅其他终端",
                        "phone": "移动服务端", "sms": "短信", "something-new": "政务大厅其他终端"}


def test_numbers_typed_into_the_comment_never_leave() -> None:
    assert mask_numbers("电话13912345678") == "电话***********"
    assert mask_numbers("139-1234-5678 找我") == "************* 找我"
    assert mask_numbers("身份证 35010219800101123X") == "身份证 " + "*" * 18
    assert mask_numbers("等了 45 分钟，3号窗口") == "等了 45 分钟，3号窗口"
    record = national_record(facts(comment=" 回电 13912345678 "), "", SHANGHAI)
    assert record["writingEvaluation"] == "回电 ***********"


def test_the_file_has_chinese_headers_a_bom_and_no_formulas() -> None:
    records = [national_record(facts(comment="=HYPERLINK(\"x\")"), "350111", SHANGHAI),
               national_record(facts(rating_id=8, cases=(B01, B02)), "350111", SHANGHAI)]
    raw = to_csv(records)
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == [header for _, header in FIELDS] and len(lines) == 3
    assert lines[1][lines[0].index("文字评价")] == "'=HYPERLINK(\"x\")"
    assert lines[2][lines[0].index("同次服务的其他办件")] == "JA202611250002"
    assert [json.loads(line)["assessId"] for line in to_jsonl(records).decode().splitlines()] == ["jinan-7", "jinan-8"]


def test_a_batch_is_keyed_by_its_records() -> None:
    records = [national_record(facts(), "350111", SHANGHAI)]
    body = json.loads(batch_body("jinan", "350111", date(2026, 11, 25), records))
    assert (body["date"], body["count"], body["records"]) == ("2026-11-25", 1, records)
    day = date(2026, 11, 25)
    assert batch_key("jinan", day, ["jinan-1", "jinan-2"]) == batch_key("jinan", day, ["jinan-2", "jinan-1"])
    assert batch_key("jinan", day, ["jinan-1"]) != batch_key("jinan", day, ["jinan-1", "jinan-2"])
