"""A hall's devices, for its managers: the state of every device as the agents last reported it
(server/agents), and the hall's device tokens (issue 18, the 设备 tab of /admin/{hall}): issued
with the address the device opens once, listed with when each was last seen (最近在线), renamed,
a rating tablet rebound to another counter, revoked, and the counters each agent drives.

``issue_token`` is the one way a device token is made: the API's 签发新设备 and ``onewindow token add
--device`` both call it, inside their own transaction. Who may: the hall's managers and admins.
Each change answers what was there before and what is now, for the audit trail (server/api/devices.py).

When a device was last seen: every request or socket a device token opens goes through
``AppContext.principal_for_token``, which notes it in memory (``SeenTokens``, at most once per token
per minute); ``record_seen`` writes what was noted every ``SEEN_BATCH_S`` in one statement per hall,
riding along the hall's next commit. So issuing a ticket never waits for a write of its kiosk's
"last seen", and a busy kiosk costs one row update a minute, not one per ticket. An agent's open
socket is re-checked every few seconds (server/sockets.py) and its heartbeats note it too
(server/agents/endpoint.py): its "last seen" is its last heartbeat, to the minute.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection

from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, UnknownHall
from server.domain.views import iso
from server.engine import StorageError
from server.store import accounts, repo
from server.store import devices as store

from . import credentials

log = logging.getLogger("onewindow")

KINDS = {"kiosk": "自助取号机", "display": "大厅显示屏", "counter": "窗口评价器", "agent": "设备代理"}
BOUND = ("counter", "agent")  # the kinds a token may bind to one counter (an agent: it drives that one alone)
NAME_MAX = 40
NOT_IN_NAMES = frozenset('/\\?#%"')  # a name is part of addresses (/ws/halls/{hall}/kiosks/{name}) and of TOML
SEEN_BATCH_S = 10.0


@dataclass(frozen=True)
class Issued:
    token: str  # the secret, shown once
    device: dict[str, Any]  # id, kind, name, counter, created_at, last_seen (and the hash, the server's own)


@dataclass(frozen=True)
class Change:
    before: str
    after: str

    def said(self) -> dict[str, str]:
        return {"before": self.before, "after": self.after}


def may_manage(principal: Principal, hall: str) -> None:
    if not principal.manages(hall):
        raise Forbidden("只有本大厅的管理人员可以管理设备令牌",
                        "only a manager of this hall may manage its device tokens")


def described(device: dict[str, Any]) -> str:
    """A device as the audit trail reads it: 窗口评价器“3号窗口评价器”，绑定3号窗口."""
    said = f"{KINDS.get(device['kind'], device['kind'])}“{device['name'] or ''}”"
    return said + (f"，绑定{device['counter']}号窗口" if device.get("counter") is not None else "")


def counters_said(numbers: list[int]) -> str:
    return "、".join(f"{n}号窗口" for n in numbers) or "无"


# ------------------------------------------------------------------ the rules
def _kind(raw: str) -> str:
    if raw not in KINDS:
        raise InvalidInput("设备类型须为 kiosk（自助取号机）、display（大厅显示屏）、counter（窗口评价器）"
                           "或 agent（设备代理）", "kind must be kiosk, display, counter or agent", "kind")
    return raw


def _name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise InvalidInput("请填写设备名称", "the device needs a name", "name")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"设备名称最多 {NAME_MAX} 个字", f"a device's name has at most {NAME_MAX} characters",
                           "name")
    if any(c in NOT_IN_NAMES or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise InvalidInput('设备名称不能含有 / \\ ? # % " 或控制字符',
                           'a device\'s name may not hold / \\ ? # % " or control characters', "name")
    return name


def _counter(kind: str, counter: int | None, numbers: set[int]) -> int | None:
    if kind not in BOUND:
        if counter is not None:
            raise InvalidInput(f"{KINDS[kind]}不绑定窗口，请不要填写窗口", f"a {kind} token is bound to no counter",
                               "counter")
        return None
    if counter is None:
        if kind == "counter":
            raise InvalidInput("窗口评价器须绑定一个窗口，请选择窗口",
                               "a rating tablet is bound to one counter: give counter", "counter")
        return None
    if counter not in numbers:
        raise InvalidInput(f"本大厅没有 {counter} 号窗口", f"the hall has no counter {counter}", "counter")
    return counter


def _unique(conn: Connection, hall: str, kind: str, name: str, but: str | None = None) -> None:
    if store.live_name_taken(conn, hall, kind, name, but):
        raise Conflict.coded("device_name_taken",
                             f"本大厅已有名为“{name}”的{KINDS[kind]}，请换一个名称或先吊销原来的令牌 "
                             f"(hall {hall} already has a live {kind} token named {name!r}: choose another name "
                             "or revoke that one first)", "name")


def _hall_counters(conn: Connection, hall: str) -> set[int]:
    row = repo.hall_row(conn, hall)
    if row is None:
        raise UnknownHall(f"没有大厅 {hall}", f"no hall {hall!r}")
    return {int(c["number"]) for c in row.config.get("counters", [])}


def issue_token(conn: Connection, hall: str, kind: str, name: str, counter: int | None) -> Issued:
    """Makes a device token of the hall (the API and the command line): a kind of ``KINDS``, a name
    unique among the hall's live tokens of that kind, a counter for a rating tablet (and, if given,
    for an agent: it then drives that counter alone). Raises the domain's refusals, naming the field."""
    numbers = _hall_counters(conn, hall)
    kind = _kind(kind)
    name = _name(name)
    counter = _counter(kind, counter, numbers)
    _unique(conn, hall, kind, name)
    token = accounts.new_token()
    accounts.add_token(conn, token, device_kind=kind, hall=hall, name=name, counter=counter)
    return Issued(token, store.device_token(conn, hall, accounts.token_hash(token))[0])


