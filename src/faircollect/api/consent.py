"""Consent over HTTP: a borrower grants and withdraws as easily as they consented.

Borrowers act for themselves only. Staff (compliance, admin) may record a withdrawal the
borrower asked for by another channel; nobody but the borrower grants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.etags import check_if_match, etag_of
from faircollect.api.pages import PageRequest, page_request, paginate
from faircollect.api.problems import RESPONSES_404, RESPONSES_404_409, RESPONSES_EDIT
from faircollect.bootstrap import App
from faircollect.consent.ledger import ConsentLedger, Issued
from faircollect.errors import AccessDenied
from faircollect.instants import to_utc
from faircollect.portfolio.borrowers import require_borrower

router = APIRouter(prefix="/v1", tags=["consent"], route_class=ConventionRoute)
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


def _plain(span: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in span.items()}


def _consent_view(ledger: ConsentLedger, consent_id: str) -> dict[str, Any]:
    owner, spans = ledger.consent(consent_id)
    return {"consent_id": consent_id, "borrower_id": owner,
            "spans": [_plain(s) for s in spans]}


def _may_read(who: Principal, owner: str) -> bool:
    return who.role != "collector" and who.may_act_for(owner)


@router.get("/consents/{consent_id}", responses=RESPONSES_404)
def show(
    consent_id: Annotated[str, Path(max_length=64)],
    response: Response,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """One consent's validity spans; its ETag is what a withdrawal's If-Match may name."""
    ledger = ConsentLedger(app.store, app.keys)
    if not _may_read(who, ledger.owner(consent_id)):
        raise AccessDenied("this role may not read this consent")
    view = _consent_view(ledger, consent_id)
    response.headers["ETag"] = etag_of(view)
    return view


@router.post("/consents/{consent_id}/withdraw", responses=RESPONSES_EDIT)
def withdraw(
    consent_id: Annotated[str, Path(max_length=64)],
    request: Request,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    body: WithdrawBody | None = None,
) -> dict[str, Any]:
    """Withdraw a consent (the borrower's own, or on their request by compliance/admin).

    If-Match is optional here (withdrawing must stay as easy as consenting); when sent, it
    must be the consent's current ETag (412 otherwise).
    """
    ledger = ConsentLedger(app.store, app.keys)
    owner = ledger.owner(consent_id)
    if not (who.role in STAFF_WITHDRAW or (who.role == "borrower" and who.borrower_id == owner)):
        raise AccessDenied("only the borrower, compliance or admin can withdraw this consent")
    if request.headers.get("if-match") is not None:
        check_if_match(request, etag_of(_consent_view(ledger, consent_id)), required=False)
    issued = ledger.withdraw(
        actor=who.actor_id, consent_id=consent_id, channel="api", at=body.at if body else None
    )
    return _issued(issued)


@router.get("/borrowers/{borrower_id}/consents", responses=RESPONSES_404)
def consents(
    borrower_id: Annotated[str, Path(max_length=64)],
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    page: Annotated[PageRequest, Depends(page_request)],
    purpose: Annotated[str | None, Query(max_length=64, description="Only this purpose.")]
    = None,
    withdrawn: Annotated[bool | None, Query(description="Only withdrawn (true) or not "
                                                        "withdrawn (false) spans.")] = None,
) -> dict[str, Any]:
    """The borrower's consents as validity spans (the decision request's shape), each with
    its `consent_id`, the id to withdraw it by (imported consents included); paginated."""
    if not _may_read(who, borrower_id):
        raise AccessDenied("this role may not list the borrower's consents")
    require_borrower(app.store, borrower_id)
    spans = [
        s for s in ConsentLedger(app.store, app.keys).listed_consents(borrower_id)
        if (purpose is None or s["purpose"] == purpose)
        and (withdrawn is None or (s["withdrawn_at"] is not None) == withdrawn)
    ]
    chunk, cursor = paginate(spans, page, lambda s: (s["purpose"], s["contact_id"] or "",
                                                     str(s["granted_at"]), s["consent_id"]))
    return {"borrower_id": borrower_id, "consents": [_plain(s) for s in chunk],
            "next_cursor": cursor}
