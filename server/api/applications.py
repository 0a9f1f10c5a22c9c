"""Online pre-review (网上预审): the visitor's application with its materials' files (multipart), the
status link's answers, and the staff's list, view, files and decision. The rules are
server/services/applications.py over server/domain/applications.py.

Personal data: the ID number is checked and kept only as a keyed hash and its last four; the
visitor's answers carry the masked name only; files are sent as attachments, never sniffed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.domain.applications import MAX_FILES, MAX_TOTAL_BYTES, ApplicationInvalid
from server.services import applications
from server.services.applications import Decision, StoredFile, Submission, Upload

from .declare import choice, endpoint, whole
from .errors import JSONResponse
from .schemas import Body

MAX_FORM_BYTES = MAX_TOTAL_BYTES + 2 * 1024 * 1024  # the files, the text fields and the multipart framing
TEXT_FIELDS = ("item", "name", "id_number", "phone")
APPLICATION = {"id": whole("the application's number", 1, 999_999_999)}
FILE = {**APPLICATION, "file_id": whole("the file's number", 1, 999_999_999)}
FILE_TYPES = ("application/pdf", "image/jpeg", "image/png")

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Review(Body):
    result: Literal["pass", "fail"] = Field(description="pass (通过) or fail (不通过)")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = Field(
        default=None, description="the reviewer's opinion; for a fail, what is wrong (shown to the applicant)")
    missing: Annotated[list[Short], Field(max_length=50)] = Field(
        default_factory=list, description="for a fail: the item's materials missing or wrong (the one-time notice)")


class Delivery(Body):
    delivery: Literal["postal", "pickup"] = Field(description="postal: by post to address; pickup: at the hall")
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, description="for postal: the address and the addressee")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _submission(request: Request) -> Submission:
    """The multipart form: the text fields once each, files under m0, m1 … (the item's materials)."""
    try:
        form = await request.form(max_files=MAX_FILES + 1, max_fields=len(TEXT_FIELDS) + 8,
                                  max_part_size=64 * 1024)
    except HTTPException as exc:  # not multipart, or malformed: a client mistake, named
        raise ApplicationInvalid(f"请求须为 multipart/form-data 表单：{exc.detail}",
                                 "the body must be multipart/form-data", "body") from None
    texts: dict[str, str] = {}
    uploads: list[Upload] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            value.file.seek(0, 2)
            size = value.file.tell()
            uploads.append(Upload(name, value.filename or "", value.file, size))
        elif name in TEXT_FIELDS and name not in texts:
            if "\x00" in value:
                raise ApplicationInvalid(f"字段 {name} 不能含有空字符", "no NUL characters", name)
            texts[name] = value
        else:
            raise ApplicationInvalid(f"字段 {name[:40]} 无效：不接受此字段", "unknown or repeated field", name[:40])
    return Submission(texts.get("item", ""), texts.get("name", ""), texts.get("id_number", ""),
                      texts.get("phone", ""), uploads)


@endpoint("POST", "/halls/{hall}/applications", "Apply online for pre-review (网上预审): multipart/form-data with "
          "item, name, id_number, phone and the files of each material as m0, m1 …", auth=False, tag="public",
          max_body=MAX_FORM_BYTES,
          responses={201: "the application as its applicant sees it, with its status_url",
                     404: "unknown hall", 413: "the body is over 32 MiB",
                     422: "a bad field, named: name, id_number, phone, item (unknown_item, item_not_online), m{n} "
                          "(a material's files: missing, empty, over 10 MiB, not PDF/JPEG/PNG by content), files "
                          "(over 30 MiB together), body (not a multipart form)",
                     429: "too many applications from this address"})
async def submit(request: Request) -> Response:
    """No sign-in; at most 5 per client address in 10 minutes. Each material of the item needs one to five
    files: PDF, JPEG or PNG by their content, 10 MiB each, 30 MiB together. The ID number is checked by its
    GB 11643 check digit and birth date, and kept only as a keyed hash and its last four."""
    context = ctx(request)
    applications.admit_submission(context, _address(request))
    try:
        made = await applications.submit(context, request.path_params["hall"], await _submission(request))
    finally:
        await request.close()  # the spooled files go at once
    return JSONResponse(made, status_code=201)


@endpoint("GET", "/applications/{status_token}", "An application by its status link (the applicant)",
          auth=False, tag="public", responses={200: "the application: status, notice when failed, case when "
                                                    "accepted", 404: "unknown token"})
async def status(request: Request) -> Response:
    return JSONResponse(await applications.by_status_token(ctx(request), request.path_params["status_token"]))


@endpoint("POST", "/applications/{status_token}/withdraw", "The applicant withdraws a waiting application",
          auth=False, tag="public", responses={200: "the application, withdrawn", 404: "unknown token",
                                               409: "already pre-reviewed or withdrawn"})
async def withdraw(request: Request) -> Response:
    return JSONResponse(await applications.withdraw(ctx(request), request.path_params["status_token"]))


@endpoint("POST", "/applications/{status_token}/delivery", "After a pass: the result by post or at the hall",
          body=Delivery, auth=False, tag="public",
          responses={200: "the application with its delivery", 404: "unknown token", 409: "not passed",
                     422: "postal without an address"})
async def delivery(request: Request, body: Delivery) -> Response:
    return JSONResponse(await applications.choose_delivery(ctx(request), request.path_params["status_token"],
                                                           body.delivery, body.address))


def _file(found: StoredFile) -> Response:
    """An attachment under the material's name, of the type its content proved, never sniffed, never
    cached, and inert should a browser open it anyway."""
    return FileResponse(found.path, media_type=found.content_type, filename=found.download_name,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})


