"""A hall's settings in one place (issue 18): ``GET`` and ``PUT /halls/{hall}/settings``. Thin: the
rules, the engine and the audit's words are server/services/settings.py's.

The page saves one section at a time and shows each refusal beside its field, so a bad body is
refused naming *every* bad field (``error.fields: [{field, message}]``, the first also as
``error.field``), each in Chinese with its bounds, where other routes name the first (bodies.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, model_validator
from pydantic_core import ErrorDetails
from starlette.requests import Request
from starlette.responses import Response

from server.context import ctx, require_principal
from server.domain import settings as rules
from server.services import settings

from .alerts import AlertSettingsBody
from .bodies import field_name
from .declare import endpoint
from .errors import JSONResponse
from .schemas import Body

PATH = "/halls/{hall}/settings"
B = rules.BOUNDS


def _whole(name: str) -> Any:
    return Field(ge=B[name][0], le=B[name][1])


Streak = Annotated[int, _whole("max_priority_streak")]
WaitS = Annotated[float, _whole("walk_in_max_wait_s")]
Weight = Annotated[float, _whole("priority_weight")]
Places = Annotated[int, _whole("reinstate_places")]
Calls = Annotated[int, _whole("no_show_after_calls")]
WithinMin = Annotated[int, _whole("reinstate_within_min")]
StopMin = Annotated[int, _whole("stop_issuing_min")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=rules.NAME_MAX)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9][0-9 ()+-]{2,39}$|^$")]
Notice = Annotated[str, StringConstraints(strip_whitespace=True, max_length=rules.NOTICE_MAX)]
Time = Annotated[str, StringConstraints(pattern=rules.HHMM.pattern)]


class Period(Body):
    start: Time = Field(description="HH:MM, e.g. 09:00")
    end: Time = Field(description="HH:MM, later than start, e.g. 12:00")


Periods = Annotated[list[Period], Field(max_length=rules.PERIODS_MAX)]


class OpeningHoursBody(Body):
    """开放时间: kiosks issue only inside them. Fields left out keep their value."""

    workday: Periods | None = Field(default=None, description="working days (adjusted working weekends included)")
    rest_day: Periods | None = Field(default=None, description="weekends and statutory holidays; [] closed")
    stop_issuing_min: StopMin | None = Field(
        default=None, description="kiosks stop issuing this many minutes before a period ends")


class PolicyBody(Body):
    """叫号策略 (docs/calling-policy.md). Fields left out keep their value."""

    kind: Literal["guarded", "strict", "ratio", "weighted"] | None = None
    max_priority_streak: Streak | None = Field(
        default=None, description="K: guarded and ratio")
    walk_in_max_wait_s: WaitS | None = Field(
        default=None, description="T in seconds: guarded")
    priority_weight: Weight | None = Field(
        default=None, description="w: weighted")


class SettingsBody(Body):
    """Only the fields given change."""

    name: Name | None = Field(default=None, description="as the screens, receipts and pages show it")
    phone: Phone | None = Field(default=None, description="咨询电话, e.g. 0591-87711892; empty clears it")
    notice: Notice | None = Field(default=None, description="the scrolling line on the hall's screens; empty clears it")
    opening_hours: OpeningHoursBody | None = None
    policy: PolicyBody | None = None
    reinstate_places: Places | None = Field(
        default=None, description="回呼: a returning no-show goes this many places from the front")
    no_show_after_calls: Calls | None = Field(
        default=None, description="过号 only after this many calls (the call and recalls)")
    reinstate_within_min: WithinMin | None = Field(
        default=None, description="回呼 within this many minutes of the 过号; 0: any time that day")
    display_languages: Annotated[list[Literal["zh", "en"]], Field(min_length=1, max_length=2)] | None = Field(
        default=None, description="the wall display's labels: [\"zh\"] or [\"zh\", \"en\"]")
    alerts: AlertSettingsBody | None = Field(default=None, description="as PUT /alert-settings takes them")

    @model_validator(mode="wrap")
    @classmethod
    def _every_field(cls, data: Any, handler: Any) -> Any:
        """Every bad field, each in Chinese (pydantic's own words are English, and bodies.py names
        the first alone)."""
        try:
            return handler(data)
        except ValidationError as error:
            found = error.errors(include_url=False, include_input=False)
            raise rules.InvalidSettings([rules.Problem(field_name(e["loc"]), said(e), e["msg"])
                                         for e in found]) from None


def said(error: ErrorDetails) -> str:
    """One of pydantic's errors in the settings page's words, with the bounds."""
    field, kind, limits = str(error["loc"][-1]), error["type"], error.get("ctx") or {}
    if field in B and kind in ("greater_than_equal", "less_than_equal", "int_parsing", "int_type",
                               "int_from_float", "float_parsing", "float_type"):
        return rules.bounds_text(field)
    if field in ("start", "end") and kind == "string_pattern_mismatch":
        return "时间应为 HH:MM，例如 09:00"
    if field == "phone" and kind == "string_pattern_mismatch":
        return "咨询电话只能含数字、空格、括号、加号和连字符，例如 0591-87711892"
    if field == "kind" and kind == "literal_error":
        return "应为 " + "、".join(f"{k}（{name}）" for k, name in rules.POLICY_NAMES.items()) + " 之一"
    if kind == "literal_error":
        return "只能选择 zh（中文）或 en（英文）"
    words = {
        "missing": "必须填写", "extra_forbidden": "没有这项设置", "string_type": "应为文字",
        "string_too_short": "不能为空", "string_too_long": f"最多 {limits.get('max_length')} 个字",
        "too_long": f"最多 {limits.get('max_length')} 项", "too_short": f"至少 {limits.get('min_length')} 项",
        "list_type": "应为列表", "model_type": "应为对象", "dict_type": "应为对象",
        "greater_than_equal": f"不能小于 {limits.get('ge')}", "less_than_equal": f"不能大于 {limits.get('le')}",
        "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    }
    return words.get(kind, "格式有误")


@endpoint("GET", PATH, "The hall's settings, all in one place (managers)", tag="setup",
          responses={200: "{code, name, phone, notice, opening_hours, policy, reinstate_places, no_show_after_calls, "
                          "reinstate_within_min, display_languages, alerts}",
                     403: "not a manager of this hall", 404: "unknown hall"})
async def get_settings(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await settings.read(ctx(request), principal, request.path_params["hall"]))


@endpoint("PUT", PATH, "Change some of the hall's settings (managers); every screen follows at once", body=SettingsBody,
          tag="setup", responses={200: "every setting now in force", 403: "not a manager of this hall",
                                  404: "unknown hall", 422: "each bad field named, with its bounds (error.fields)"})
async def put_settings(request: Request, body: SettingsBody) -> Response:
    """Only the fields given change; ``policy``, ``opening_hours`` and ``alerts`` key by key. The
    screens hear ``hall.changed`` with the new name and settings (server/services/settings.py)."""
    principal = await require_principal(request)
    given = body.model_dump(exclude_unset=True)
    alert_changes = given.pop("alerts", None)
    changed = await settings.change(ctx(request), principal, request.path_params["hall"], given, alert_changes)
    request.state.audit_detail = {"changes": changed.said}  # before → after, one line per setting
    return JSONResponse(changed.settings)


ROUTES = [get_settings, put_settings]
