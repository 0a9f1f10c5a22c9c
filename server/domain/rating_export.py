"""好差评 to the province: one of the hall's ratings as the record the provincial 好差评 platform takes,
and a day's records as a file. Plain data, no I/O (docs/kpis.md "好差评 to the province").

The record's keys are those the provinces' 好差评 interfaces use for the national 政务服务"好差评" data
(``taskCode`` 事项编码, ``projectNo`` 办件编号, ``pf`` 评价渠道, ``satisfaction`` 评价等级, ``assessTime``
评价时间 …); the file's Chinese headers are the data items of GB/T 39046—2020 表9 (政务服务绩效评价)
where it has them. A rating is anonymous: the record never carries who rated, nor an ID number or a
phone (digits typed into the comment are masked).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from .ratings import LEVELS

# 评价渠道 (pf), in the order GB/T 39046—2020 表9 lists them.
PF_NAMES: dict[str, str] = {"1": "PC端", "2": "移动服务端", "3": "二维码", "4": "政务大厅平板电脑",
                            "5": "政务大厅其他终端", "6": "电话", "7": "短信"}
# Our ratings' ``source`` → pf. The visitor's phone page (/t/{token}, opened from the slip's QR code) is
# the visitor's own mobile device: 移动服务端. A source not listed was given in the hall: 其他终端.
CHANNELS: dict[str, str] = {"tablet": "4", "evaluator": "5", "kiosk": "5", "phone": "2", "sms": "7"}
OTHER_TERMINAL = "5"
ASSESS_NUMBER = 1  # 评价次数: one rating per service, never a second (server/services/ratings.py)

# key → the file's header; the JSON lines and the POSTed records use the keys.
FIELDS: tuple[tuple[str, str], ...] = (
    ("assessId", "评价编号"), ("areaCode", "行政区划"), ("hallCode", "大厅编码"), ("hallName", "大厅名称"),
    ("taskCode", "事项编码"), ("taskName", "事项名称"), ("projectNo", "办件编号"),
    ("otherProjectNos", "同次服务的其他办件"), ("deptCode", "部门编码"), ("proDepart", "受理部门"),
    ("windowNo", "窗口号"), ("proManager", "经办人"), ("proManagerAccount", "经办人账号"),
    ("proManagerNo", "经办人工号"), ("pf", "评价渠道代码"), ("pfName", "评价渠道"), ("satisfaction", "评价等级"),
    ("satisfactionName", "满意度"), ("evalReasons", "不满意原因"), ("writingEvaluation", "文字评价"),
    ("assessTime", "评价时间"), ("assessNumber", "评价次数"),
)
# Seven digits or more, spaces and hyphens between them allowed, an ID number's final X too: a phone,
# an ID number or a bank card someone typed into the comment.
_NUMBERS = re.compile(r"\d(?:[\s-]?\d){6,}[xX]?")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run the cell (as reports/export.py)


@dataclass(frozen=True)
class CaseFacts:
    """A case (办件) received for the rated ticket."""

    receipt_no: str
    item_code: str
    item_name: str
    department: str  # the lead department's code
    department_name: str | None


@dataclass(frozen=True)
class RatingFacts:
    """A stored rating with what the record needs about its hall, clerk and cases (oldest case first)."""

    rating_id: int
    hall: str
    hall_name: str
    at: datetime  # aware
    level: int
    reasons: tuple[str, ...]
    comment: str | None
    source: str
    counter: int
    clerk: str | None
    clerk_name: str | None
    staff_no: str | None
    cases: tuple[CaseFacts, ...] = ()


def assess_id(hall: str, rating_id: int) -> str:
    """Unique and stable across exports: the hall's code and the rating's id."""
    return f"{hall}-{rating_id}"


def channel(source: str) -> str:
    return CHANNELS.get(source, OTHER_TERMINAL)


def mask_numbers(text: str) -> str:
    return _NUMBERS.sub(lambda m: "*" * len(m.group()), text)


def national_record(facts: RatingFacts, region: str, tz: tzinfo) -> dict[str, Any]:
    """The 好差评 record of one rating. A rating whose ticket has no case (a question answered, a
    form handed out) has no item code nor case number: those are empty, never guessed from the queue."""
    first = facts.cases[0] if facts.cases else None
    pf = channel(facts.source)
    comment = (facts.comment or "").strip()
    return {
        "assessId": assess_id(facts.hall, facts.rating_id),
        "areaCode": region,
        "hallCode": facts.hall,
        "hallName": facts.hall_name,
        "taskCode": first.item_code if first else "",
        "taskName": first.item_name if first else "",
        "projectNo": first.receipt_no if first else "",
        "otherProjectNos": [c.receipt_no for c in facts.cases[1:]],
        "deptCode": first.department if first else "",
        "proDepart": (first.department_name or first.department) if first else "",
        "windowNo": facts.counter,
        "proManager": facts.clerk_name or facts.clerk or "",
        "proManagerAccount": facts.clerk or "",
        "proManagerNo": facts.staff_no or "",
        "pf": pf,
        "pfName": PF_NAMES[pf],
        "satisfaction": facts.level,
        "satisfactionName": LEVELS[facts.level],
        "evalReasons": list(facts.reasons),
        "writingEvaluation": mask_numbers(comment),
        "assessTime": facts.at.astimezone(tz).isoformat(timespec="seconds"),
        "assessNumber": ASSESS_NUMBER,
    }


def local_day(record: dict[str, Any]) -> date:
    """The hall-local day a record's rating was given (its ``assessTime`` carries the hall's offset)."""
    return datetime.fromisoformat(record["assessTime"]).date()


# ---------------------------------------------------------------- files
def _cell(value: Any) -> str:
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(records: Iterable[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM (Excel reads the Chinese), the Chinese header, one line per rating."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header for _, header in FIELDS])
    writer.writerows([_cell(record.get(key)) for key, _ in FIELDS] for record in records)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_jsonl(records: Iterable[dict[str, Any]]) -> bytes:
    """JSON lines: one record per line, the keys as POSTed."""
    return b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in records)


FORMATS = {"csv": ("text/csv; charset=utf-8", to_csv), "jsonl": ("application/x-ndjson", to_jsonl)}


def file_name(hall: str, day: date, fmt: str) -> str:
    return f"hcp-{hall}-{day.isoformat()}.{fmt}"


# ---------------------------------------------------------------- the POST
def batch_body(hall: str, region: str, day: date, records: Sequence[dict[str, Any]]) -> bytes:
    """What the provincial platform receives: one day's not-yet-sent records of a hall."""
    payload = {"hall": hall, "areaCode": region, "date": day.isoformat(), "count": len(records),
               "records": list(records)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def batch_key(hall: str, day: date, ids: Iterable[str]) -> str:
    """The batch's Idempotency-Key: the same records, the same key (a retried POST is the same batch)."""
    digest = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]
    return f"hcp:{hall}:{day.isoformat()}:{digest}"
