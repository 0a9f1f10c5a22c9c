"""``/ws/halls/{hall}/guide/{desk}``: the card reader of a guide's desk, live (the /guide page).

The desk's agent publishes its card reads on ``kiosk:{hall}:{desk}`` as a kiosk's agent does; this
feed passes on the masked holder and the card's signed token, the card's removal and the reader's
state (server/services/guide_desk.py has what and to whom). First ``{"type": "reader", …}`` once
subscribed, so that no card read falls between; ``{"type": "resync"}`` sends it again, anything else
closes the socket (1003). Only the hall's guides, managers and admins, by session cookie (from our
own pages) or bearer token (server/hub/routes.py ``_principal``); anyone else is closed with 1008.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from server.bus.base import Subscription
from server.channels import kiosk_channel
from server.context import AppContext
from server.domain.errors import DomainError
from server.services import guide_desk
from server.sockets import Refused, SocketEndpoint

from .staff_feed import Push, Who, follow, reason


class GuideDeskEndpoint(SocketEndpoint):
    def __init__(self, who: Who) -> None:
        self.who = who  # the caller: token, bearer or (same-origin) session cookie

    async def open(self, conn: HTTPConnection, context: AppContext) -> guide_desk.Desk:
        try:
            return await guide_desk.follower(context, await self.who(conn, context),
                                             str(conn.path_params["hall"]), str(conn.path_params["desk"]))
        except DomainError as refusal:
            raise Refused(reason(refusal.message)) from None

    async def serve(self, context: AppContext, opened: Any, scope: Scope, receive: Receive, send: Send) -> None:
        desk: guide_desk.Desk = opened
        await follow(context, kiosk_channel(desk.hall, desk.name), receive, send,
                     partial(guide_desk.reader, context, desk), partial(self._forward, desk))

    @staticmethod
    async def _forward(desk: guide_desk.Desk, messages: Subscription, push: Push) -> None:
        async for message in messages:
            shown = guide_desk.for_desk(desk, message)
            if shown is not None:
                with contextlib.suppress(Exception):  # the peer went away; the receive loop ends
                    await push(shown)
