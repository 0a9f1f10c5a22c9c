"""Online pre-review (网上预审, seed art. 15(三)(四)(六)): a visitor applies from a phone with every material
of an item done online, as PDF or image files; the item's department or the hall's clerks and managers
pre-review it within two working days; a pass on a 4- or 5-star item is the acceptance itself (a case
with a receipt, channel ``online``), on a lesser item the visitor brings the originals; a fail gives the
one-time notice. After a pass the visitor may book a visit or choose postal delivery of the result.

Files: each is taken for what its first bytes prove (PDF, JPEG, PNG), at most 10 MiB, 30 MiB an
application; stored under ``ONEWINDOW_UPLOAD_DIR`` (``var/uploads``) in a folder per hall, under a random
name, readable by the server's user only, never under static/; served back only to the staff who may
review the application and to the applicant's status link, as attachments. They go, with the applicant's
name, phone, ID hash and address, when the retention purge blanks the application (``purge_personal_data``,
run by server/services/retention.py). The ID number itself is never stored: its keyed hash and last four.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection

from server.auth import Principal
from server.context import AppContext
from server.domain import applications as rules
from server.domain.applications import (
    MAX_FILES,
    MAX_FILES_PER_MATERIAL,
    AlreadyReviewed,
    ApplicationInvalid,
    ApplicationStatus,
    UnknownApplication,
)
from server.domain.cases import FINAL as FINAL_CASE
from server.domain.errors import Forbidden
from server.domain.hall import Hall
from server.domain.identity import InvalidIdNumber, id_hash, mask_name, validate_id_number
from server.domain.views import iso
from server.store import applications as store
from server.store import catalog as catalog_store

from . import cases
from .calendar import work_calendar

REVIEWER_ROLES = ("clerk", "manager", "admin")  # of the hall; and the item's department's accounts
LIST_LIMIT = 500
CHUNK = 1024 * 1024


# ---------------------------------------------------------------- views
def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {"code": row["item_code"], "name": row["item_name"], "department": row["department"],
            "department_name": row["department_name"] or row["department"], "star": row["star"],
            "accepted_on_pass": rules.accepted_on_pass(row["star"])}


def notice(row: dict[str, Any]) -> dict[str, Any] | None:
    """The one-time notice (一次性告知) of a failed pre-review: everything to put right at once."""
    if row["status"] != ApplicationStatus.FAILED:
        return None
    return {"title": "一次性告知", "missing": list(row["missing"]), "note": row["note"] or "",
            "text": rules.notice_text(row["item_name"], list(row["missing"]), row["note"])}


def _file_views(files: list[dict[str, Any]], base: str, staff: bool) -> list[dict[str, Any]]:
    out = []
    for f in files:
        view = {"id": f["id"], "material": f["material"], "content_type": f["content_type"], "size": f["size"],
                "url": f"{base}/files/{f['id']}"}
        if staff:
            view["sha256"] = f["sha256"]
        out.append(view)
    return out


def public_view(hall: Hall, row: dict[str, Any], files: list[dict[str, Any]], case_token: str | None
                ) -> dict[str, Any]:
    """The application as its applicant sees it (the status link): the name masked, never the ID
    number, the phone or the address itself."""
    token = row["status_token"]
    return {
        "id": row["id"], "status": row["status"], "status_label": rules.label(row["status"]),
        "status_token": token, "status_url": f"/apply/{row['hall']}/s/{token}", "item": _item(row),
        "applicant": {"masked_name": mask_name(row["applicant_name"]) if row["applicant_name"] else "**"},
        "submitted_at": iso(row["submitted_at"], hall), "due_on": row["due_on"].isoformat(),
        "due_provisional": row["due_provisional"], "reviewed_at": iso(row["reviewed_at"], hall),
        "note": row["note"] if row["status"] == ApplicationStatus.FAILED else None,
        "missing": list(row["missing"]), "notice": notice(row),
        "case": {"receipt_no": row["receipt_no"], "url": f"/c/{case_token}" if case_token else None}
        if row["receipt_no"] else None,
        "delivery": row["delivery"], "delivery_label": rules.DELIVERIES.get(row["delivery"] or "", ""),
        "address_given": bool(row["address"]),
        "files": _file_views(files, f"/api/v1/applications/{token}", staff=False),
        "hall": {"code": hall.config.code, "name": hall.config.name},
    }


def staff_view(hall: Hall, row: dict[str, Any], files: list[dict[str, Any]] | None, today: date,
               file_count: int | None = None) -> dict[str, Any]:
    """The application as the staff who review it see it: the applicant's name and phone as the
    counter has them, the ID number's last four only."""
    waiting = row["status"] == ApplicationStatus.SUBMITTED
    out: dict[str, Any] = {
        "id": row["id"], "status": row["status"], "status_label": rules.label(row["status"]), "item": _item(row),
        "applicant": {"name": row["applicant_name"], "masked_name": mask_name(row["applicant_name"])
                      if row["applicant_name"] else "", "phone": row["phone"] or "", "id_last4": row["id_last4"]},
        "submitted_at": iso(row["submitted_at"], hall), "due_on": row["due_on"].isoformat(),
        "due_provisional": row["due_provisional"], "overdue": waiting and row["due_on"] < today,
        "due_today": waiting and row["due_on"] == today,
        "reviewed_at": iso(row["reviewed_at"], hall), "reviewer": row["reviewer"], "note": row["note"],
        "missing": list(row["missing"]), "receipt_no": row["receipt_no"], "delivery": row["delivery"],
        "delivery_label": rules.DELIVERIES.get(row["delivery"] or "", ""), "address": row["address"],
    }
    if files is not None:
        out["files"] = _file_views(files, f"/api/v1/halls/{row['hall']}/applications/{row['id']}", staff=True)
        out["file_count"] = len(files)
    else:
        out["file_count"] = file_count or 0
    return out


