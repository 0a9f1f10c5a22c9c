"""Ending credentials: a sign-out, a hall's device tokens, every token of a user.

Sessions and tokens are one thing on the server: a row of ``tokens`` kept as a hash (a page's
session cookie holds its sign-in's token). Ending one is a write first; then this process's cache
forgets it and the bus (``AUTH_CHANNEL``) tells the other processes to, so its next request is a
401 in every process at once. ``follow_revocations`` is the listener the lifespan starts. Should
the bus be away, the others still stop within ``TOKEN_CACHE_S`` (server/context.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from server.auth import Principal
from server.bus import BusUnavailable
from server.bus.base import RESET
from server.channels import AUTH_CHANNEL
from server.context import AppContext
from server.domain.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from server.store import accounts, devices

log = logging.getLogger("onewindow.auth")


async def sign_out(context: AppContext, token: str) -> None:
    """Ends the caller's own token or session; NotAuthenticated when it had already ended."""
    hashed = accounts.token_hash(token)
    if not await context.engine.write(lambda conn: accounts.revoke_hash(conn, hashed)):
        raise NotAuthenticated("登录已结束", "the session has already ended")
    await announce(context, hashes=[hashed])


async def end_user_tokens(context: AppContext, user_id: int) -> None:
    """Tell every process that this user's tokens ended or changed (disabled, new password, new role)."""
    await announce(context, user_ids=[user_id])


def _check_manager(principal: Principal, hall: str) -> None:
    if not principal.manages(hall):
        raise Forbidden("只有本大厅的管理人员可以管理设备令牌",
                        "only a manager of this hall may manage its device tokens")


async def revoke_device_token(context: AppContext, principal: Principal, hall: str, token_id: str) -> dict[str, Any]:
    """Ends a device token of the hall, named by its public id (or the start of it): the device it
    was (server/store/devices.py ``device_token``), for the audit trail. Its next request is a 401."""
    _check_manager(principal, hall)
    await context.engine.hall(hall)
    found = await context.engine.read(lambda conn: devices.device_token(conn, hall, token_id.lower()))
    if not found:
        raise NotFound.coded("unknown_token", f"本大厅没有编号为 {token_id} 的有效设备令牌 "
                                              f"(no live device token {token_id} in hall {hall})", "token_id")
    if len(found) > 1:
        raise Conflict.coded("ambiguous_token", f"编号 {token_id} 对应多个令牌，请给出更长的编号 "
                                                f"(several tokens start with {token_id}: give more of the id)")
    hashed = found[0]["hash"]
    await context.engine.write(lambda conn: accounts.revoke_hash(conn, hashed))
    await announce(context, hashes=[hashed])
    return found[0]


async def announce(context: AppContext, hashes: Iterable[str] = (), user_ids: Iterable[int] = ()) -> None:
    """Forget these tokens (or every token of these users) here, and tell the other processes."""
    hashes, user_ids = list(hashes), list(user_ids)
    context.forget_tokens(hashes, user_ids)
    try:
        await context.bus.publish(AUTH_CHANNEL, {"type": "auth.revoked", "hashes": hashes, "user_ids": user_ids})
    except BusUnavailable:
        log.warning("auth: the bus is away; other processes stop these tokens within their cache time")


async def follow_revocations(context: AppContext) -> None:
    """Runs for the life of the process: forgets what the other processes ended."""
    async with context.bus.subscribe(AUTH_CHANNEL) as messages:
        async for message in messages:
            if message.get("type") == RESET["type"]:  # messages may have been lost: forget them all
                context.forget_everything()
                continue
            try:
                context.forget_tokens([str(h) for h in message.get("hashes", ())],
                                      [int(u) for u in message.get("user_ids", ())])
            except (TypeError, ValueError):  # not ours: whoever else publishes here must not stop us
                context.forget_everything()
                log.warning("auth: a malformed message on the bus; forgot every cached token holder")
