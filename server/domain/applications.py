"""Online pre-review (网上预审, seed art. 15(三)(四)): what an application is and what its files may be.
Pure; no I/O.

A visitor applies online with every material of the item as a PDF or an image; the item's
department or the hall's staff pre-review it within ``REVIEW_DAYS`` working days. A pass on an item of
``ACCEPTED_FROM_STAR`` stars or more counts as accepted (a case with a receipt); on a lesser item the
visitor brings the originals to the hall. A fail gives the one-time notice (一次性告知). A file is
taken for what its first bytes say it is, never for its name or the type the browser claims.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import Conflict, InvalidInput, NotFound

REVIEW_DAYS = 2  # working days to pre-review (seed art. 15(四))
ACCEPTED_FROM_STAR = 4  # 4 and 5 stars: a passed pre-review is the acceptance itself (受理)
MiB = 1024 * 1024
MAX_FILE_BYTES = 10 * MiB
MAX_TOTAL_BYTES = 30 * MiB
MAX_FILES_PER_MATERIAL = 5
MAX_FILES = 40
SUBMISSIONS_PER_WINDOW = 5  # per client address …
SUBMISSION_WINDOW_S = 600.0  # … in 10 minutes
LIMITS_TEXT = "支持 PDF、JPG、PNG 格式；每个文件不超过 10 MB，全部材料合计不超过 30 MB"


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    PASSED = "passed"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


LABELS: dict[str, str] = {ApplicationStatus.SUBMITTED: "待预审", ApplicationStatus.PASSED: "预审通过",
          ApplicationStatus.FAILED: "预审未通过", ApplicationStatus.WITHDRAWN: "已撤回"}
FINAL = frozenset({ApplicationStatus.PASSED, ApplicationStatus.FAILED, ApplicationStatus.WITHDRAWN})
DELIVERIES = {"postal": "邮寄送达", "pickup": "到大厅领取"}


def label(status: str) -> str:
    return LABELS.get(status, status)


class UnknownApplication(NotFound):
    code = "unknown_application"


class ApplicationInvalid(InvalidInput):
    code = "invalid_application"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"


def accepted_on_pass(star: int | None) -> bool:
    """A pass on a 4- or 5-star item is the acceptance (a case and its receipt); below, the visitor
    brings the originals to the hall."""
    return star is not None and star >= ACCEPTED_FROM_STAR


# ---------------------------------------------------------------- files
# The first bytes of each kind taken, and the names a visitor's file may carry for it.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}
SUFFIXES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
KIND_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPG 图片", "image/png": "PNG 图片"}
SNIFF_BYTES = 8


def sniff(head: bytes) -> str | None:
    """The content type the file's first bytes prove, or None when they are none of PDF, JPEG, PNG."""
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)


def check_file(material: str, field: str, filename: str, size: int, head: bytes) -> str:
    """The file's content type, or ApplicationInvalid naming ``field``: empty, over 10 MiB, not a
    PDF/JPEG/PNG by its content, or named as one kind and being another (a .pdf that is not a PDF)."""
    if size <= 0:
        raise ApplicationInvalid(f"「{material}」的文件是空的，请重新选择", "the file is empty", field)
    if size > MAX_FILE_BYTES:
        raise ApplicationInvalid(f"「{material}」的文件超过 10 MB，请压缩或分页扫描后再上传",
                                 f"a file may be at most {MAX_FILE_BYTES} bytes", field)
    kind = sniff(head)
    if kind is None:
        raise ApplicationInvalid(f"「{material}」的文件不是 PDF、JPG 或 PNG 格式，请重新选择",
                                 "a file must be a PDF, JPEG or PNG by its content", field)
    said = EXTENSIONS.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    if said is not None and said != kind:
        raise ApplicationInvalid(f"「{material}」的文件名是 {KIND_NAMES[said]}，内容却是 {KIND_NAMES[kind]}，"
                                 "请确认文件是否正确", "the file's content is not what its name says", field)
    return kind


def check_total(total: int) -> None:
    if total > MAX_TOTAL_BYTES:
        raise ApplicationInvalid("全部材料合计超过 30 MB，请压缩后再上传",
                                 f"the files together may be at most {MAX_TOTAL_BYTES} bytes", "files")


# ---------------------------------------------------------------- the decision
def check_decision(result: str, materials: list[str], missing: list[str], note: str | None) -> list[str]:
    """The missing materials of a decision, deduplicated: a fail must say what is missing or wrong
    (materials of the item, or a note), a pass nothing missing."""
    missing = list(dict.fromkeys(m.strip() for m in missing if m.strip()))
    strays = [m for m in missing if m not in materials]
    if strays:
        raise ApplicationInvalid(f"字段 missing 无效：「{'、'.join(strays)}」不是该事项的材料"
                                 f"（应为：{'、'.join(materials) or '无'}）", "not materials of the item", "missing")
    if result == "fail" and not missing and not (note or "").strip():
        raise ApplicationInvalid("预审不通过时请勾选缺少或有误的材料，或在备注中写明原因",
                                 "a fail must name the missing materials or give a note", "missing")
    if result == "pass" and missing:
        raise ApplicationInvalid("预审通过时不应有缺少的材料", "a pass has nothing missing", "missing")
    return missing


def notice_text(item_name: str, missing: list[str], note: str | None) -> str:
    """The one-time notice (一次性告知) of a failed pre-review: everything to put right at once."""
    parts = [f"您申请的「{item_name}」网上预审未通过。"]
    if missing:
        parts.append("请一次性补齐或更正以下材料：" + "；".join(f"{n}. {m}" for n, m in enumerate(missing, 1)) + "。")
    if note and note.strip():
        parts.append(f"预审意见：{note.strip()}")
    parts.append("更正后请重新提交申请。")
    return "".join(parts)