# ---------------------------------------------------------------- the visitor's page
async def apply_page_data(context: AppContext, hall: Hall) -> dict[str, Any]:
    """What /apply/{hall} embeds: the items that can be done online, each with its materials and
    what a pass means (accepted at once, or bring the originals), and the files' limits."""
    code = hall.config.code
    found = await context.engine.read(lambda conn: catalog_store.items_of(conn, code))
    items = [{"code": i["code"], "name": i["name"], "department_name": i["department_name"], "star": i["star"],
              "accepted_on_pass": rules.accepted_on_pass(i["star"]), "time_limit_days": i["time_limit_days"],
              "materials": i["materials"], "materials_detail": i["materials_detail"]}
             for i in found if i["online"]]
    return {"hall": {"code": code, "name": hall.config.name}, "items": items,
            "limits": {"file_bytes": rules.MAX_FILE_BYTES, "total_bytes": rules.MAX_TOTAL_BYTES,
                       "files_per_material": MAX_FILES_PER_MATERIAL, "types": sorted(rules.SUFFIXES),
                       "text": rules.LIMITS_TEXT},
            "review_days": rules.REVIEW_DAYS}


async def by_status_token(context: AppContext, token: str) -> dict[str, Any]:
    """The application behind a status link, as its applicant sees it; UnknownApplication else."""
    row = await _by_token(context, token)
    hall = await context.engine.hall(row["hall"])
    return await _public(context, hall, row)


async def _public(context: AppContext, hall: Hall, row: dict[str, Any]) -> dict[str, Any]:
    receipt = row["receipt_no"]

    def read(conn: Connection) -> tuple[list[dict[str, Any]], str | None]:
        return store.files_of(conn, row["id"]), store.case_token(conn, receipt) if receipt else None

    files, case_token = await context.engine.read(read)
    return public_view(hall, row, files, case_token)


async def _by_token(context: AppContext, token: str) -> dict[str, Any]:
    row = await context.engine.read(lambda conn: store.by_token(conn, token)) if len(token) <= 64 else None
    if row is None:
        raise UnknownApplication("没有找到这份网上申请，请核对链接是否完整", "no such application")
    return row


# ---------------------------------------------------------------- submitting
@dataclass(frozen=True)
class Upload:
    """One file of the form: ``field`` is ``m{n}``, the item's n-th material (from 0)."""

    field: str
    filename: str
    file: BinaryIO
    size: int


@dataclass(frozen=True)
class Submission:
    item: str
    name: str
    id_number: str
    phone: str
    files: list[Upload] = field(default_factory=list)


def admit_submission(context: AppContext, address: str) -> None:
    """Submissions per client address (5 in 10 minutes), counted before the body is read: a
    script cannot make the server take in 30 MiB after 30 MiB."""
    limiter = context.application_limiter
    limiter.check(address, zh="提交过于频繁，请 {s} 秒后再试", en="too many applications; try again in {s} s")
    limiter.hit(address)


