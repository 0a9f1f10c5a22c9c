"""Request bodies. Unknown fields are refused, so a typo is a 422 that names it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from server.domain.identity import validate_id_number
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
    queue: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=8)
    ] | None = None
    counter: Annotated[int, Field(ge=1, le=9999)] | None = None
    reason: Text | None = None


class Notice(Body):
    notice: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        description="the scrolling line on the hall's screens; empty clears it")


class Phone(Body):
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40,
                                            pattern=r"^[0-9][0-9 ()+-]{2,39}$|^$")] = Field(
        description="the hall's consultation telephone (咨询电话), e.g. 87711892 or 0591-87711892; empty clears it")


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


class AgentCard(Body):
    """An ID card as the reader decoded it: it travels only from the agent to the server. The
    kiosk never gets this, only the masked holder (server/domain/identity.py)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    gender: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8)] = Field(
        description="as printed on the card: 男 or 女")
    nation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)] = Field(
        description="民族 as printed on the card, e.g. 汉 or 回")
    birth_date: date
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=18,
                                                max_length=18)] = Field(
        description="checked by its GB 11643 check digit; never stored, logged or sent on")
    valid_to: date | None = None

    @field_validator("id_number")
    @classmethod
    def _check_digit(cls, value: str) -> str:
        # The SAM reader's security module authenticated the card: never refuse it for its region.
        return validate_id_number(value, check_province=False)


class CardRead(Body):
    card: AgentCard


Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Role = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
HallCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
DepartmentCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
StaffNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
STRONG = "10 characters or more, not easily guessed (server/domain/passwords.py)"


class NewUser(Body):
    """POST /users: a member of staff, who must change this password at the first sign-in."""

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="2 to 64 lower-case letters, digits, dots, underscores or hyphens, e.g. clerk13")
    password: Password = Field(description=f"a temporary password: {STRONG}")
    role: Role = Field(description="clerk, guide, manager, admin or department")
    hall: HallCode | None = Field(default=None, description="required but for admins; a manager's own by default")
    counter: int | None = Field(default=None, ge=1, le=9999)
    department: DepartmentCode | None = Field(default=None, description="for role department: its department's code")
    display_name: DisplayName | None = Field(default=None, description="the name people know them by, e.g. 林晓燕")
    staff_no: StaffNo | None = Field(default=None, description="工号, e.g. JA013")


class UserChange(Body):
    """PATCH /users/{username}: only the fields given change."""

    active: bool | None = Field(default=None, description="false ends every token and session of the user at once")
    role: Role | None = None
    hall: HallCode | None = None
    counter: int | None = Field(default=None, ge=1, le=9999)
    department: DepartmentCode | None = Field(default=None, description="for role department: its department's code")
    password: Password | None = Field(
        default=None, description=f"a new password ({STRONG}); ends the user's sessions, and the user must "
                                  "change it at the next sign-in")
    display_name: DisplayName | None = Field(default=None, description="the name people know them by; null clears it")
    staff_no: StaffNo | None = Field(default=None, description="工号; null clears it")


class PasswordChange(Body):
    """POST /auth/password: the caller's own password."""

    old_password: Password
    new_password: Password = Field(description=STRONG)
