"""The case register (办件台账) and the ID-card lookups of a person's cases.

- **The register**: the hall's staff search its cases by acceptance day, status, item, department,
  applicant name or receipt number, newest first, a page at a time (CONTRACT v2 "The back office").
  Clerks, guides, managers and admins see the hall's cases; a ``department`` account only those its
  department handles (it leads them or decides a part), whatever ``department`` it asks for. Staff
  see the applicant's name and phone as the counter has them and the ID number's last four, never
  the number. Managers export what they found to Excel through the report-export job.
- **At a counter**: an ID card read on the counter's reader (its agent, over its socket or HTTP)
  shows the clerk that person's earlier cases in the hall (seed art. 16(三)2), found by the keyed
  hash of the number (``id_hash``), which is computed here and is all that is kept: the number goes
  no further, to the page or to a log.
- **At the kiosk**: 办件查询 by ID card (art. 16(五)): the card read's ``card_token`` lists that
  person's cases with masked names, and a ready one gets its pickup (L) ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from server import params
from server.auth import Principal
from server.bus import Bus
from server.channels import counter_card_channel
from server.context import AppContext
from server.domain import cases as domain
from server.domain.cases import CaseStatus, UnknownCase
from server.domain.errors import Forbidden, InvalidInput, UnknownCounter
from server.domain.hall import Hall
from server.domain.identity import CardHolder, card_holder
from server.domain.views import iso
from server.reports.jobs import exports_for
from server.store import case_register as store
from server.store import cases as case_store
from server.store import devices as device_store
from server.store import reports as export_store

from . import cases
from .cards import InvalidCardToken, read_card_token
from .reports import manager_hall

SEARCHERS = ("clerk", "guide", "manager", "admin", "department")  # staff roles that search the register
CARD_READERS = {("device", "kiosk"), ("device", "agent")}  # who hands back a card read's card_token
DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 50, 200, 1_000_000
MAX_TEXT, MAX_CODE = 100, 32
CARD_CASES = 20  # a person's newest cases shown at the counter or the kiosk
CARD_CASES_MESSAGE = "card.cases"
FORMATS = ("xlsx", "csv")


# ---------------------------------------------------------------- what is asked
def _text(raw: str | None, name: str, longest: int, upper: bool = False) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) > longest:
        raise InvalidInput(f"{name} 最多 {longest} 个字符", f"{name}: at most {longest} characters", name)
    return value.upper() if upper else value


def _statuses(raw: str | None, name: str) -> tuple[str, ...]:
    given = [s.strip() for s in (raw or "").split(",") if s.strip()]
    known = {s.value for s in CaseStatus}
    wrong = [s for s in given if s not in known]
    if wrong:
        raise InvalidInput(f"{name} 中「{'、'.join(w[:20] for w in wrong[:3])}」不是办件状态"
                           f"（应为：{'、'.join(sorted(known))}，可用逗号分隔多个）",
                           f"{name}: unknown status; one or several of {', '.join(sorted(known))}", name)
    return tuple(dict.fromkeys(given))


def _day(raw: str | None, name: str) -> date | None:
    return params.day(raw, name) if raw else None


def criteria(hall: str, *, department: str | None = None, status: str | None = None, item: str | None = None,
             q: str | None = None, first: str | None = None, last: str | None = None,
             prefix: str = "") -> store.CaseQuery:
    """The register's filters as a caller typed them (the query of ``GET …/cases``, the ``filters``
    of an export), checked: every bad one is an InvalidInput naming it (``prefix`` + its name)."""
    since, until = _day(first, prefix + "from"), _day(last, prefix + "to")
    if since and until and until < since:
        raise InvalidInput(f"{prefix}to（{until}）不能早于 {prefix}from（{since}）", "to is before from",
                           prefix + "to")
    return store.CaseQuery(hall=hall, department=_text(department, prefix + "department", MAX_CODE),
                           statuses=_statuses(status, prefix + "status"),
                           item=_text(item, prefix + "item", MAX_CODE, upper=True),
                           text=_text(q, prefix + "q", MAX_TEXT), first=since, last=until)


# ---------------------------------------------------------------- who sees what
async def scoped(context: AppContext, principal: Principal, query: store.CaseQuery) -> store.CaseQuery:
    """The query as this caller may run it: the hall's staff as asked; a department account only
    over the cases its department handles (on top of any ``department`` it asked for)."""
    if principal.kind != "user" or principal.role not in SEARCHERS or not principal.in_hall(query.hall):
        raise Forbidden("只有本大厅的工作人员可以查询办件台账", "only the hall's staff search its cases")
    if principal.role != "department":
        return query
    code = principal.department
    if not code and principal.user_id is not None:
        user_id = principal.user_id
        code = await context.engine.read(lambda conn: case_store.user_department(conn, user_id))
    if not code:
        raise Forbidden("此部门账号未绑定部门，不能查询办件", "this department account has no department")
    return replace(query, handled_by=code)


def overdue(row: dict[str, Any], today: date) -> bool:
    """Past its promised day while its time limit runs (补正 stops the clock: not overdue then)."""
    return row["status"] in domain.PENDING and row["due_at"] is not None and row["due_at"] < today


def staff_case(hall: Hall, row: dict[str, Any], today: date) -> dict[str, Any]:
    """The case object with the applicant as the counter has them (name, phone, the ID number's
    last four; never the number) and whether it is overdue: for the hall's staff only."""
    out = cases.case_object(hall, row, None)
    out["applicant"] = {**out["applicant"], "name": row["applicant_name"], "phone": row["phone"],
                        "id_last4": row["id_last4"]}
    out["overdue"] = overdue(row, today)
    out["first_responder"] = row["received_by"]  # 首问负责 (art. 25): the staff member who received it
    return out