def _text_fields(given: Submission, today: date) -> tuple[str, str, str]:
    name = given.name.strip()
    if not name or len(name) > 30 or any(ord(ch) < 0x20 for ch in name):
        raise ApplicationInvalid("请填写申请人姓名（不超过 30 个字）", "name: 1 to 30 characters", "name")
    try:
        number = validate_id_number(given.id_number.strip(), today)
    except InvalidIdNumber as exc:
        raise ApplicationInvalid.coded("invalid_id_number", str(exc), "id_number") from None
    phone = given.phone.replace(" ", "").replace("-", "").removeprefix("+86")
    if len(phone) != 11 or not (phone.isascii() and phone.isdigit()) or phone[0] != "1":
        raise ApplicationInvalid("手机号码应为 1 开头的 11 位数字", "phone: a mainland mobile number", "phone")
    return name, number, phone


def _checked_files(materials: list[str], uploads: list[Upload]) -> list[tuple[Upload, str, str]]:
    """(upload, material, content type) of every file, in the item's order of materials; every
    material must have one to MAX_FILES_PER_MATERIAL files."""
    if len(uploads) > MAX_FILES:
        raise ApplicationInvalid(f"文件太多，最多 {MAX_FILES} 个", f"at most {MAX_FILES} files", "files")
    by_material: dict[int, list[Upload]] = {}
    for upload in uploads:
        index = upload.field[1:]
        if not (upload.field.startswith("m") and index.isascii() and index.isdigit() and len(index) <= 3
                and int(index) < len(materials)):
            raise ApplicationInvalid(f"字段 {upload.field[:40]} 无效：不是该事项的材料",
                                     "not a material of the item", upload.field[:40])
        by_material.setdefault(int(index), []).append(upload)
    out = []
    for n, material in enumerate(materials):
        given = by_material.get(n, [])
        if not given:
            raise ApplicationInvalid(f"请上传「{material}」", f"material {n} ({material}) is missing", f"m{n}")
        if len(given) > MAX_FILES_PER_MATERIAL:
            raise ApplicationInvalid(f"「{material}」最多上传 {MAX_FILES_PER_MATERIAL} 个文件",
                                     f"at most {MAX_FILES_PER_MATERIAL} files a material", f"m{n}")
        for upload in given:
            upload.file.seek(0)
            head = upload.file.read(rules.SNIFF_BYTES)
            kind = rules.check_file(material, f"m{n}", upload.filename, upload.size, head)
            out.append((upload, material, kind))
    rules.check_total(sum(u.size for u, _, _ in out))
    return out


def upload_folder(context: AppContext, hall: str) -> Path:
    return Path(context.settings.upload_dir) / hall


