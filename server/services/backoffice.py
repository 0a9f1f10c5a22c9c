"""The department's workbench (后台, ``/backoffice/{hall}``): the cases a department must decide,
as its lists (新收件, 审查中, 待补正, 明日到期, 已超期, 近期已办结), and who may follow them.

A department sees only the cases it has a part in (CONTRACT v2 "The back office"), each with the
applicant as the counter has them: name, phone and the ID number's last four (never the number,
which is not stored). Its decisions go through ``POST /cases/{receipt_no}/events``
(server/services/case_decisions.py); this module only reads, and tells the departments' feeds
(``department:{hall}:{code}``) which case changed: the feed reads the case itself, so no personal
data rides on the bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from server.auth import Principal
from server.channels import department_channel
from server.context import AppContext, forbid
from server.domain.cases import DECIDING, FINAL, PartStatus
from server.domain.errors import InvalidInput, NotFound
from server.domain.hall import Hall
from server.domain.identity import mask_name
from server.domain.views import iso
from server.domain.workdays import WorkCalendar
from server.store import backoffice as store
from server.store import catalog as catalog_store

from .calendar import work_calendar
from .cases import case_object

LISTS = ("new", "in_review", "supplement", "due_soon", "overdue", "decided_recently")
RECENT_DAYS = 7  # 近期已办结: parts decided within this many days (and the lead's results not yet handed over)
DECIDED = (PartStatus.APPROVED.value, PartStatus.REJECTED.value)


class UnknownDepartment(NotFound):
    code = "unknown_department"
    field = "department"


@dataclass(frozen=True)
class Department:
    hall: str
    code: str
    name: str

    def header(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


async def follower(context: AppContext, principal: Principal, hall_code: str, department: str | None
                   ) -> Department:
    """The department whose work ``principal`` may follow in this hall: a department account its
    own; the hall's managers (and admins) the one they name. Anyone else: Forbidden."""
    await context.engine.hall(hall_code)  # UnknownHall
    if principal.kind == "user" and principal.role == "department" and principal.in_hall(hall_code):
        own = principal.department
        if not own:
            raise forbid("此部门账号未关联部门，请联系管理员", "this department account has no department")
        if department is not None and department != own:
            raise forbid("部门账号只能查看本部门的办件", "a department account sees only its own department")
        department = own
    elif principal.manages(hall_code):
        if not department:
            raise InvalidInput("请指定部门 department", "name the department", "department")
    else:
        raise forbid("部门工作台仅限本大厅的部门账号和管理人员", "department accounts and the hall's managers only")
    code = department
    found = await context.engine.read(lambda conn: catalog_store.department(conn, hall_code, code))
    if found is None:
        raise UnknownDepartment(f"本大厅没有部门 {code}", f"no department {code!r} in this hall")
    return Department(hall_code, code, str(found["name"]))


# ---------------------------------------------------------------- the lists
@dataclass(frozen=True)
class Today:
    day: date
    horizon: date  # the next working day: 明日到期 means due by then
    calendar: WorkCalendar


async def today_of(context: AppContext, hall: Hall) -> Today:
    calendar = await work_calendar(context)
    day = hall.local_day(context.clock.now())
    return Today(day, calendar.add_working_days(day, 1)[0], calendar)


def working_days_left(calendar: WorkCalendar, today: date, due: date) -> int:
    """Working days from today to the due date (0: due today); past it, minus the working days late."""
    low, high = (today, due) if due >= today else (due, today)
    count, day = 0, low
    while day < high:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count if due >= today else -count


def lists_of(case_status: str, part: dict[str, Any], due: date | None, today: Today, recent: bool) -> list[str]:
    """The workbench lists a case is in for one department, from its part and the case's status:
    its part still to take up (新收件), under its review, waiting for the material it asked for;
    due by the next working day or past due while the clock runs (not while the material is awaited);
    decided lately, or decided and the result not yet handed over."""
    status = part["status"]
    out = []
    if case_status in DECIDING:
        if status == PartStatus.PENDING.value:
            out.append("new")
        elif status == PartStatus.IN_REVIEW.value:
            out.append("in_review")
        elif status == PartStatus.SUPPLEMENT.value:
            out.append("supplement")
        if status not in DECIDED and case_status != "supplement" and due is not None:
            if due < today.day:
                out.append("overdue")
            elif due <= today.horizon:
                out.append("due_soon")
    if status in DECIDED and (recent or (part["lead"] and case_status in DECIDED)):
        out.append("decided_recently")
    return out