def setup_path(hall: str, device: dict[str, Any], token: str) -> str | None:
    """The page the device opens once with its token (it keeps it, and the address loses it); None
    for an agent, whose token goes into its configuration file (devices/agent/config.py)."""
    if device["kind"] == "kiosk":
        return f"/kiosk/{hall}?token={token}"
    if device["kind"] == "display":
        return f"/display/{hall}?token={token}"
    if device["kind"] == "counter":
        return f"/counter/{hall}/{device['counter']}/rate?token={token}"
    return None


def agent_config(server: str, token: str) -> str:
    """The lines of the agent's configuration file (TOML) that this token goes into."""
    return f'server = "{server}"\ntoken = "{token}"\n'


def shown(device: dict[str, Any], drives: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """A device token as the API shows it: never its secret nor its hash. An agent's ``counters``:
    the counter its token is bound to, else those the hall set for it (``drives``)."""
    out = {"id": device["id"], "kind": device["kind"], "name": device["name"], "counter": device["counter"],
           "created_at": device["created_at"].isoformat(),
           "last_seen": device["last_seen"].isoformat() if device["last_seen"] is not None else None}
    if device["kind"] == "agent":
        bound = device["counter"]
        out["counters"] = [bound] if bound is not None else list((drives or {}).get(device["name"], []))
    return out


# ------------------------------------------------------------------ the use cases
async def states(context: AppContext, principal: Principal, code: str) -> list[dict[str, Any]]:
    """Every agent's devices and their last reported state, for the hall's managers."""
    hall = await context.engine.hall(code)  # UnknownHall first
    if not principal.manages(code):
        raise Forbidden("只有本大厅的管理人员可以查看设备状态", "only the hall's managers may see device states")
    rows = await context.engine.read(lambda conn: store.states(conn, code))
    return [{"agent": row["agent"], "device": row["device"], "state": row["state"], "detail": row["detail"],
             "updated_at": iso(row["updated_at"], hall)} for row in rows]


async def issue(context: AppContext, principal: Principal, hall: str, kind: str, name: str,
                counter: int | None) -> Issued:
    may_manage(principal, hall)
    await context.engine.hall(hall)  # UnknownHall: a 404
    return await context.engine.write(lambda conn: issue_token(conn, hall, kind, name, counter))


async def device_tokens(context: AppContext, principal: Principal, hall: str) -> list[dict[str, Any]]:
    """The hall's live device tokens (by kind, then name) with when each was last seen, as ``shown``."""
    may_manage(principal, hall)
    await context.engine.hall(hall)
    await write_seen(context)  # what this process saw in the last seconds, too

    def read(conn: Connection) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
        return store.device_tokens(conn, hall), store.agents_counters(conn, hall)

    found, drives = await context.engine.read(read)
    return [shown(device, drives) for device in found]


def _one(found: list[dict[str, Any]], hall: str, token_id: str) -> dict[str, Any]:
    if not found:
        raise NotFound.coded("unknown_token", f"本大厅没有编号为 {token_id} 的有效设备令牌 "
                                              f"(no live device token {token_id} in hall {hall})", "token_id")
    if len(found) > 1:
        raise Conflict.coded("ambiguous_token", f"编号 {token_id} 对应多个令牌，请给出更长的编号 "
                                                f"(several tokens start with {token_id}: give more of the id)")
    return found[0]


async def change(context: AppContext, principal: Principal, hall: str, token_id: str, changes: dict[str, Any]
                 ) -> tuple[dict[str, Any], Change]:
    """Renames a device (``name``) or rebinds a rating tablet to another counter (``counter``)."""
    may_manage(principal, hall)
    await context.engine.hall(hall)
    if not changes:
        raise InvalidInput("请给出新的名称（name）或窗口（counter）", "give a new name or counter", "name")

    def run(conn: Connection) -> tuple[dict[str, Any], dict[str, Any]]:
        device = _one(store.device_token(conn, hall, token_id.lower()), hall, token_id)
        values: dict[str, Any] = {}
        if "name" in changes:
            name = _name(str(changes["name"] or ""))
            if name != device["name"]:
                _unique(conn, hall, device["kind"], name, but=device["hash"])
                values["name"] = name
        if "counter" in changes:
            if device["kind"] != "counter":
                raise InvalidInput("只有窗口评价器可以改绑窗口", "only a rating tablet (counter) is rebound", "counter")
            values["counter"] = _counter(device["kind"], changes["counter"], _hall_counters(conn, hall))
        if values:
            store.change_device_token(conn, device["hash"], **values)
        return device, store.device_token(conn, hall, device["hash"])[0]

    before, after = await context.engine.write(run)
    await credentials.announce(context, hashes=[before["hash"]])  # its holder's new name or counter, everywhere
    return shown(after), Change(described(before), described(after))


async def revoke(context: AppContext, principal: Principal, hall: str, token_id: str) -> Change:
    """Revokes a device token (credentials.py): it answers 401 from then on, in every process."""
    revoked = await credentials.revoke_device_token(context, principal, hall, token_id)
    return Change(described(revoked), "已吊销")


async def set_agent_counters(context: AppContext, principal: Principal, hall: str, name: str,
                             counters: list[int]) -> tuple[list[int], Change]:
    """The counters whose keypads and evaluators the agent ``name`` drives (as `onewindow
    agent-counters` sets them); an agent whose token is bound to a counter still drives that alone."""
    may_manage(principal, hall)
    state = await context.engine.hall(hall)
    wanted = sorted(set(counters))
    unknown = [n for n in wanted if n not in state.counters]
    if unknown:
        raise InvalidInput(f"本大厅没有{counters_said(unknown)}", f"the hall has no counter(s) {unknown}", "counters")

    def run(conn: Connection) -> list[int]:
        if name not in store.live_agent_names(conn, hall):
            raise NotFound.coded("unknown_agent", f"本大厅没有名为“{name}”的设备代理 "
                                                  f"(no live agent token named {name!r} in hall {hall})", "name")
        before = sorted(store.counters_of_agent(conn, hall, name))
        store.set_counters_of_agent(conn, hall, name, set(wanted))
        return before

    before = await context.engine.write(run)
    return wanted, Change(counters_said(before), counters_said(wanted))


# ------------------------------------------------------------------ 最近在线
async def write_seen(context: AppContext) -> None:
    """Writes the device tokens noted as seen since the last batch: one statement per hall, along
    its next commit. While the database is away they wait for the next batch."""
    for hall, seen in context.seen.take().items():
        try:
            await context.engine.write_along(partial(store.record_seen, seen=seen), hall)
        except StorageError:
            context.seen.give_back(hall, seen)
        except Exception:
            log.exception("devices: could not record when %d device tokens were last seen", len(seen))


async def record_seen(context: AppContext) -> None:
    """Runs for the life of the process (the lifespan starts it, and writes the last batch at stop)."""
    while True:
        await asyncio.sleep(SEEN_BATCH_S)
        await write_seen(context)