async def search(context: AppContext, principal: Principal, query: store.CaseQuery, limit: int = DEFAULT_LIMIT,
                 offset: int = 0) -> dict[str, Any]:
    """``{total, cases}``: one page of the hall's cases found, newest first."""
    query = await scoped(context, principal, query)
    hall = await context.engine.hall(query.hall)
    today = hall.local_day(context.clock.now())

    def read(conn: Any) -> tuple[int, list[dict[str, Any]]]:
        return store.count(conn, query), store.page(conn, query, limit, offset)

    total, rows = await context.engine.read(read)
    return {"total": total, "cases": [staff_case(hall, r, today) for r in rows]}


async def due(context: AppContext, principal: Principal, hall_code: str, which: str) -> list[dict[str, Any]]:
    """``?due=soon|overdue`` (v1): the managers' pending cases due within a working day, or past due."""
    if which not in ("soon", "overdue"):
        raise InvalidInput("due 应为 soon 或 overdue", "due must be soon or overdue", "due")
    hall = await context.engine.hall(hall_code)
    if not principal.manages(hall_code):
        raise Forbidden("只有本大厅的管理人员可以查看", "managers only")
    return (await cases.cases_due(context, hall))[which]


# ---------------------------------------------------------------- the export (报表 → 导出)
async def create_export(context: AppContext, principal: Principal, query: store.CaseQuery,
                        fmt: str = "xlsx") -> dict[str, Any]:
    """Queues the register's export as the report exports are (a thread, or rq with REDIS_URL),
    for a manager of the hall: ``{id, status, progress}``; polled and downloaded as they are."""
    info = await manager_hall(context, principal, query.hall)
    query = await scoped(context, principal, query)
    if fmt not in FORMATS:
        raise InvalidInput(f"format 应为 {'|'.join(FORMATS)}", f"format must be one of {', '.join(FORMATS)}",
                           "format")
    now = context.clock.now()
    export_id = context.new_token(12)
    values = {"id": export_id, "hall": info.code, "status": "queued", "progress": 0, "created_by": principal.name,
              "params": {"kind": "cases", "filters": query.as_json(), "format": fmt,
                         "now": now.astimezone(UTC).isoformat()},
              "created_at": now.astimezone(UTC), "updated_at": datetime.now(UTC)}
    await context.engine.write(lambda conn: export_store.create_export(conn, values))
    runner = exports_for(context.settings)
    await context.engine.read(lambda conn: runner.enqueue(export_id))
    return {"id": export_id, "status": "queued", "progress": 0}


# ---------------------------------------------------------------- a person's cases, by ID card
def card_case(hall: Hall, row: dict[str, Any], today: date) -> dict[str, Any]:
    """One line of the counter's 既往办件: what the case is and where it stands, no applicant."""
    return {"receipt_no": row["receipt_no"], "item": {"code": row["item_code"], "name": row["item_name"]},
            "department_name": cases.department_name(row), "status": row["status"],
            "status_label": domain.label(row["status"]), "received_at": iso(row["received_at"], hall),
            "due_at": row["due_at"].isoformat() if row["due_at"] else None,
            "due_provisional": bool(row["due_provisional"]), "overdue": overdue(row, today)}


async def _cases_of(context: AppContext, hall: Hall, holder_hash: str) -> tuple[int, list[dict[str, Any]]]:
    query = store.CaseQuery(hall=hall.config.code, id_hash=holder_hash)

    def read(conn: Any) -> tuple[int, list[dict[str, Any]]]:
        return store.count(conn, query), store.page(conn, query, CARD_CASES, 0)

    result: tuple[int, list[dict[str, Any]]] = await context.engine.read(read)
    return result