def materials_checklist(materials: list[str], missing: list[str]) -> list[dict[str, Any]]:
    """The item's materials as received (✓), those still missing marked, then whatever else was
    asked for (补正 lines that are not on the item's list)."""
    lacking = set(missing)
    return [*({"name": m, "received": m not in lacking} for m in materials),
            *({"name": m, "received": False} for m in missing if m not in materials)]


def staff_case(hall: Hall, row: dict[str, Any], department: str, today: Today) -> dict[str, Any]:
    """The case as the department's workbench shows it: the case object with every part and the
    timeline; the applicant as the counter has them; the materials checklist; this department's
    part, the working days left and the lists it is in."""
    out = case_object(hall, row, row["timeline"], row["parts"])
    out["applicant"] = {"masked_name": mask_name(row["applicant_name"]), "name": row["applicant_name"],
                        "phone": row["phone"], "id_last4": row["id_last4"]}
    out["materials"] = materials_checklist(list(row["item_materials"]), list(row["materials_missing"]))
    mine = next((p for p in out["parts"] if p["department"] == department), None)
    out["part"] = mine
    due: date | None = row["due_at"]
    out["working_days_left"] = working_days_left(today.calendar, today.day, due) if due is not None else None
    raw = next((p for p in row["parts"] if p["department"] == department), None)
    recent = raw is not None and raw["updated_at"] is not None and \
        hall.local_day(raw["updated_at"]) >= today.day - timedelta(days=RECENT_DAYS)
    out["lists"] = lists_of(row["status"], raw, due, today, recent) if raw is not None else []
    out["final"] = row["status"] in FINAL
    return out


def _order(cases: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    if name == "decided_recently":  # the latest decision first
        return sorted(cases, key=lambda c: (c["part"] or {}).get("updated_at") or "", reverse=True)
    return sorted(cases, key=lambda c: (c["due_at"] is None, c["due_at"] or "", c["received_at"] or ""))


async def department_cases(context: AppContext, department: Department) -> tuple[Today, list[dict[str, Any]]]:
    """Every case on the department's workbench (in at least one list), the most urgent first."""
    hall = await context.engine.hall(department.hall)
    today = await today_of(context, hall)
    since = context.clock.now() - timedelta(days=RECENT_DAYS + 1)
    rows = await context.engine.read(lambda conn: store.department_cases(conn, department.hall, department.code,
                                                                          since))
    cases = [staff_case(hall, row, department.code, today) for row in rows]
    return today, _order([c for c in cases if c["lists"]], "")


async def board(context: AppContext, department: Department) -> dict[str, Any]:
    """``GET /halls/{hall}/backoffice``: the department's cases by list (a case may be in two:
    审查中 and 已超期), each list the most urgent first, and how many each holds."""
    today, cases = await department_cases(context, department)
    lists = {name: _order([c for c in cases if name in c["lists"]], name) for name in LISTS}
    return {"department": department.header(), "today": today.day.isoformat(),
            "counts": {name: len(found) for name, found in lists.items()}, "lists": lists}


async def snapshot(context: AppContext, department: Department) -> dict[str, Any]:
    """The department feed's first message (and each refresh): every case on its workbench."""
    today, cases = await department_cases(context, department)
    hall = await context.engine.hall(department.hall)
    return {"type": "snapshot", "at": iso(context.clock.now(), hall), "department": department.header(),
            "today": today.day.isoformat(), "next_working_day": today.horizon.isoformat(), "cases": cases}


async def department_case(context: AppContext, department: Department, receipt_no: str) -> dict[str, Any] | None:
    """One case as this department's workbench shows it (``lists`` empty once it left them); None
    when the department has no part in it."""
    row = await context.engine.read(lambda conn: store.department_case(conn, receipt_no))
    if row is None or row["hall"] != department.hall or \
            all(p["department"] != department.code for p in row["parts"]):
        return None
    hall = await context.engine.hall(department.hall)
    return staff_case(hall, row, department.code, await today_of(context, hall))


async def tell_departments(context: AppContext, case: dict[str, Any]) -> None:
    """A case hook (server/app.py): each department of the changed case hears its receipt number
    on its own channel; its open workbenches read the case themselves (server/hub/departments.py)."""
    hall = case["hall"]["code"]
    for code in case.get("departments") or [case["department"]]:
        await context.bus.publish(department_channel(hall, code), {"type": "case.changed",
                                                                   "receipt_no": case["receipt_no"]})
