"""Erasure with four eyes: one person asks (the borrower, compliance or admin), another
approves, and the approval carries the erasure out in the same transaction.

The approver must not be the requester (AccessDenied otherwise). Only a pending request
can be approved or rejected (Conflict otherwise); one borrower has at most one pending
erasure request at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from faircollect.cases.borrower import new_id
from faircollect.consent.repository import load_borrower
from faircollect.errors import AccessDenied, Conflict, InputError, IntegrityError, NotFound
from faircollect.store.tables.subject import subject_requests
from faircollect.store.unit_of_work import Store
from faircollect.subject.erase import Erasure, erase_in
from faircollect.vault.vault import Vault

REASONS: tuple[str, ...] = ("request", "retention", "court_order")
STATES: tuple[str, ...] = ("pending", "approved", "rejected")
_t = subject_requests


@dataclass(frozen=True, slots=True)
class SubjectRequest:
    request_id: str
    borrower_id: str
    kind: str
    state: str
    reason: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "borrower_id": self.borrower_id,
                "kind": self.kind, "state": self.state, "reason": self.reason,
                "requested_by": self.requested_by,
                "requested_at": self.requested_at.isoformat(),
                "decided_by": self.decided_by,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}


def _row(r: Any) -> SubjectRequest:
    return SubjectRequest(r.request_id, r.borrower_id, r.kind, r.state, r.reason,
                          r.requested_by, r.requested_at, r.decided_by, r.decided_at)


def request_erasure(store: Store, *, actor: str, borrower_id: str,
                    reason: str = "request") -> SubjectRequest:
    """Ask for a borrower's erasure; Conflict when erased already or one is pending."""
    if reason not in REASONS:
        raise InputError(f"reason: must be one of {', '.join(REASONS)}", field="reason")
    now = store.clock()
    with store.transaction(actor) as uow:
        ref = load_borrower(uow.conn, borrower_id)
        if ref.erased:
            raise Conflict("this borrower was already erased", borrower_id=borrower_id)
        pending = uow.conn.execute(select(_t.c.request_id).where(
            _t.c.borrower_id == borrower_id, _t.c.kind == "erasure",
            _t.c.state == "pending")).scalar()
        if pending is not None:
            raise Conflict("an erasure request for this borrower is already pending",
                           request_id=pending)
        request_id = new_id("sr")
        values = {"request_id": request_id, "borrower_id": borrower_id, "kind": "erasure",
                  "state": "pending", "reason": reason, "requested_by": actor,
                  "requested_at": now}
        uow.conn.execute(insert(_t).values(**values))
        uow.audit("subject.erase_requested", borrower_id,
                  {"request_id": request_id, "reason": reason})
    return SubjectRequest(**values, decided_by=None, decided_at=None)  # type: ignore[arg-type]


def get_request(store: Store, request_id: str) -> SubjectRequest:
    """One request, or NotFound."""
    with store.read() as conn:
        row = conn.execute(select(_t).where(_t.c.request_id == request_id)).first()
    if row is None:
        raise NotFound("unknown subject request", request_id=request_id)
    return _row(row)


def list_requests(store: Store, *, limit: int, after: str | None = None,
                  state: str | None = None, borrower_id: str | None = None
                  ) -> list[SubjectRequest]:
    """Requests in id order after `after`, optionally in one state or of one borrower."""
    query = select(_t).order_by(_t.c.request_id).limit(limit)
    if after is not None:
        query = query.where(_t.c.request_id > after)
    if state is not None:
        query = query.where(_t.c.state == state)
    if borrower_id is not None:
        query = query.where(_t.c.borrower_id == borrower_id)
    with store.read() as conn:
        return [_row(r) for r in conn.execute(query)]


def _decide(store: Store, actor: str, request_id: str, state: str,
            vault: Vault | None) -> tuple[SubjectRequest, Erasure | None]:
    now = store.clock()
    erased = None
    with store.transaction(actor) as uow:
        row = uow.conn.execute(select(_t).where(_t.c.request_id == request_id)
                               .with_for_update()).first()
        if row is None:
            raise NotFound("unknown subject request", request_id=request_id)
        if row.state != "pending":
            raise Conflict(f"this request is {row.state} already", request_id=request_id)
        if state == "approved" and row.requested_by == actor:
            raise AccessDenied("four eyes: the person who asked for an erasure may not "
                               "approve it", request_id=request_id)
        if vault is not None:
            erased = erase_in(uow, vault, row.borrower_id, reason=row.reason, now=now)
        uow.conn.execute(update(_t).where(_t.c.request_id == request_id).values(
            state=state, decided_by=actor, decided_at=now))
        uow.audit(f"subject.erase_{state}", row.borrower_id, {"request_id": request_id})
    return get_request(store, request_id), erased


def approve_erasure(store: Store, vault: Vault, *, actor: str, request_id: str
                    ) -> tuple[SubjectRequest, Erasure]:
    """Approve a pending erasure request made by someone else, and erase the borrower."""
    req, erased = _decide(store, actor, request_id, "approved", vault)
    if erased is None:  # approval always erases; this is a programming error
        raise IntegrityError("approved erasure did not run", request_id=request_id)
    return req, erased


def reject_erasure(store: Store, *, actor: str, request_id: str) -> SubjectRequest:
    """Reject (or, by its requester, withdraw) a pending erasure request."""
    return _decide(store, actor, request_id, "rejected", None)[0]
