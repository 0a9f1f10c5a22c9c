"""``/ws/halls/{hall}/departments/{code}``: a department's workbench, live (the /backoffice page).

First ``{"type": "snapshot", "at", "department", "today", "next_working_day", "cases": […]}`` (every case
on its workbench, server/services/backoffice.py), then ``{"type": "case.updated", "case": …}``
whenever a case the department has a part in changes: received, decided by any of its departments,
supplemented, ready… (its ``lists`` empty once it left the workbench), and each message the
department is sent (``{"type": "department.notice", "notice": …}``, as published). The bus channel
``department:{hall}:{code}`` carries only receipt numbers; this endpoint reads each case for its
client, so the applicant's name and phone never ride on the bus. A fresh snapshot comes every few
minutes (a day turning makes cases due or overdue without any change) and on ``{"type": "resync"}``.

Only the department's own accounts and the hall's managers may open it; a session cookie only from
our own pages (server/hub/routes.py ``_principal``). No ``seq``: these are not hall events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from server.bus.base import Subscription
from server.channels import department_channel
from server.context import AppContext
from server.domain.errors import DomainError
from server.services import backoffice
from server.sockets import Refused, SocketEndpoint

from .staff_feed import Push, Who, follow, reason

log = logging.getLogger("onewindow.hub")

NOTICE = "department.notice"  # a message to the department (its notifications), published on its channel


class DepartmentFeedEndpoint(SocketEndpoint):
    REFRESH_S = 300.0

    def __init__(self, who: Who) -> None:
        self.who = who  # the caller: token, bearer or (same-origin) session cookie

    async def open(self, conn: HTTPConnection, context: AppContext) -> backoffice.Department:
        principal = await self.who(conn, context)
        if principal is None:
            raise Refused("部门工作台需要登录 (sign in first)")
        try:
            return await backoffice.follower(context, principal, str(conn.path_params["hall"]),
                                             str(conn.path_params["code"]))
        except DomainError as refusal:
            raise Refused(reason(refusal.zh)) from None

    async def serve(self, context: AppContext, opened: Any, scope: Scope, receive: Receive, send: Send) -> None:
        department: backoffice.Department = opened
        await follow(context, department_channel(department.hall, department.code), receive, send,
                     partial(backoffice.snapshot, context, department),
                     partial(self._forward, context, department), partial(self._refresh, context, department))

    @staticmethod
    async def _forward(context: AppContext, department: backoffice.Department, messages: Subscription,
                       push: Push) -> None:
        """One case at a time, in the order they changed: each read after its change committed."""
        async for message in messages:
            if message.get("type") == NOTICE:  # what the department was just told (server/jobs): as it is
                with contextlib.suppress(Exception):
                    await push(message)
                continue
            receipt_no = message.get("receipt_no")
            if message.get("type") != "case.changed" or not isinstance(receipt_no, str):
                continue
            try:
                case = await backoffice.department_case(context, department, receipt_no)
            except Exception:  # a database hiccup: the next change or refresh catches up
                log.exception("department feed %s/%s: case %s unreadable", department.hall, department.code,
                              receipt_no)
                continue
            if case is not None:
                with contextlib.suppress(Exception):  # the peer went away; the receive loop ends
                    await push({"type": "case.updated", "case": case})

    async def _refresh(self, context: AppContext, department: backoffice.Department, push: Push) -> None:
        while True:
            await asyncio.sleep(self.REFRESH_S)
            with contextlib.suppress(Exception):
                await push(await backoffice.snapshot(context, department))
