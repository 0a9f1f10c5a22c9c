"""Request bodies. Unknown fields are refused, so a typo is a 422 that names it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from server.domain.model import Channel, Priority
from server.domain.ratings import LEVEL_BY_LABEL, REASONS, UNHAPPY, Reason

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TicketNumber = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                                pattern=r"^[A-Za-z]{1,2}[0-9]{3,5}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Login(Body):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class IssueTicket(Body):
    queue: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)]
    priority: Priority = Priority.NONE
    channel: Channel = Channel.KIOSK
    appointment_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    card_token: Annotated[str, StringConstraints(strip_whitespace=True, max_length=400)] | None = Field(
        default=None, description="from the kiosk feed's card.read: ties the ticket to the ID card just read "
                                  "(one waiting ticket per card per queue)")


class Pause(Body):
    reason: Text = Field(description="why the counter pauses, e.g. 业务咨询, 休息, 系统故障")


class CallNumber(Body):
    number: TicketNumber = Field(description="a waiting ticket's number, e.g. A012")


class Reinstate(Body):
    number: TicketNumber = Field(description="the no-show ticket that came back")


class Transfer(Body):
    queue: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)] | None = None
    counter: Annotated[int, Field(ge=1, le=9999)] | None = None
    reason: Text | None = None


class Notice(Body):
    notice: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        description="the scrolling line on the hall's screens; empty clears it")


class Empty(Body):
    pass


class Rate(Body):
    """好差评 from the tablet facing the visitor."""

    ticket_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="the ticket this counter just finished")
    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意; the Chinese label is accepted too")
    reasons: Annotated[list[Reason], Field(max_length=len(REASONS))] = Field(
        default_factory=list, description="for 不满意 and 非常不满意 only: " + "、".join(REASONS))
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _label(cls, value: object) -> object:
        if isinstance(value, str) and value.strip() in LEVEL_BY_LABEL:
            return LEVEL_BY_LABEL[value.strip()]
        if isinstance(value, bool) or (isinstance(value, str) and not value.strip().isdigit()):
            raise ValueError("应为 1–5 或 " + "、".join(LEVEL_BY_LABEL))
        return value

    @field_validator("reasons")
    @classmethod
    def _only_when_unhappy(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and info.data.get("level", 0) > UNHAPPY:
            raise ValueError("只有不满意和非常不满意可以选择原因")
        return list(dict.fromkeys(value))


class Card(Body):
    """What a kiosk may learn of a resident ID card: never the full ID number (an ``id_number``
    field, like any unknown field, is refused)."""

    masked_name: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^*\s]\*+[^*\s]?$",
                                                  max_length=20)] = Field(
        description="first and last characters kept: 张*三, or 张* for a two-character name")
    gender: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8)] = Field(
        description="as printed on the card: 男 or 女")
    nation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)] = Field(
        description="民族 as printed on the card, e.g. 汉 or 回")
    age: int = Field(ge=0, le=150)
    id_hash: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                              pattern=r"^[0-9a-fA-F]{16,128}$")] = Field(
        description="a keyed hash of the ID number (hex), to recognise the same card again today")
    priority_hint: Literal["elderly", "minority", "none"] = "none"


class CardRead(Body):
    card: Card
