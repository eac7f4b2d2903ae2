"""A borrower's request for a payment plan, made in the portal. Only staff may re-schedule
a loan (cases.plans), so the portal records the request, audited, for a supervisor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select, update

from faircollect.bootstrap import App
from faircollect.cases.borrower import load_loan_currency
from faircollect.cases.plans import MAX_PLAN_INSTALLMENTS
from faircollect.errors import Conflict, InputError, NotFound
from faircollect.store.tables.web import web_plan_requests

_t = web_plan_requests


@dataclass(frozen=True, slots=True)
class PlanRequest:
    request_id: str
    loan_id: str
    installments: int
    first_due_on: date
    state: str
    created_at: datetime


def request_plan(app: App, *, borrower_id: str, loan_id: str, installments: int,
                 first_due_on: date) -> str:
    now = app.store.clock()
    if not 1 <= installments <= MAX_PLAN_INSTALLMENTS:
        raise InputError(f"installments: must be 1 to {MAX_PLAN_INSTALLMENTS}",
                         field="installments")
    if first_due_on < now.date():
        raise InputError("first_due_on: must not be in the past", field="first_due_on")
    request_id = "plr-" + uuid.uuid4().hex[:20]
    with app.store.transaction(f"portal:{borrower_id}") as uow:
        load_loan_currency(uow.conn, borrower_id, loan_id)  # NotFound for another's loan
        uow.conn.execute(insert(_t).values(
            request_id=request_id, borrower_id=borrower_id, loan_id=loan_id,
            installments=installments, first_due_on=first_due_on, state="requested",
            created_at=now))
        uow.audit("case.plan_requested", f"borrower:{borrower_id}",
                  {"request_id": request_id, "loan_id": loan_id,
                   "installments": installments})
    return request_id


def plan_requests(app: App, borrower_id: str) -> list[PlanRequest]:
    with app.store.read() as conn:
        rows = conn.execute(select(_t).where(_t.c.borrower_id == borrower_id)
                            .order_by(_t.c.created_at.desc())).all()
    return [PlanRequest(r.request_id, r.loan_id, r.installments, r.first_due_on, r.state,
                        r.created_at) for r in rows]


def answer(app: App, *, actor: str, borrower_id: str, request_id: str, accept: bool) -> None:
    """Accept (create the plan through cases.plans, one transaction) or decline a request."""
    from faircollect.cases.plans import create_plan

    now = app.store.clock()
    with app.store.transaction(actor) as uow:
        row = uow.conn.execute(select(_t).where(_t.c.request_id == request_id,
                                                _t.c.borrower_id == borrower_id)).first()
        if row is None:
            raise NotFound("unknown plan request", request_id=request_id)
        if row.state != "requested":
            raise Conflict(f"this request is already {row.state}", request_id=request_id)
        if accept:
            create_plan(uow, borrower_id=borrower_id, loan_id=row.loan_id,
                        count=int(row.installments), first_due_on=row.first_due_on,
                        today=now.date(), now=now)
        state = "accepted" if accept else "declined"
        uow.conn.execute(update(_t).where(_t.c.request_id == request_id).values(
            state=state, decided_at=now))
        uow.audit(f"case.plan_request_{state}", f"borrower:{borrower_id}",
                  {"request_id": request_id})