def _store_files(folder: Path, files: list[tuple[Upload, str, str]], names: list[str]) -> list[dict[str, Any]]:
    """Writes each file under its random name (owner-only, never over another), hashing as it goes;
    on any failure removes what it wrote."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[Path] = []
    rows = []
    try:
        for (upload, material, kind), name in zip(files, names, strict=True):
            path = folder / name
            digest = hashlib.sha256()
            size = 0
            upload.file.seek(0)
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                written.append(path)
                while chunk := upload.file.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            rows.append({"material": material, "stored_name": name, "content_type": kind, "size": size,
                         "sha256": digest.hexdigest()})
    except BaseException:
        _remove(written)
        raise
    return rows


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def submit(context: AppContext, hall_code: str, given: Submission) -> dict[str, Any]:
    """Stores the application and its files: 201's body, as its applicant sees it (with the status
    link). Every refusal names its field: name, id_number, phone, item, m{n} (a material's files),
    files (all of them)."""
    hall = await context.engine.hall(hall_code)
    now = context.clock.now()
    day = hall.local_day(now)
    name, number, phone = _text_fields(given, day)
    code = given.item.strip().upper()
    item = await context.engine.read(lambda conn: catalog_store.item_view(conn, hall_code, code)) \
        if code and len(code) <= 32 else None
    if item is None:
        raise ApplicationInvalid.coded("unknown_item", f"本大厅没有事项 {code[:32]} (no such item)", "item")
    if not item["online"]:
        raise ApplicationInvalid.coded("item_not_online", f"「{item['name']}」不能网上办理，请到大厅窗口办理 "
                                       "(this item cannot be applied for online)", "item")
    checked = _checked_files(list(item["materials"]), given.files)
    due, provisional = (await work_calendar(context)).add_working_days(day, rules.REVIEW_DAYS)
    folder = upload_folder(context, hall_code)
    names = [context.new_token(24) for _ in checked]
    rows = await asyncio.to_thread(_store_files, folder, checked, names)
    values = {
        "hall": hall_code, "day": day, "item_code": item["code"], "item_name": item["name"],
        "department": item["department"], "department_name": item["department_name"], "star": item["star"],
        "applicant_name": name, "id_hash": id_hash(context.settings.secret_key, number), "id_last4": number[-4:],
        "phone": phone, "status": ApplicationStatus.SUBMITTED.value, "due_on": due, "due_provisional": provisional,
        "submitted_at": now.astimezone(UTC), "missing": [], "status_token": context.new_token(16),
        "updated_at": now.astimezone(UTC),
    }
    try:
        application_id = await context.engine.write(lambda conn: store.insert_application(conn, values, rows))
    except BaseException:
        _remove(folder / r["stored_name"] for r in rows)
        raise
    row = await context.engine.read(lambda conn: store.by_id(conn, application_id))
    assert row is not None
    return await _public(context, hall, row)


# ---------------------------------------------------------------- the applicant's choices
async def withdraw(context: AppContext, token: str) -> dict[str, Any]:
    """The applicant takes back an application not yet pre-reviewed."""
    row = await _by_token(context, token)
    now = context.clock.now().astimezone(UTC)
    changes = {"status": ApplicationStatus.WITHDRAWN.value, "updated_at": now}
    if not await context.engine.write(lambda conn: store.change(conn, row["id"], ApplicationStatus.SUBMITTED,
                                                                changes)):
        now_status = (await _by_token(context, token))["status"]
        raise AlreadyReviewed(f"该申请已{rules.label(now_status)}，不能撤回", "only a waiting application is withdrawn")
    return await by_status_token(context, token)


async def choose_delivery(context: AppContext, token: str, delivery: str, address: str | None) -> dict[str, Any]:
    """After a pass: the result by post to ``address`` (recorded on the application, which names its
    case), or collected at the hall (art. 15(六))."""
    row = await _by_token(context, token)
    if row["status"] != ApplicationStatus.PASSED:
        raise AlreadyReviewed("预审通过后才能选择结果送达方式", "choose a delivery after a pass")
    if delivery not in rules.DELIVERIES:
        raise ApplicationInvalid("送达方式应为 postal（邮寄）或 pickup（到大厅领取）", "postal or pickup", "delivery")
    text = " ".join((address or "").split())
    if delivery == "postal" and not 5 <= len(text) <= 200:
        raise ApplicationInvalid("邮寄请填写收件地址、收件人（5 至 200 个字）", "postal needs an address", "address")
    now = context.clock.now().astimezone(UTC)
    changes = {"delivery": delivery, "address": text if delivery == "postal" else None, "updated_at": now}
    await context.engine.write(lambda conn: store.set_values(conn, row["id"], changes))
    return await by_status_token(context, token)


# ---------------------------------------------------------------- the staff's side
def reviewer_scope(principal: Principal, hall: str) -> str | None:
    """The department the caller reviews for (None: the whole hall), or Forbidden."""
    if principal.kind == "user" and principal.role == "department" and principal.hall == hall \
            and principal.department:
        return principal.department
    if principal.kind == "user" and principal.role in REVIEWER_ROLES and principal.in_hall(hall):
        return None
    raise Forbidden("只有事项的承办部门或本大厅的窗口、管理人员可以预审网上申请",
                    "only the item's department or the hall's clerks and managers pre-review applications")


async def _staff_row(context: AppContext, principal: Principal, hall: str, raw_id: str) -> dict[str, Any]:
    department = reviewer_scope(principal, hall)
    application_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 9 else 0
    row = await context.engine.read(lambda conn: store.by_id(conn, application_id)) if application_id else None
    if row is None or row["hall"] != hall:
        raise UnknownApplication(f"本大厅没有编号为 {raw_id[:12]} 的网上申请", "no such application", "id")
    if department is not None and row["department"] != department:
        raise Forbidden(f"此申请属于{row['department_name'] or row['department']}，您的账号不能查看或预审",
                        "this application belongs to another department")
    return row


async def list_applications(context: AppContext, principal: Principal, hall_code: str,
                            status: str | None) -> list[dict[str, Any]]:
    """The hall's applications (a department's: its items'), waiting ones first, earliest due first."""
    hall = await context.engine.hall(hall_code)
    department = reviewer_scope(principal, hall_code)
    if status is not None and status not in rules.LABELS:
        raise ApplicationInvalid(f"status 应为 {'、'.join(rules.LABELS)} 之一", "unknown status", "status")

    def read(conn: Connection) -> tuple[list[dict[str, Any]], dict[int, int]]:
        rows = store.of_hall(conn, hall_code, status, department, LIST_LIMIT)
        return rows, store.file_counts(conn, [r["id"] for r in rows])

    rows, counts = await context.engine.read(read)
    today = hall.local_day(context.clock.now())
    return [staff_view(hall, r, None, today, counts.get(r["id"], 0)) for r in rows]


async def one_application(context: AppContext, principal: Principal, hall_code: str, raw_id: str) -> dict[str, Any]:
    hall = await context.engine.hall(hall_code)
    row = await _staff_row(context, principal, hall_code, raw_id)
    files = await context.engine.read(lambda conn: store.files_of(conn, row["id"]))
    return staff_view(hall, row, files, hall.local_day(context.clock.now()))


@dataclass(frozen=True)
class Decision:
    result: str  # pass | fail
    note: str | None = None
    missing: list[str] = field(default_factory=list)


async def review(context: AppContext, principal: Principal, hall_code: str, raw_id: str,
                 decision: Decision) -> dict[str, Any]:
    """通过 or 不通过. A fail names the missing or wrong materials (of the item) or says why in the note:
    the applicant's status page shows it as the one-time notice. A pass on a 4- or 5-star item is the
    acceptance: the case is received at once (channel online) and its receipt number kept here."""
    hall = await context.engine.hall(hall_code)
    row = await _staff_row(context, principal, hall_code, raw_id)
    if row["status"] != ApplicationStatus.SUBMITTED:
        raise AlreadyReviewed(f"该申请已{rules.label(row['status'])}", "this application was already decided")
    files = await context.engine.read(lambda conn: store.files_of(conn, row["id"]))
    materials = list(dict.fromkeys(f["material"] for f in files))  # the item's, as applied for
    if decision.result not in ("pass", "fail"):
        raise ApplicationInvalid("result 应为 pass（通过）或 fail（不通过）", "result: pass or fail", "result")
    missing = rules.check_decision(decision.result, materials, decision.missing, decision.note)
    now = context.clock.now()
    passed = decision.result == "pass"
    changes = {"status": (ApplicationStatus.PASSED if passed else ApplicationStatus.FAILED).value,
               "reviewed_at": now.astimezone(UTC), "reviewed_on": hall.local_day(now), "reviewer": principal.name,
               "note": (decision.note or "").strip() or None, "missing": missing, "updated_at": now.astimezone(UTC)}
    if not await context.engine.write(lambda conn: store.change(conn, row["id"], ApplicationStatus.SUBMITTED,
                                                                changes)):
        raise AlreadyReviewed("该申请刚刚已被他人预审，请刷新", "someone decided it meanwhile")
    if passed and rules.accepted_on_pass(row["star"]):
        try:
            receipt = await _receive_online(context, principal, row)
        except BaseException:
            undo = {"status": ApplicationStatus.SUBMITTED.value, "reviewed_at": None, "reviewed_on": None,
                    "reviewer": None, "note": None, "missing": [], "updated_at": row["updated_at"]}
            await context.engine.write(lambda conn: store.change(conn, row["id"], ApplicationStatus.PASSED, undo))
            raise
        await context.engine.write(lambda conn: store.set_values(conn, row["id"], {"receipt_no": receipt}))
    return await one_application(context, principal, hall_code, str(row["id"]))


async def _receive_online(context: AppContext, reviewer: Principal, row: dict[str, Any]) -> str:
    """The case a passed 4- or 5-star pre-review becomes, in the reviewer's name, with the keyed
    hash and last four of the applicant's ID number (the application never kept the number)."""
    applicant = cases.Applicant(row["applicant_name"], None, row["phone"], row["id_hash"], row["id_last4"])
    reception = cases.Reception(row["item_code"], applicant, channel="online", paperless=True)
    made = await cases.receive_online(context, reviewer, row["hall"], reception)
    return str(made["receipt_no"])


# ---------------------------------------------------------------- files
@dataclass(frozen=True)
class StoredFile:
    path: Path
    content_type: str
    download_name: str  # 居民身份证-1.pdf: the material's, never the visitor's file name


def _stored(context: AppContext, row: dict[str, Any], files: list[dict[str, Any]], raw_id: str) -> StoredFile:
    wanted = next((f for f in files if str(f["id"]) == raw_id), None)
    path = upload_folder(context, row["hall"]) / wanted["stored_name"] if wanted else None
    if wanted is None or path is None or not path.is_file():
        raise UnknownApplication("没有这个文件", "no such file", "file_id")
    same = [f["id"] for f in files if f["material"] == wanted["material"]]
    suffix = rules.SUFFIXES.get(wanted["content_type"], "bin")
    return StoredFile(path, wanted["content_type"], f"{wanted['material']}-{same.index(wanted['id']) + 1}.{suffix}")


async def staff_file(context: AppContext, principal: Principal, hall_code: str, raw_id: str,
                     file_id: str) -> StoredFile:
    row = await _staff_row(context, principal, hall_code, raw_id)
    files = await context.engine.read(lambda conn: store.files_of(conn, row["id"]))
    return _stored(context, row, files, file_id)


async def applicant_file(context: AppContext, token: str, file_id: str) -> StoredFile:
    row = await _by_token(context, token)
    files = await context.engine.read(lambda conn: store.files_of(conn, row["id"]))
    return _stored(context, row, files, file_id)


# ---------------------------------------------------------------- limits, figures, retention
async def prereviews_due(context: AppContext, hall: Hall) -> dict[str, list[dict[str, Any]]]:
    """Pre-reviews still to do that are due by the next working day (``soon``) or past due (``overdue``),
    for the dashboard's alerts: ``{id, item: {code, name}, department_name, due_on}`` each."""
    today = hall.local_day(context.clock.now())
    horizon, _ = (await work_calendar(context)).add_working_days(today, 1)
    code = hall.config.code
    rows = await context.engine.read(lambda conn: store.pending(conn, code))

    def brief(r: dict[str, Any]) -> dict[str, Any]:
        return {"id": r["id"], "item": {"code": r["item_code"], "name": r["item_name"]},
                "department_name": r["department_name"] or r["department"], "due_on": r["due_on"].isoformat()}

    return {"soon": [brief(r) for r in rows if today <= r["due_on"] <= horizon],
            "overdue": [brief(r) for r in rows if r["due_on"] < today]}


def prereview_figures(conn: Connection, hall: str, day_from: date, day_to: date) -> list[dict[str, Any]]:
    """Art. 22's pre-review figure, by the items' lead department, of the applications submitted on
    those hall-local days: ``{department, department_name, received, decided, on_time, late, pending,
    withdrawn, on_time_rate}`` (on time: decided no later than its limit, 2 working days; the rate is
    of those decided, None when none were). Run it in ``engine.read``."""
    out: dict[str, dict[str, Any]] = {}
    for r in store.of_days(conn, hall, day_from, day_to):
        f = out.setdefault(r["department"], {"department": r["department"],
                                             "department_name": r["department_name"] or r["department"],
                                             "received": 0, "decided": 0, "on_time": 0, "late": 0, "pending": 0,
                                             "withdrawn": 0})
        f["received"] += 1
        if r["status"] == ApplicationStatus.SUBMITTED:
            f["pending"] += 1
        elif r["status"] == ApplicationStatus.WITHDRAWN:
            f["withdrawn"] += 1
        else:
            f["decided"] += 1
            f["on_time" if r["reviewed_on"] is not None and r["reviewed_on"] <= r["due_on"] else "late"] += 1
    for f in out.values():
        f["on_time_rate"] = round(f["on_time"] / f["decided"], 4) if f["decided"] else None
    return sorted(out.values(), key=lambda f: str(f["department"]))


async def purge_personal_data(context: AppContext, hall: str, closed_before: datetime) -> int:
    """Blanks the applicant (name, phone, ID hash, address) of the hall's applications done with since
    before ``closed_before`` (decided or withdrawn without a case, or with a case final since then) and
    deletes their files; how many applications."""
    count, names = await context.engine.write(lambda conn: store.purge(conn, hall, sorted(FINAL_CASE), closed_before))
    folder = upload_folder(context, hall)
    await asyncio.to_thread(_remove, (folder / name for name in names))
    return count
