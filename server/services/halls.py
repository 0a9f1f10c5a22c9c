"""What a hall's managers set for its screens and papers: the scrolling notice on the displays and
the consultation telephone (咨询电话) on notices, receipts and kiosks. Both are hall events, so
every screen follows them live and every process replays them."""

from __future__ import annotations

from server.auth import Principal
from server.context import AppContext
from server.domain.errors import Forbidden


async def _managed(context: AppContext, principal: Principal, code: str, zh: str, en: str) -> None:
    await context.engine.hall(code)  # UnknownHall first
    if not principal.manages(code):
        raise Forbidden(zh, en)


async def set_notice(context: AppContext, principal: Principal, code: str, notice: str) -> str | None:
    """The scrolling line on the hall's screens; empty clears it. Returns it as the screens show it."""
    await _managed(context, principal, code, "只有本大厅的管理人员可以设置公告",
                   "only the hall's managers may set the notice")
    await context.engine.run(code, lambda hall, now: hall.set_notice(notice, now))
    return (await context.engine.hall(code)).notice


async def set_phone(context: AppContext, principal: Principal, code: str, phone: str) -> str:
    """The hall's consultation telephone; empty clears it. Returns it as notices and kiosks show it."""
    await _managed(context, principal, code, "只有本大厅的管理人员可以设置咨询电话",
                   "only the hall's managers may set the telephone")
    await context.engine.run(code, lambda hall, now: hall.set_phone(phone, now))
    return (await context.engine.hall(code)).config.phone
