"""Data-subject requests: export (everything held on a borrower, decrypted through the
access guard and audited) and erasure with four eyes (asked by one, approved by another;
the approval erases by crypto-shredding in the same transaction).

Approving or rejecting needs `If-Match` with the request's ETag (428 without it): an
erasure cannot be undone, so it must be the version the approver read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from faircollect.access.guard import Guard
from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.etags import check_if_match, etag_of
from faircollect.api.pages import PageRequest, encode_cursor, page_request
from faircollect.api.problems import RESPONSES, RESPONSES_404, RESPONSES_404_409, RESPONSES_EDIT
from faircollect.api.reach import guard_actor, require_reach, require_role
from faircollect.bootstrap import App
from faircollect.subject import requests as subject_requests
from faircollect.subject.export import export_subject

router = APIRouter(prefix="/v1", tags=["subject requests"], route_class=ConventionRoute)

BorrowerId = Annotated[str, Path(max_length=64)]
RequestId = Annotated[str, Path(max_length=40)]
EXPORT_ROLES = ("borrower", "compliance")
ASK_ROLES = ("borrower", "compliance", "admin")
DECIDE_ROLES = ("compliance", "admin")


class ErasureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="request", min_length=1, max_length=48,
                        description=", ".join(subject_requests.REASONS))


def _view(req: subject_requests.SubjectRequest, response: Response) -> dict[str, Any]:
    body = req.to_dict()
    response.headers["ETag"] = etag_of(body)
    return body


@router.get("/borrowers/{borrower_id}/export", responses=RESPONSES_404)
def export(borrower_id: BorrowerId, app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Everything held on the borrower, decrypted for a data-subject request (audited)."""
    require_role(who, EXPORT_ROLES)
    require_reach(app, who, borrower_id)
    return export_subject(Guard(app.store, app.vault), guard_actor(who), borrower_id)


@router.post("/borrowers/{borrower_id}/erasure-requests", status_code=201,
             responses=RESPONSES_404_409)
def ask(borrower_id: BorrowerId, response: Response,
        app: Annotated[App, Depends(services)],
        who: Annotated[Principal, Depends(principal)],
        body: ErasureBody | None = None) -> dict[str, Any]:
    """Ask for the borrower's erasure; another person approves it."""
    require_role(who, ASK_ROLES)
    require_reach(app, who, borrower_id)
    req = subject_requests.request_erasure(app.store, actor=who.actor_id,
                                           borrower_id=borrower_id,
                                           reason=body.reason if body else "request")
    return _view(req, response)


@router.get("/erasure-requests", responses=RESPONSES)
def list_requests(
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    page: Annotated[PageRequest, Depends(page_request)],
    state: Annotated[str | None, Query(pattern=r"^(pending|approved|rejected)$")] = None,
    borrower_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Erasure requests in id order; `?state=pending` is the approver's queue."""
    require_role(who, DECIDE_ROLES)
    after = str(page.after[0]) if page.after else None
    found = subject_requests.list_requests(app.store, limit=page.limit + 1, after=after,
                                           state=state, borrower_id=borrower_id)
    chunk = found[: page.limit]
    return {"requests": [r.to_dict() for r in chunk],
            "next_cursor": encode_cursor([chunk[-1].request_id])
            if len(found) > page.limit else None}


@router.get("/erasure-requests/{request_id}", responses=RESPONSES_404)
def show(request_id: RequestId, response: Response, app: Annotated[App, Depends(services)],
         who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """One erasure request, with the ETag its approval must name."""
    require_role(who, DECIDE_ROLES)
    return _view(subject_requests.get_request(app.store, request_id), response)


def _checked(request: Request, app: App, request_id: str) -> None:
    current = subject_requests.get_request(app.store, request_id).to_dict()
    check_if_match(request, etag_of(current), required=True)


@router.post("/erasure-requests/{request_id}/approve", responses=RESPONSES_EDIT)
def approve(request_id: RequestId, request: Request, response: Response,
            app: Annotated[App, Depends(services)],
            who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Approve someone else's erasure request: the borrower is erased now (crypto-shredded).

    Needs If-Match with the request's ETag."""
    require_role(who, DECIDE_ROLES)
    _checked(request, app, request_id)
    req, erased = subject_requests.approve_erasure(app.store, app.vault, actor=who.actor_id,
                                                   request_id=request_id)
    body = _view(req, response)
    return {**body, "data_key_destroyed": erased.key_destroyed,
            "contacts_cleared": erased.contacts_cleared}


@router.post("/erasure-requests/{request_id}/reject", responses=RESPONSES_EDIT)
def reject(request_id: RequestId, request: Request, response: Response,
           app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Reject a pending erasure request. Needs If-Match with the request's ETag."""
    require_role(who, DECIDE_ROLES)
    _checked(request, app, request_id)
    return _view(subject_requests.reject_erasure(app.store, actor=who.actor_id,
                                                 request_id=request_id), response)
