"""Borrowers and loans: listings without personal data, masked views through the access
guard, loans with schedule, payments, days past due and bucket as of a day."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from faircollect.access.guard import BORROWER_FIELDS, Guard
from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.etags import etag_of
from faircollect.api.pages import PageRequest, encode_cursor, page_request
from faircollect.api.problems import RESPONSES, RESPONSES_404
from faircollect.api.reach import (
    EVERYONE,
    STAFF,
    assigned_to,
    guard_actor,
    purpose_for,
    require_reach,
    require_role,
)
from faircollect.bootstrap import App
from faircollect.cases.borrower import BorrowerRecord
from faircollect.portfolio import accounts

router = APIRouter(prefix="/v1", tags=["borrowers and loans"], route_class=ConventionRoute)

BorrowerId = Annotated[str, Path(max_length=64)]
LoanId = Annotated[str, Path(max_length=64)]
AsOf = Annotated[date | None, Query(description="Position as of this day (default today).")]


def _record(rec: BorrowerRecord) -> dict[str, Any]:
    return {"borrower_id": rec.borrower_id, "jurisdiction": rec.jurisdiction,
            "locale": rec.locale, "flags": list(rec.flags),
            "opted_out_channels": list(rec.opted_out_channels)}


def _visible(guard: Guard, role: str) -> tuple[str, ...]:
    """The borrower fields this role may see masked (the others are left out, not denied)."""
    rp = guard.policy.roles.get(role)
    names = set(rp.masked) if rp is not None else set()
    return tuple(f for f in BORROWER_FIELDS if f"borrower.{f}" in names)


def _day(app: App, as_of: date | None) -> date:
    return as_of or app.store.clock().date()


@router.get("/borrowers", responses=RESPONSES)
def list_borrowers(
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    page: Annotated[PageRequest, Depends(page_request)],
    jurisdiction: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    flag: Annotated[str | None, Query(max_length=48, description="Only borrowers with "
                                                                  "this flag.")] = None,
) -> dict[str, Any]:
    """Borrowers in id order (no personal data); a collector sees only their cases."""
    require_role(who, STAFF)
    after = str(page.after[0]) if page.after else None
    found = accounts.list_borrowers(app.store, limit=page.limit + 1, after=after,
                                    jurisdiction=jurisdiction, flag=flag,
                                    among=assigned_to(app, who))
    chunk = found[: page.limit]
    more = len(found) > page.limit
    return {"borrowers": [_record(r) for r in chunk],
            "next_cursor": encode_cursor([chunk[-1].borrower_id]) if more else None}


@router.get("/borrowers/{borrower_id}", responses=RESPONSES_404)
def show_borrower(
    borrower_id: BorrowerId,
    response: Response,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    purpose: Annotated[str | None, Query(max_length=64, description="Purpose of access "
                                         "(default: the role's routine one).")] = None,
) -> dict[str, Any]:
    """The borrower, personal fields masked (the read is audited by the access guard)."""
    require_role(who, EVERYONE)
    require_reach(app, who, borrower_id)
    rec = accounts.borrower_record(app.store, borrower_id)
    guard = Guard(app.store, app.vault)
    view = guard.borrower(guard_actor(who), borrower_id, purpose=purpose_for(who, purpose),
                          fields=_visible(guard, who.role))
    body = {**_record(rec), "view": view.view, "personal": dict(view.values)}
    response.headers["ETag"] = etag_of(body)
    return body


@router.get("/borrowers/{borrower_id}/loans", responses=RESPONSES_404)
def borrower_loans(
    borrower_id: BorrowerId,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    as_of: AsOf = None,
) -> dict[str, Any]:
    """The borrower's loans with days past due, bucket and amounts as of a day."""
    require_role(who, EVERYONE)
    require_reach(app, who, borrower_id)
    return {"borrower_id": borrower_id,
            "loans": accounts.borrower_loans(app.store, borrower_id, _day(app, as_of))}


@router.get("/loans/{loan_id}", responses=RESPONSES_404)
def show_loan(
    loan_id: LoanId,
    response: Response,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    as_of: AsOf = None,
) -> dict[str, Any]:
    """One loan: terms, schedule, payments, and its position (DPD, bucket) as of a day."""
    require_role(who, EVERYONE)
    require_reach(app, who, accounts.loan_owner(app.store, loan_id))
    body = accounts.loan_detail(app.store, loan_id, _day(app, as_of))
    response.headers["ETag"] = etag_of(body)
    return body
