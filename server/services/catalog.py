"""A hall's departments and its service-item catalog (事项目录, seed art. 7 and 8), kept by its
administrator: one item at a time (CONTRACT v2 ``PUT …/items/{code}``) or the whole catalog from a
file (``onewindow catalog import``, ``POST …/items/import``), all or nothing.

Who may: an admin anywhere, a manager in their own hall. A department is known by its code in items,
cases and department accounts; a file may name it by code or name. Departments are retired, never
deleted, so that old cases keep the name of the department that decided them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from server.auth import Principal
from server.context import AppContext
from server.domain.catalog import CODE as ITEM_CODE
from server.domain.catalog import MAX_DAYS, CatalogItem, parse_rows
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.store import catalog as store

from .catalog_files import Kind, kind_of, read_catalog, write_catalog
from .layout import Change, may_lay_out

DEPARTMENT_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


# ------------------------------------------------------------------ departments
async def departments(context: AppContext, hall: str) -> list[dict[str, Any]]:
    """The hall's departments, retired ones included, each with the number of items it leads or
    decides jointly (what retiring it waits for)."""
    await context.engine.hall(hall)  # 404 for an unknown hall

    def read(conn: Connection) -> list[dict[str, Any]]:
        listed = store.department_list(conn, hall)
        items = store.items_of(conn, hall)
        return [{**d, "items": sum(1 for i in items if d["code"] in i["departments"])} for d in listed]

    return await context.engine.read(read)


async def put_department(context: AppContext, principal: Principal, hall: str, code: str, name: str,
                         position: int | None = None) -> Change:
    """Creates the department or renames it (a retired one comes back); ``position`` moves it."""
    may_lay_out(principal, hall)
    await context.engine.hall(hall)
    name = name.strip()
    if not name:
        raise InvalidInput("部门名称不能为空", "the department's name must not be empty", "name")

    def write(conn: Connection) -> Change:
        before = store.department(conn, hall, code)
        if before is None and not DEPARTMENT_CODE.fullmatch(code):
            raise InvalidInput("部门编码须为 1 至 32 个字母、数字、- 或 _，例如 scjg",
                               "a department's code is 1 to 32 letters, digits, - or _", "code")
        twin = next((d for d in store.department_list(conn, hall) if d["name"] == name and d["code"] != code), None)
        if twin is not None:
            raise Conflict.coded("department_name_taken", f"已有名为「{name}」的部门（编码 {twin['code']}）"
                                 f" (department {twin['code']} already has this name)", "name")
        store.put_department(conn, hall, code, name)
        if position is not None:
            store.move_department(conn, hall, code, position)
        after = store.department(conn, hall, code)
        return Change(_department_said(conn, hall, before), _department_said(conn, hall, after))

    return await context.engine.write(write)


async def retire_department(context: AppContext, principal: Principal, hall: str, code: str) -> Change:
    """Refused while catalog items or active department accounts name it."""
    may_lay_out(principal, hall)
    await context.engine.hall(hall)

    def write(conn: Connection) -> Change:
        before = store.department(conn, hall, code)
        if before is None or not before["active"]:
            raise NotFound.coded("unknown_department", f"本大厅没有部门 {code} (no department {code!r})", "code")
        items, users = store.departments_in_use(conn, hall, code)
        if items or users:
            users_of = "、".join([*(f"事项 {i}" for i in items[:5]), *(f"账号 {u}" for u in users[:5])])
            more = "等" if len(items) > 5 or len(users) > 5 else ""
            raise Conflict.coded("department_in_use", f"{before['name']}仍被{users_of}{more}使用，请先调整后再停用 "
                                 f"({len(items)} items and {len(users)} accounts still name it)")
        said = _department_said(conn, hall, before)
        store.retire_department(conn, hall, code)
        return Change(said, None)

    return await context.engine.write(write)


def _department_said(conn: Connection, hall: str, department: dict[str, Any] | None) -> dict[str, Any] | None:
    if department is None:
        return None
    order = [d["code"] for d in store.department_list(conn, hall)]
    return {"code": department["code"], "name": department["name"], "position": order.index(department["code"]) + 1}


def _spellings(conn: Connection, hall: str) -> dict[str, str]:
    """Every way a file or a request may write an active department: its code, its name."""
    active = store.department_list(conn, hall, active_only=True)
    return {**{d["name"]: d["code"] for d in active}, **{d["code"]: d["code"] for d in active}}


# ------------------------------------------------------------------ items, one at a time
@dataclass(frozen=True)
class ItemFields:
    """What ``PUT …/items/{code}`` carries (CONTRACT v2 and the seed's further fields)."""
    name: str
    queue: str
    department: str
    time_limit_days: int
    materials: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    statutory_days: int | None = None
    fee: str = ""
    legal_basis: str = ""
    acceptance_standard: str = ""
    immediate: bool = False
    online: bool = False
    star: int | None = None


async def items(context: AppContext, hall: str) -> list[dict[str, Any]]:
    await context.engine.hall(hall)
    return await context.engine.read(lambda conn: store.items_of(conn, hall))


async def item(context: AppContext, hall: str, code: str) -> dict[str, Any]:
    found = await context.engine.read(lambda conn: store.item_view(conn, hall, code))
    if found is None:
        raise NotFound.coded("unknown_item", f"本大厅没有事项 {code} (no item {code!r})", "code")
    return found


async def put_item(context: AppContext, principal: Principal, hall: str, code: str, fields: ItemFields) -> Change:
    may_lay_out(principal, hall)
    if not ITEM_CODE.fullmatch(code):
        raise InvalidInput("事项编码只能由字母、数字、- 和 _ 组成，最长 64 位",
                           "an item's code may hold only letters, digits, - and _, at most 64", "code")
    state = await context.engine.hall(hall)
    if state.config.queue(fields.queue) is None:
        raise InvalidInput(f"本大厅没有队列 {fields.queue}", f"no queue {fields.queue!r} in this hall", "queue")
    if fields.statutory_days is not None and fields.time_limit_days > fields.statutory_days:
        raise InvalidInput("承诺时限不能长于法定时限", "time_limit_days may not exceed statutory_days",
                           "time_limit_days")
    if not 0 <= fields.time_limit_days <= MAX_DAYS:
        raise InvalidInput(f"承诺时限须为 0 到 {MAX_DAYS} 个工作日", "time_limit_days out of range", "time_limit_days")

    def write(conn: Connection) -> Change:
        spelled = _spellings(conn, hall)
        lead = _known(spelled, fields.department, "department")
        joint = tuple(dict.fromkeys(_known(spelled, d, "departments") for d in fields.departments))
        item = CatalogItem(code=code, name=fields.name.strip(), queue=fields.queue, department=lead,
                           time_limit_days=fields.time_limit_days, materials=fields.materials,
                           statutory_days=fields.statutory_days, departments=joint, fee=fields.fee,
                           legal_basis=fields.legal_basis, acceptance_standard=fields.acceptance_standard,
                           immediate=fields.immediate, online=fields.online, star=fields.star)
        before = store.put_item(conn, hall, item)
        return Change(_item_said(before), _item_said(store.item_view(conn, hall, code)))

    return await context.engine.write(write)


def _known(spelled: dict[str, str], department: str, field: str) -> str:
    code = spelled.get(department.strip())
    if code is None:
        raise InvalidInput(f"本大厅没有部门 {department}，请先添加该部门", f"no department {department!r} in this hall",
                           field)
    return code


async def delete_item(context: AppContext, principal: Principal, hall: str, code: str) -> Change:
    may_lay_out(principal, hall)
    await context.engine.hall(hall)

    def write(conn: Connection) -> Change:
        before = store.delete_item(conn, hall, code)
        if before is None:
            raise NotFound.coded("unknown_item", f"本大厅没有事项 {code} (no item {code!r})", "code")
        return Change(_item_said(before), None)

    return await context.engine.write(write)


def _item_said(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item as the audit's before and after read it: code, name, theme, department and limit."""
    if item is None:
        return None
    return {"code": item["code"], "name": item["name"], "queue": item["queue"], "department": item["department"],
            "departments": item["departments"], "time_limit_days": item["time_limit_days"],
            "materials": item["materials"]}


# ------------------------------------------------------------------ the whole catalog, as a file
@dataclass(frozen=True)
class Imported:
    count: int
    before: int  # items the hall had


def parse_catalog(conn: Connection, hall: str, queues: set[str], data: bytes, kind: str) -> list[CatalogItem]:
    """The file's items with departments as codes, or CatalogInvalid naming every bad row."""
    header, rows = read_catalog(data, kind)
    return parse_catalog_rows(conn, hall, queues, header, rows)


def parse_catalog_rows(conn: Connection, hall: str, queues: set[str], header: list[str],
                       rows: list[list[str]]) -> list[CatalogItem]:
    return parse_rows(header, rows, queues, _spellings(conn, hall))


async def import_catalog(context: AppContext, principal: Principal, hall: str, data: bytes,
                         kind_said: str) -> Imported:
    """The whole catalog replaced by the file's, or nothing at all (``CatalogInvalid`` lists every bad
    row and column). Items the file leaves out leave the catalog; their cases keep their names."""
    may_lay_out(principal, hall)
    state = await context.engine.hall(hall)
    if kind_of(kind_said) is None:
        raise InvalidInput("请上传 .xlsx 或 .csv 格式的事项目录", "send the catalog as .xlsx or .csv", "file")
    queues = {q.code for q in state.config.queues}

    def write(conn: Connection) -> Imported:
        found = parse_catalog(conn, hall, queues, data, kind_said)
        before = len(store.items_of(conn, hall))
        store.replace_items(conn, hall, found)
        return Imported(len(found), before)

    return await context.engine.write(write)


async def export_catalog(context: AppContext, principal: Principal, hall: str, kind: Kind) -> bytes:
    may_lay_out(principal, hall)
    await context.engine.hall(hall)
    return write_catalog(await context.engine.read(lambda conn: catalog_items(conn, hall)), kind)


def catalog_items(conn: Connection, hall: str) -> list[CatalogItem]:
    """The hall's items as the file writes them: departments by name (what a person reads in Excel;
    names are unique in a hall, so they import back to the same codes)."""
    names = store.department_names(conn, hall)
    return [CatalogItem(code=i["code"], name=i["name"], queue=i["queue"], department=names.get(i["department"],
                                                                                                   i["department"]),
                        time_limit_days=i["time_limit_days"], materials=tuple(i["materials"]),
                        statutory_days=i["statutory_days"],
                        departments=tuple(names.get(d, d) for d in i["departments"] if d != i["department"]),
                        fee=i["fee"], legal_basis=i["legal_basis"], acceptance_standard=i["acceptance_standard"],
                        immediate=i["immediate"], online=i["online"], star=i["star"], pinyin=i["pinyin"])
            for i in store.items_of(conn, hall)]

