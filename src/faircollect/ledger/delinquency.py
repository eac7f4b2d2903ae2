"""Days past due and the state of one loan as of a date (the scalar reference).

An installment is unpaid while anything of it is outstanding after allocating the payments
made up to the as-of date. Days past due count from the due date of the oldest unpaid
installment: ``as_of - due_on``. An installment falling due on the as-of date is not yet
late (0 days).

Grace days *suppress* the count rather than shift it: while the oldest unpaid installment is
no more than `grace_days` late the loan reads 0 DPD (current); once grace runs out it reads
its full age from the contractual due date (grace 5: day 5 -> 0, day 6 -> 6). Counting from
the due date keeps bucket edges at the same calendar distance for every product, so roll
rates of products with different grace periods stay comparable, and it is how credit
bureaus report lateness; the grace period only decides when a loan starts to count as late.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from faircollect.errors import InputError
from faircollect.ledger.allocation import (
    DEFAULT_ORDER,
    AllocationOrder,
    InstallmentBalance,
    Payment,
    apply_payments,
)
from faircollect.ledger.buckets import DEFAULT_BUCKETS, Buckets
from faircollect.ledger.money import Money
from faircollect.ledger.schedule import Installment


def _check_grace(grace_days: int) -> None:
    if grace_days < 0:
        raise InputError("grace_days: cannot be negative", field="grace_days")


def days_past_due(balances: Sequence[InstallmentBalance], as_of: date, grace_days: int = 0) -> int:
    """Days since the oldest unpaid installment fell due; 0 if none, or still within grace."""
    _check_grace(grace_days)
    unpaid = [b.installment for b in balances if b.outstanding.minor > 0]
    if not unpaid:
        return 0
    oldest = min(unpaid, key=lambda i: i.number)
    days = (as_of - oldest.due_on).days
    return days if days > grace_days else 0


@dataclass(frozen=True, slots=True)
class LoanStatus:
    """One loan's position as of a date; a row of the portfolio snapshot."""

    outstanding_principal: Money
    overdue_amount: Money
    paid_to_date: Money
    unallocated: Money
    days_past_due: int
    bucket: str
    next_due_on: date | None
    installments_overdue: int


def loan_status(
    installments: Sequence[Installment],
    payments: Iterable[Payment],
    as_of: date,
    grace_days: int = 0,
    buckets: Buckets = DEFAULT_BUCKETS,
    order: AllocationOrder = DEFAULT_ORDER,
) -> LoanStatus:
    """Allocate the payments made up to `as_of` and describe the loan on that date.

    Overdue means past its due date (``due_on < as_of``) with something outstanding,
    whatever the grace period; `next_due_on` is the earliest installment on or after
    `as_of` that still has something outstanding.
    """
    _check_grace(grace_days)
    paid = [p for p in payments if p.paid_on <= as_of]
    allocation = apply_payments(installments, paid, order=order)
    currency = installments[0].principal.currency
    zero = Money.zero(currency)
    outstanding_principal = zero
    overdue = zero
    overdue_count = 0
    next_due: date | None = None
    for balance in allocation.balances:
        outstanding_principal = outstanding_principal + balance.outstanding_principal
        due_on = balance.installment.due_on
        if balance.outstanding.minor > 0:
            if due_on < as_of:
                overdue = overdue + balance.outstanding
                overdue_count += 1
            elif next_due is None or due_on < next_due:
                next_due = due_on
    dpd = days_past_due(allocation.balances, as_of, grace_days)
    received = sum((p.amount for p in paid), zero)
    return LoanStatus(
        outstanding_principal=outstanding_principal,
        overdue_amount=overdue,
        paid_to_date=received,
        unallocated=allocation.unallocated,
        days_past_due=dpd,
        bucket=buckets.bucket_of(dpd),
        next_due_on=next_due,
        installments_overdue=overdue_count,
    )