async def show_at_counter(context: AppContext, hall: Hall, number: int, holder: CardHolder) -> dict[str, Any]:
    """A card read at counter ``number``: that person's cases in the hall go to the counter's page
    (``card.cases`` on its feed); returns the message sent."""
    now = context.clock.now()
    today = hall.local_day(now)
    total, rows = await _cases_of(context, hall, holder.id_hash)
    message = {"type": CARD_CASES_MESSAGE, "at": iso(now, hall), "counter": number,
               "holder": {"masked_name": holder.masked_name, "gender": holder.gender, "age": holder.age},
               "total": total, "cases": [card_case(hall, r, today) for r in rows]}
    await publish_to_counter(context.bus, hall.config.code, number, message)
    return message


async def publish_to_counter(bus: Bus, hall: str, number: int, message: dict[str, Any]) -> None:
    await bus.publish(counter_card_channel(hall, number), message)


@dataclass(frozen=True)
class CardRead:
    """The card as the reader gave it; the number is checked, hashed and dropped here."""

    name: str
    gender: str
    nation: str
    birth: date
    id_number: str


async def read_at_counter(context: AppContext, principal: Principal, hall_code: str, number: int,
                          card: CardRead) -> dict[str, Any]:
    """A card read posted over HTTP by the agent of the counter's PC: an ``agent`` token of the
    hall that drives counter ``number`` (made with ``--counter N``, or given it by the hall).
    Returns what the counter's page was told, without the list itself."""
    hall = await context.engine.hall(hall_code)
    if number not in hall.counters:
        raise UnknownCounter(f"没有 {number}号窗口", "no such counter", "number")
    if not (principal.kind == "device" and principal.role == "agent" and principal.in_hall(hall_code)):
        raise Forbidden("只有窗口的设备代理可以发送读卡信息", "only a counter's agent may post card reads")
    if principal.counter is not None:
        allowed = {principal.counter}
    else:
        agent = principal.name
        allowed = await context.engine.read(lambda conn: device_store.counters_of_agent(conn, hall_code, agent))
    if number not in allowed:
        raise Forbidden(f"此设备代理不负责{number}号窗口", f"this agent does not drive counter {number}")
    holder = card_holder(context.settings.secret_key, name=card.name, gender=card.gender, nation=card.nation,
                         birth=card.birth, id_number=card.id_number, today=hall.local_day(context.clock.now()))
    sent = await show_at_counter(context, hall, number, holder)
    return {k: v for k, v in sent.items() if k != "cases"}


def _holder_hash(context: AppContext, card_token: str) -> str:
    token = card_token.strip()
    if not token:
        raise InvalidInput("缺少读卡信息", "card_token is required", "card_token")
    try:
        return read_card_token(context.settings.secret_key, token)["id_hash"]
    except InvalidCardToken as error:
        zh, _, en = str(error).rpartition(" (")
        raise InvalidInput(zh, en.removesuffix(")"), "card_token") from None


async def _kiosk_hall(context: AppContext, principal: Principal, hall_code: str) -> Hall:
    if (principal.kind, principal.role) not in CARD_READERS:
        raise Forbidden("只有取号机可以按身份证查询办件", "only kiosks and their agents look up cases by card")
    hall = await context.engine.hall(hall_code)
    if not principal.in_hall(hall_code):
        raise Forbidden("不是本大厅的设备", "this device belongs to another hall")
    return hall


async def by_card(context: AppContext, principal: Principal, hall_code: str, card_token: str) -> dict[str, Any]:
    """The kiosk's 办件查询 by ID card: ``{total, cases}``, that person's newest cases in the hall as
    the receipt lookup shows a case (the name masked), ``card_token`` from the kiosk feed's card.read."""
    hall = await _kiosk_hall(context, principal, hall_code)
    total, rows = await _cases_of(context, hall, _holder_hash(context, card_token))
    return {"total": total, "cases": [cases.case_object(hall, r, None) for r in rows]}


async def pickup_by_card(context: AppContext, principal: Principal, hall_code: str, card_token: str,
                         receipt_no: str, address: str, base_url: str) -> cases.Pickup:
    """The L ticket for a ready case found by ID card: the card stands for the lookup's check. A
    case that is not the card holder's answers as an unknown one."""
    hall = await _kiosk_hall(context, principal, hall_code)
    holder_hash = _holder_hash(context, card_token)
    row = await context.engine.read(lambda conn: case_store.by_receipt(conn, receipt_no.strip().upper()))
    if row is None or row["hall"] != hall.config.code or not row["id_hash"] \
            or not params.same_secret(holder_hash, str(row["id_hash"])) or not row["id_last4"]:
        raise UnknownCase()
    return await cases.pickup_ticket(context, principal, row["receipt_no"], str(row["id_last4"]), address, base_url)
