"""POST /v1/payments: one payment, or a list of them, idempotent by payment id.

A replay (same id, same content) answers 200 with the stored payment and changes nothing;
the same id with other content is 409; an unknown loan is 404. Payments re-age the ledger:
the next snapshot's days past due and bucket count them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES_404_409
from faircollect.bootstrap import App
from faircollect.portfolio.payments import MAX_BATCH, PaymentInput, Posted, post_payments

router = APIRouter(prefix="/v1", tags=["payments"], route_class=ConventionRoute)
# The lender's loan system posts with a supervisor or admin key that has the payments scope.
PAYMENT_ROLES = ("supervisor", "admin")


class PaymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    loan_id: str = Field(min_length=1, max_length=64)
    paid_on: date
    amount: str = Field(min_length=1, max_length=32, pattern=r"^[0-9]+(\.[0-9]+)?$",
                        description="Decimal string in the loan's currency, e.g. \"125.50\".")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$",
                                 description="Optional; when given it must be the loan's.")


class PaymentOut(BaseModel):
    payment_id: str
    loan_id: str
    paid_on: date
    amount: str
    currency: str
    created: bool = Field(description="False for a replay that changed nothing.")


class PaymentsOut(BaseModel):
    payments: list[PaymentOut]


def _out(p: Posted) -> dict[str, Any]:
    return {"payment_id": p.payment_id, "loan_id": p.loan_id, "paid_on": p.paid_on.isoformat(),
            "amount": p.amount, "currency": p.currency, "created": p.created}


@router.post(
    "/payments",
    status_code=201,
    responses={**RESPONSES_404_409, 200: {"description": "A replay: nothing changed",
                                          "model": PaymentOut | PaymentsOut}},
    response_model=PaymentOut | PaymentsOut,
)
def post(
    body: Annotated[PaymentBody | Annotated[list[PaymentBody], Field(min_length=1,
                                                                     max_length=MAX_BATCH)],
                    Body()],
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
) -> JSONResponse:
    """Post one payment (answers it) or a list (answers {"payments": [...]}); 201 when any
    was created, 200 when every one was a replay."""
    who.require("payments", PAYMENT_ROLES)
    items = body if isinstance(body, list) else [body]
    posted = post_payments(
        app,
        [PaymentInput(i.payment_id, i.loan_id, i.paid_on, i.amount, i.currency) for i in items],
        actor=who.actor_id,
    )
    status = 201 if any(p.created for p in posted) else 200
    payload: Any = {"payments": [_out(p) for p in posted]} if isinstance(body, list) else _out(
        posted[0])
    return JSONResponse(payload, status_code=status)
