"""Cases over HTTP: promises to pay, payment plans, hardship pauses, disputes, complaints,
cease requests and channel opt-outs, and the case state the planner sees.

Each POST is one transaction (the change, its audit entry and any notice to the borrower),
through the same service functions as `faircollect case ...`. Staff act on the borrowers
they reach (a collector: assigned cases); a borrower may open their own dispute or
complaint, ask to stop contact, and opt out of a channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute, one_of
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES_404, RESPONSES_404_409
from faircollect.api.reach import EVERYONE, require_reach, require_role
from faircollect.bootstrap import App
from faircollect.cases import complaints, disputes, hardship, plans, promises, restrictions
from faircollect.cases.state import case_state
from faircollect.errors import NotFound
from faircollect.instants import to_utc
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.vault.vault import Vault
from faircollect.vocabulary import CHANNELS

router = APIRouter(prefix="/v1", tags=["cases"], route_class=ConventionRoute)

BorrowerId = Annotated[str, Path(max_length=64)]
CaseId = Annotated[str, Path(max_length=64)]
PROMISE_ROLES = ("collector", "supervisor", "admin")
PLAN_ROLES = ("supervisor", "admin")
HARDSHIP_ROLES = ("supervisor", "compliance", "admin")
# Anyone who hears a dispute, a complaint or a request to stop must be able to record it.
INTAKE_ROLES = ("collector", "supervisor", "compliance", "admin", "borrower")
RESOLVE_ROLES = ("supervisor", "compliance")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PromiseBody(_Body):
    loan_id: str = Field(min_length=1, max_length=64)
    amount: str = Field(min_length=1, max_length=32, pattern=r"^[0-9]+(\.[0-9]+)?$")
    due_on: date


class PlanBody(_Body):
    loan_id: str = Field(min_length=1, max_length=64)
    installments: int = Field(ge=1, le=120)
    first_due_on: date
    keep_fees: bool = False
    re_age: bool = False


class HardshipBody(_Body):
    until: date
    reason: str = Field(default="other", min_length=1, max_length=48,
                        json_schema_extra=one_of(hardship.REASONS))


class DisputeBody(_Body):
    reason: str = Field(min_length=1, max_length=48, description=", ".join(disputes.REASONS),
                        json_schema_extra=one_of(disputes.REASONS))
    loan_id: str | None = Field(default=None, min_length=1, max_length=64)
    channel: str = Field(default="letter", min_length=1, max_length=16)


class ResolveBody(_Body):
    resolution: str = Field(min_length=1, max_length=16,
                            description=", ".join(disputes.RESOLUTIONS),
                            json_schema_extra=one_of(disputes.RESOLUTIONS))
    channel: str = Field(default="letter", min_length=1, max_length=16)


class ComplaintBody(_Body):
    category: str = Field(min_length=1, max_length=48,
                          description=", ".join(complaints.CATEGORIES),
                          json_schema_extra=one_of(complaints.CATEGORIES))
    complainant: str = Field(default="borrower", min_length=1, max_length=16,
                             description=", ".join(complaints.COMPLAINANTS),
                             json_schema_extra=one_of(complaints.COMPLAINANTS))
    contact_id: str | None = Field(default=None, min_length=1, max_length=64)
    received_at: Annotated[AwareDatetime, AfterValidator(to_utc)] | None = None
    sla_days: int | None = Field(default=None, ge=1, le=365)


class CloseBody(_Body):
    root_cause: str = Field(min_length=1, max_length=64,
                            description=", ".join(complaints.ROOT_CAUSES),
                            json_schema_extra=one_of(complaints.ROOT_CAUSES))


class OptOutBody(_Body):
    channel: str = Field(min_length=1, max_length=16, json_schema_extra=one_of(CHANNELS))


Command = Callable[[UnitOfWork, Vault, datetime], dict[str, Any]]


def _run(app: App, who: Principal, command: Command) -> dict[str, Any]:
    now = app.store.clock()
    with app.store.transaction(f"api:{who.actor_id}") as uow:
        return command(uow, app.vault, now)


def _staff_or_self(app: App, who: Principal, borrower_id: str,
                   roles: tuple[str, ...]) -> None:
    require_role(who, roles)
    require_reach(app, who, borrower_id)


@router.get("/borrowers/{borrower_id}/case", responses=RESPONSES_404)
def show_case(
    borrower_id: BorrowerId,
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """The borrower's case state: holds, promises, plans, pauses (what the planner sees)."""
    _staff_or_self(app, who, borrower_id, EVERYONE)
    with app.store.read() as conn:
        state = case_state(conn, [borrower_id], as_of=app.store.clock())
    if borrower_id not in state:
        raise NotFound("unknown borrower", borrower_id=borrower_id)
    return {"borrower_id": borrower_id, "case": _plain(state[borrower_id])}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@router.post("/borrowers/{borrower_id}/promises", status_code=201,
             responses=RESPONSES_404_409)
