"""A hall's departments and service-item catalog (CONTRACT v2 "Setting up a hall"): departments
and items created or changed with PUT, retired with DELETE; the whole catalog imported from an
.xlsx or .csv body, all or nothing, and exported in the same columns. Thin: the rules are
server/services/catalog.py's; before and after go to the audit trail's entry of the request."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.domain.errors import InvalidInput
from server.services import catalog
from server.services.catalog_files import CSV_TYPE, XLSX_TYPE

from .declare import Param, endpoint
from .errors import JSONResponse
from .layout import changed
from .schemas import Body

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
DepartmentRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Days = Annotated[int, Field(ge=0, le=9999)]
DEPARTMENT = {"code": Param("the department's code: letters, digits, - or _, e.g. scjg", required=True)}
ITEM = {"code": Param("the item's code: letters, digits, - or _, e.g. A01", required=True)}
MAX_CATALOG_BYTES = 10 * 1024 * 1024  # a catalog of thousands of items with long guides stays far below


class PutDepartment(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="e.g. 区市场监管局")
    position: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        default=None, description="its place in the lists, 1 = first; kept when left out")


class PutItem(Body):
    name: Short = Field(description="e.g. 个体工商户设立登记")
    queue: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)] = Field(
        description="the theme's queue code, e.g. B")
    department: DepartmentRef = Field(description="the implementing (lead) department's code")
    time_limit_days: Days = Field(description="the promised time limit (承诺时限) in working days; 0 = 即办")
    materials: Annotated[list[Short], Field(max_length=100)] = Field(
        default_factory=list, description="e.g. [\"居民身份证（原件1份）\", \"营业执照（复印件1份）\"]")
    departments: Annotated[list[DepartmentRef], Field(max_length=20)] = Field(
        default_factory=list,
        description="every department that must decide (联审联办), codes; the lead may be left out")
    statutory_days: Days | None = Field(default=None, description="the statutory time limit (法定时限), working days")
    fee: Text = Field(default="", description="收费标准, e.g. 不收费")
    legal_basis: Text = Field(default="", description="设定依据")
    acceptance_standard: Text = Field(default="", description="受理标准")
    immediate: bool = Field(default=False, description="即办: decided at the window")
    online: bool = Field(default=False, description="can be applied for online (网办)")
    star: Annotated[int, Field(ge=1, le=5)] | None = Field(default=None, description="online pre-review star level")


@endpoint("GET", "/halls/{hall}/departments", "The hall's departments, retired ones marked", auth=False,
          tag="setup", responses={200: "{departments: [{code, name, active, items}]}", 404: "unknown hall"})
async def list_departments(request: Request) -> Response:
    found = await catalog.departments(ctx(request), request.path_params["hall"])
    return JSONResponse({"departments": found})


@endpoint("PUT", "/halls/{hall}/departments/{code}", "Create a department or rename it", body=PutDepartment,
          tag="setup", path_params=DEPARTMENT,
          responses={201: "created", 200: "renamed or moved", 403: "not a manager of this hall", 404: "unknown hall",
                     409: "another department has this name", 422: "a bad code or name"})
async def put_department(request: Request, body: PutDepartment) -> Response:
    principal = await require_principal(request)
    return changed(request, await catalog.put_department(ctx(request), principal, request.path_params["hall"],
                                                         request.path_params["code"], body.name, body.position))


@endpoint("DELETE", "/halls/{hall}/departments/{code}", "Retire a department (its cases keep its name)",
          tag="setup", path_params=DEPARTMENT,
          responses={204: "retired", 403: "not a manager of this hall", 404: "unknown hall or department",
                     409: "catalog items or department accounts still name it"})
async def delete_department(request: Request) -> Response:
    principal = await require_principal(request)
    return changed(request, await catalog.retire_department(ctx(request), principal, request.path_params["hall"],
                                                            request.path_params["code"]))


@endpoint("PUT", "/halls/{hall}/items/{code}", "Create a service item or replace it", body=PutItem, tag="setup",
          path_params=ITEM,
          responses={201: "created: the item", 200: "replaced: the item", 403: "not a manager of this hall",
                     404: "unknown hall", 422: "a bad code, an unknown queue or department, bad time limits"})
async def put_item(request: Request, body: PutItem) -> Response:
    principal = await require_principal(request)
    fields = catalog.ItemFields(
        name=body.name, queue=body.queue, department=body.department, time_limit_days=body.time_limit_days,
        materials=tuple(body.materials), departments=tuple(body.departments), statutory_days=body.statutory_days,
        fee=body.fee, legal_basis=body.legal_basis, acceptance_standard=body.acceptance_standard,
        immediate=body.immediate, online=body.online, star=body.star)
    change = await catalog.put_item(ctx(request), principal, request.path_params["hall"],
                                    request.path_params["code"], fields)
    changed(request, change)
    item = await catalog.item(ctx(request), request.path_params["hall"], request.path_params["code"])
    return JSONResponse(item, status_code=201 if change.created else 200)


@endpoint("DELETE", "/halls/{hall}/items/{code}", "Remove a service item (its cases keep its name)", tag="setup",
          path_params=ITEM,
          responses={204: "removed", 403: "not a manager of this hall", 404: "unknown hall or item"})
async def delete_item(request: Request) -> Response:
    principal = await require_principal(request)
    return changed(request, await catalog.delete_item(ctx(request), principal, request.path_params["hall"],
                                                      request.path_params["code"]))


@endpoint("POST", "/halls/{hall}/items/import", "Replace the catalog with an .xlsx or .csv file (the body), all "
          "or nothing", tag="setup", max_body=MAX_CATALOG_BYTES,
          query={"filename": Param("the file's name, when the Content-Type does not say xlsx or csv")},
          responses={200: "{imported, before}", 403: "not a manager of this hall", 404: "unknown hall",
                     413: "larger than 10 MiB",
                     422: "{error: {code: invalid_catalog, message, rows: [{row, column, message}]}}: nothing applied"})
async def import_items(request: Request) -> Response:
    principal = await require_principal(request)
    said = request.query_params.get("filename") or request.headers.get("content-type", "")
    imported = await catalog.import_catalog(ctx(request), principal, request.path_params["hall"],
                                            await request.body(), said)
    request.state.audit_detail = {"before": f"{imported.before} 项事项", "after": f"{imported.count} 项事项"}
    return JSONResponse({"imported": imported.count, "before": imported.before})


@endpoint("GET", "/halls/{hall}/items/export", "The catalog as a file in the import's columns: ?format=xlsx|csv",
          tag="setup",
          query={"format": Param("xlsx (the default) or csv", {"type": "string", "enum": ["xlsx", "csv"]})},
          produces=(XLSX_TYPE, "text/csv"),
          responses={200: "the file", 403: "not a manager of this hall", 404: "unknown hall", 422: "a bad format"})
async def export_items(request: Request) -> Response:
    principal = await require_principal(request)
    kind = request.query_params.get("format", "xlsx")
    if kind not in ("xlsx", "csv"):
        raise InvalidInput("格式须为 xlsx 或 csv", "format must be xlsx or csv", "format")
    hall = request.path_params["hall"]
    content = await catalog.export_catalog(ctx(request), principal, hall, "xlsx" if kind == "xlsx" else "csv")
    filename = f"{hall}-catalog-{ctx(request).clock.now().date().isoformat()}.{kind}"
    return Response(content, media_type=XLSX_TYPE if kind == "xlsx" else CSV_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


ROUTES = [list_departments, put_department, delete_department, import_items, export_items, put_item, delete_item]
