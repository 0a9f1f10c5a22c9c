"""Fees (收费) on a case: record a charge at acceptance or pickup, list a case's charges. The rules:
server/services/fees.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.context import ctx, require_principal
from server.services import fees

from .declare import endpoint
from .errors import JSONResponse
from .schemas import Body


class RecordFee(Body):
    amount: Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2)] = Field(
        description="yuan, two decimals at most (stored as whole fen); with waived: the amount let off")
    settlement: Literal["window", "online", "waived"] = Field(
        description="window (窗口缴费), online (网上缴费) or waived (减免, with waived_reason)")
    waived_reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, description="why it was waived: required with waived")
    stage: Literal["acceptance", "pickup"] = Field(description="at acceptance (受理) or at pickup (领取)")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


@endpoint("POST", "/cases/{receipt_no}/fees", "Record a fee charged on a case (收费)", body=RecordFee, tag="cases",
          responses={201: "the charge", 403: "not a clerk at a counter or a manager of the case's hall",
                     404: "unknown receipt", 422: "a bad amount, or waived without waived_reason"})
async def record_fee(request: Request, body: RecordFee) -> Response:
    """A clerk signed in at a counter of the case's hall, or a manager. A case may carry several charges."""
    principal = await require_principal(request)
    charge = fees.Charge(int(body.amount * 100), body.settlement, body.stage, body.waived_reason, body.note)
    out = await fees.record(ctx(request), principal, request.path_params["receipt_no"], charge)
    request.state.audit_detail = {"changes": [out["said"]]}  # 收取了费用 10.00元（窗口缴费）
    return JSONResponse(out, status_code=201)


@endpoint("GET", "/cases/{receipt_no}/fees", "A case's fee standard and charges (staff)", tag="cases",
          responses={200: "{receipt_no, standard, free, charges, collected_fen, collected_text}",
                     403: "not staff of the case's hall", 404: "unknown receipt"})
async def list_fees(request: Request) -> Response:
    principal = await require_principal(request)
    return JSONResponse(await fees.of_case(ctx(request), principal, request.path_params["receipt_no"]))


ROUTES: list[BaseRoute] = [record_fee, list_fees]
