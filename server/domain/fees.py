"""Fees (收费, seed art. 3(二), 12) as words and numbers: how a charge was settled, at which stage, and
amounts in fen (分) shown as yuan. Pure."""

from __future__ import annotations

SETTLEMENTS = {"window": "窗口缴费", "online": "网上缴费", "waived": "减免"}
STAGES = {"acceptance": "受理时", "pickup": "领取时"}
FREE_WORDS = ("不收费", "免费", "免收")


def yuan(fen: int) -> str:
    """1050 → 10.50"""
    return f"{fen // 100}.{fen % 100:02d}"


def is_free(standard: str | None) -> bool:
    """A fee standard that says the item costs nothing (不收费, 免费): the clerk records no charge."""
    text = (standard or "").strip()
    return not text or any(word in text for word in FREE_WORDS)


def charge_text(fen: int, settlement: str, waived_reason: str | None = None) -> str:
    """收取了费用 10.00元（窗口缴费）; 减免费用 10.00元（减免：低保户）"""
    if settlement == "waived":
        return f"减免费用 {yuan(fen)}元（减免：{waived_reason or ''}）"
    return f"收取了费用 {yuan(fen)}元（{SETTLEMENTS.get(settlement, settlement)}）"


def fee_line(standard: str | None, charges: list[tuple[int, str, str | None]]) -> str:
    """What the receipt and the pickup slip print: the standard, then each charge as recorded.
    ``charges``: (fen, settlement, waived_reason)."""
    head = (standard or "").strip()  # empty: the catalog says nothing; the line is left out then
    said = [f"{yuan(fen)}元（{SETTLEMENTS.get(s, s)}{'：' + r if s == 'waived' and r else ''}）"
            for fen, s, r in charges]
    if not said:
        return head
    return (head + "；" if head else "") + "已登记 " + "、".join(said)