@endpoint("GET", "/applications/{status_token}/files/{file_id}", "One of the applicant's own files",
          auth=False, tag="public", path_params={"file_id": FILE["file_id"]}, produces=FILE_TYPES,
          responses={200: "the file, as an attachment", 404: "unknown token or file"})
async def applicant_file(request: Request) -> Response:
    return _file(await applications.applicant_file(ctx(request), request.path_params["status_token"],
                                                   request.path_params["file_id"]))


@endpoint("GET", "/halls/{hall}/applications", "Online applications to pre-review (staff; a department: its items')",
          tag="cases", query={"status": choice("one status only", "submitted", "passed", "failed", "withdrawn")},
          responses={200: "{applications: [...]}: waiting ones first, earliest due first",
                     403: "not the hall's clerk, manager or department"})
async def list_applications(request: Request) -> Response:
    principal = await require_principal(request)
    found = await applications.list_applications(ctx(request), principal, request.path_params["hall"],
                                                 request.query_params.get("status") or None)
    return JSONResponse({"applications": found})


@endpoint("GET", "/halls/{hall}/applications/{id}", "One online application with its files (staff)", tag="cases",
          path_params=APPLICATION,
          responses={200: "the application", 403: "another department's, or not the hall's staff",
                     404: "unknown application"})
async def one_application(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await applications.one_application(ctx(request), principal, request.path_params["hall"],
                                                           request.path_params["id"]))


@endpoint("GET", "/halls/{hall}/applications/{id}/files/{file_id}", "One file of an application (staff)",
          tag="cases", path_params=FILE, produces=FILE_TYPES,
          responses={200: "the file, as an attachment", 403: "another department's, or not the hall's staff",
                     404: "unknown application or file"})
async def staff_file(request: Request) -> Response:
    principal = await require_principal(request)
    params = request.path_params
    return _file(await applications.staff_file(ctx(request), principal, params["hall"], params["id"],
                                               params["file_id"]))


@endpoint("POST", "/halls/{hall}/applications/{id}/review", "Pre-review an application: pass or fail (staff)",
          body=Review, tag="cases", path_params=APPLICATION,
          responses={200: "the application; a pass on a 4- or 5-star item carries the new case's receipt_no",
                     403: "another department's, or not the hall's staff", 404: "unknown application",
                     409: "already decided or withdrawn",
                     422: "a fail naming nothing, or materials not of the item (missing)"})
async def review(request: Request, body: Review) -> Response:
    """通过 or 不通过 within 2 working days. A fail names the missing or wrong materials, or says why in
    the note: the applicant's status page shows it as the one-time notice. A pass on a 4- or 5-star item
    is the acceptance: the case is received at once (channel online); on a lesser item the applicant
    brings the originals to the hall."""
    principal = await require_principal(request)
    decision = Decision(body.result, body.note, list(body.missing))
    return JSONResponse(await applications.review(ctx(request), principal, request.path_params["hall"],
                                                  request.path_params["id"], decision))


ROUTES: list[BaseRoute] = [submit, status, withdraw, delivery, applicant_file, list_applications, one_application,
                           staff_file, review]