def promise(borrower_id: BorrowerId, body: PromiseBody,
            app: Annotated[App, Depends(services)],
            who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Record a promise to pay (it replaces the loan's earlier pending promises)."""
    _staff_or_self(app, who, borrower_id, PROMISE_ROLES)
    return _run(app, who, lambda uow, _v, now: {"promise_id": promises.promise_to_pay(
        uow, borrower_id=borrower_id, loan_id=body.loan_id, amount=body.amount,
        due_on=body.due_on, today=now.date(), now=now)})


@router.post("/borrowers/{borrower_id}/plans", status_code=201, responses=RESPONSES_404_409)
def plan(borrower_id: BorrowerId, body: PlanBody,
         app: Annotated[App, Depends(services)],
         who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Re-schedule a loan's arrears into a payment plan."""
    _staff_or_self(app, who, borrower_id, PLAN_ROLES)
    return _run(app, who, lambda uow, _v, now: {"plan_id": plans.create_plan(
        uow, borrower_id=borrower_id, loan_id=body.loan_id, count=body.installments,
        first_due_on=body.first_due_on, today=now.date(), now=now,
        waive_fees=not body.keep_fees, re_age=body.re_age)})


@router.post("/borrowers/{borrower_id}/hardship", status_code=201,
             responses=RESPONSES_404_409)
def pause(borrower_id: BorrowerId, body: HardshipBody,
          app: Annotated[App, Depends(services)],
          who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Pause collection for a borrower in hardship, to `until` inclusive."""
    _staff_or_self(app, who, borrower_id, HARDSHIP_ROLES)
    return _run(app, who, lambda uow, _v, now: {"pause_id": hardship.pause_for_hardship(
        uow, borrower_id=borrower_id, until=body.until, reason=body.reason,
        today=now.date(), now=now)})


@router.post("/borrowers/{borrower_id}/disputes", status_code=201,
             responses=RESPONSES_404_409)
def open_dispute(borrower_id: BorrowerId, body: DisputeBody,
                 app: Annotated[App, Depends(services)],
                 who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Open a dispute: the account goes on hold and the borrower is told."""
    _staff_or_self(app, who, borrower_id, INTAKE_ROLES)
    return _run(app, who, lambda uow, vault, now: {"dispute_id": disputes.open_dispute(
        uow, vault, borrower_id=borrower_id, reason=body.reason, now=now,
        loan_id=body.loan_id, channel=body.channel)})


@router.post("/disputes/{dispute_id}/resolve", responses=RESPONSES_404_409)
def resolve_dispute(dispute_id: CaseId, body: ResolveBody,
                    app: Annotated[App, Depends(services)],
                    who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Resolve an open dispute (upheld, rejected, withdrawn) and tell the borrower."""
    require_role(who, RESOLVE_ROLES)
    return _run(app, who, lambda uow, vault, now: {
        "dispute_id": dispute_id,
        "notice_message_id": disputes.resolve_dispute(
            uow, vault, dispute_id=dispute_id, resolution=body.resolution, now=now,
            channel=body.channel)})


@router.post("/borrowers/{borrower_id}/complaints", status_code=201,
             responses=RESPONSES_404_409)
def open_complaint(borrower_id: BorrowerId, body: ComplaintBody,
                   app: Annotated[App, Depends(services)],
                   who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Record a complaint, linked to the contact attempts before it."""
    _staff_or_self(app, who, borrower_id, INTAKE_ROLES)
    received = body.received_at
    return _run(app, who, lambda uow, _v, now: {"complaint_id": complaints.open_complaint(
        uow, borrower_id=borrower_id, complainant=body.complainant, category=body.category,
        received_at=received or now, now=now, contact_id=body.contact_id,
        sla_days=body.sla_days)})


@router.post("/complaints/{complaint_id}/close", responses=RESPONSES_404_409)
def close_complaint(complaint_id: CaseId, body: CloseBody,
                    app: Annotated[App, Depends(services)],
                    who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Close a complaint with its root cause."""
    require_role(who, RESOLVE_ROLES)

    def command(uow: UnitOfWork, _v: Vault, now: datetime) -> dict[str, Any]:
        complaints.close_complaint(uow, complaint_id=complaint_id,
                                   root_cause=body.root_cause, now=now)
        return {"complaint_id": complaint_id, "state": "closed"}

    return _run(app, who, command)


@router.post("/borrowers/{borrower_id}/cease", status_code=201, responses=RESPONSES_404_409)
def cease(borrower_id: BorrowerId, app: Annotated[App, Depends(services)],
          who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Record the borrower's request to stop collection contact."""
    _staff_or_self(app, who, borrower_id, INTAKE_ROLES)

    def command(uow: UnitOfWork, _v: Vault, now: datetime) -> dict[str, Any]:
        restrictions.request_cease(uow, borrower_id=borrower_id, now=now)
        return {"borrower_id": borrower_id, "flag": "cease_requested"}

    return _run(app, who, command)


@router.post("/borrowers/{borrower_id}/opt-outs", status_code=201,
             responses=RESPONSES_404_409)
def opt_out(borrower_id: BorrowerId, body: OptOutBody,
            app: Annotated[App, Depends(services)],
            who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Stop using one channel for the borrower."""
    _staff_or_self(app, who, borrower_id, INTAKE_ROLES)

    def command(uow: UnitOfWork, _v: Vault, now: datetime) -> dict[str, Any]:
        restrictions.opt_out(uow, borrower_id=borrower_id, channel=body.channel, now=now)
        return {"borrower_id": borrower_id, "opted_out": body.channel}

    return _run(app, who, command)
