"""Consent over HTTP: a borrower grants and withdraws as easily as they consented.

Borrowers act for themselves only. Staff (compliance, admin) may record a withdrawal the
borrower asked for by another channel; nobody but the borrower grants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES_404, RESPONSES_404_409
from faircollect.bootstrap import App
from faircollect.consent.ledger import ConsentLedger, Issued
from faircollect.errors import AccessDenied
from faircollect.instants import to_utc
from faircollect.portfolio.borrowers import require_borrower

router = APIRouter(prefix="/v1", tags=["consent"])
STAFF_WITHDRAW = ("compliance", "admin")


def _in_range(value: datetime) -> datetime:
    """An instant that has a UTC equivalent (a 422 naming the field otherwise); naive ones pass
    through to the ledger, which names the missing offset."""
    if value.tzinfo is not None:
        to_utc(value)
    return value


BodyInstant = Annotated[datetime, AfterValidator(_in_range)]


class GrantBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Lengths (docs/api.md): ids fit the store's 64-character columns; a notice is at most
    # 20,000 characters (a long privacy notice is about 5,000).
    borrower_id: str = Field(min_length=1, max_length=64)
    purpose: str = Field(min_length=1, max_length=64)
    notice_text: str = Field(
        min_length=1, max_length=20_000, description="The exact notice the borrower was shown."
    )
    policy_version: str = Field(min_length=1, max_length=64)
    contact_id: str | None = Field(default=None, min_length=1, max_length=64)
    expires_at: BodyInstant | None = None


class WithdrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: BodyInstant | None = None


def _issued(issued: Issued) -> dict[str, Any]:
    return {
        "consent_id": issued.consent_id,
        "record_id": issued.record_id,
        "receipt_id": issued.receipt_id,
        "receipt": issued.receipt,
    }


@router.post("/consents", status_code=201, responses=RESPONSES_404_409)
def grant(
    body: GrantBody,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """The borrower grants a consent; answers with its signed receipt."""
    if who.role != "borrower" or who.borrower_id != body.borrower_id:
        raise AccessDenied("only the borrower can grant their own consent")
    issued = ConsentLedger(app.store, app.keys).grant(
        actor=who.actor_id,
        borrower_id=body.borrower_id,
        purpose=body.purpose,
        notice_text=body.notice_text,
        policy_version=body.policy_version,
        channel="api",
        contact_id=body.contact_id,
        expires_at=body.expires_at,
    )
    return _issued(issued)


@router.post("/consents/{consent_id}/withdraw", responses=RESPONSES_404_409)
def withdraw(
    consent_id: str,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    body: WithdrawBody | None = None,
) -> dict[str, Any]:
    """Withdraw a consent (the borrower's own, or on their request by compliance/admin)."""
    owner = ConsentLedger(app.store, app.keys).owner(consent_id)
    if not (who.role in STAFF_WITHDRAW or (who.role == "borrower" and who.borrower_id == owner)):
        raise AccessDenied("only the borrower, compliance or admin can withdraw this consent")
    issued = ConsentLedger(app.store, app.keys).withdraw(
        actor=who.actor_id, consent_id=consent_id, channel="api", at=body.at if body else None
    )
    return _issued(issued)


@router.get("/borrowers/{borrower_id}/consents", responses=RESPONSES_404)
def consents(
    borrower_id: str,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """The borrower's consents as validity spans (the decision request's shape), each with
    its `consent_id`, the id to withdraw it by (imported consents included)."""
    if not who.may_act_for(borrower_id) or who.role == "collector":
        raise AccessDenied("this role may not list the borrower's consents")
    require_borrower(app.store, borrower_id)
    spans = ConsentLedger(app.store, app.keys).listed_consents(borrower_id)
    return {
        "borrower_id": borrower_id,
        "consents": [
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in span.items()}
            for span in spans
        ],
    }
