"""Payment plans: the arrears re-scheduled into new installments, fees waived by policy.

The arrears are what is overdue on the plan's start day according to the ledger (payments
allocated oldest first). With `waive_fees` the overdue fees are left out of the plan and
recorded as waived. `re_age` records the lender's policy that an honoured plan resets days
past due; the ledger and planner read it from the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from sqlalchemy import insert, select

from faircollect.cases.borrower import load_borrower, load_loan_currency, new_id
from faircollect.errors import Conflict, InputError
from faircollect.ledger.allocation import Payment, apply_payments
from faircollect.ledger.money import Money
from faircollect.ledger.schedule import Installment, add_months
from faircollect.store.tables.cases import payment_plans, plan_installments
from faircollect.store.tables.foundation import installments, payments
from faircollect.store.unit_of_work import UnitOfWork

MAX_PLAN_INSTALLMENTS: Final = 36
PlanStatus = Literal["active", "completed", "broken", "cancelled"]


@dataclass(frozen=True, slots=True)
class Arrears:
    """What is overdue on a loan on a day, and the part of it that is fees."""

    total_minor: int
    fees_minor: int


def arrears_of(uow: UnitOfWork, loan_id: str, currency: str, today: date) -> Arrears:
    """The loan's overdue amount on `today`, from its schedule and payments."""
    rows = uow.conn.execute(
        select(installments)
        .where(installments.c.loan_id == loan_id)
        .order_by(installments.c.number)
    ).all()
    if not rows:
        return Arrears(0, 0)
    schedule = [
        Installment(
            number=r.number,
            due_on=r.due_on,
            principal=Money(r.principal_minor, currency),
            interest=Money(r.interest_minor, currency),
            fees=Money(r.fees_minor or 0, currency),
        )
        for r in rows
    ]
    paid = [
        Payment(p.payment_id, p.paid_on, Money(p.amount_minor, currency))
        for p in uow.conn.execute(select(payments).where(payments.c.loan_id == loan_id))
    ]
    allocation = apply_payments(schedule, paid, as_of=today)
    total = fees = 0
    for balance in allocation.balances:
        if balance.installment.due_on < today and balance.outstanding.minor > 0:
            total += balance.outstanding.minor
            fees += (balance.installment.fees - balance.paid_fees).minor
    return Arrears(total, fees)


def split_evenly(total: int, count: int) -> list[int]:
    """`total` in `count` parts; the remainder of the division lands on the last part."""
    base = total // count
    return [base] * (count - 1) + [total - base * (count - 1)]


def plan_status(
    dues: list[tuple[date, int]], paid_since: list[tuple[date, int]], as_of: date, cancelled: bool
) -> PlanStatus:
    """Completed when payments since the plan cover every installment; broken when an
    installment's due date passed with less paid by then than was due by then."""
    if cancelled:
        return "cancelled"
    total_due = sum(a for _, a in dues)
    if sum(a for _, a in paid_since if _ <= as_of) >= total_due:
        return "completed"
    for due_on, _ in dues:
        if due_on < as_of:
            due_by = sum(a for d, a in dues if d <= due_on)
            paid_by = sum(a for d, a in paid_since if d <= due_on)
            if paid_by < due_by:
                return "broken"
    return "active"


def create_plan(
    uow: UnitOfWork,
    *,
    borrower_id: str,
    loan_id: str,
    count: int,
    first_due_on: date,
    today: date,
    now: datetime,
    waive_fees: bool = True,
    re_age: bool = False,
) -> str:
    """Re-schedule the loan's arrears into `count` monthly installments from `first_due_on`."""
    load_borrower(uow.conn, borrower_id, lock=True)
    currency = load_loan_currency(uow.conn, borrower_id, loan_id)
    if not 1 <= count <= MAX_PLAN_INSTALLMENTS:
        raise InputError(
            f"installments: must be 1 to {MAX_PLAN_INSTALLMENTS}", field="installments"
        )
    if first_due_on < today:
        raise InputError("first_due_on: cannot be in the past", field="first_due_on")
    active = uow.conn.execute(
        select(payment_plans.c.plan_id).where(
            payment_plans.c.loan_id == loan_id, payment_plans.c.cancelled_at.is_(None)
        )
    ).all()
    if active:
        raise Conflict("the loan already has a payment plan", loan_id=loan_id)
    arrears = arrears_of(uow, loan_id, currency, today)
    waived = arrears.fees_minor if waive_fees else 0
    planned = arrears.total_minor - waived
    if planned <= 0:
        raise Conflict("the loan has no arrears to re-schedule", loan_id=loan_id)
    plan_id = new_id("plan")
    uow.conn.execute(
        insert(payment_plans).values(
            plan_id=plan_id,
            borrower_id=borrower_id,
            loan_id=loan_id,
            currency=currency,
            arrears_minor=planned,
            waived_fees_minor=waived,
            re_age=re_age,
            agreed_on=today,
            cancelled_at=None,
            created_at=now,
        )
    )
    parts = split_evenly(planned, count)
    uow.conn.execute(
        insert(plan_installments),
        [
            {
                "plan_id": plan_id,
                "number": n,
                "due_on": add_months(first_due_on, n - 1),
                "amount_minor": amount,
            }
            for n, amount in enumerate(parts, start=1)
        ],
    )
    uow.audit(
        "case.plan",
        f"borrower:{borrower_id}",
        {
            "plan_id": plan_id,
            "loan_id": loan_id,
            "arrears_minor": planned,
            "waived_fees_minor": waived,
            "installments": count,
            "re_age": re_age,
            "first_due_on": first_due_on.isoformat(),
            "currency": currency,
        },
    )
    return plan_id
