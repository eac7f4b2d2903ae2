"""The loan ledger: schedules, payment allocation, days past due, buckets and roll rates.

A pure core: no database, no clock, no I/O. Scalar functions work on `Money` (exact
Decimal amounts) one loan at a time; the frame functions do the same arithmetic for a whole
portfolio with Polars, in Int64 minor units, and tests hold the two equal.

    installments = schedule_frame(loans)            # one row per (loan_id, number)
    state = snapshot(installments, payments, as_of) # one row per loan
    matrix = roll_rates(state_last_month, state)    # bucket i -> bucket j shares
"""

from faircollect.ledger.allocation import (
    DEFAULT_ORDER,
    PRINCIPAL_FIRST,
    Allocation,
    AllocationOrder,
    InstallmentBalance,
    Payment,
    allocate,
    apply_payments,
)
from faircollect.ledger.buckets import DEFAULT_BUCKETS, Buckets
from faircollect.ledger.delinquency import LoanStatus, days_past_due, loan_status
from faircollect.ledger.money import Money, minor_units
from faircollect.ledger.roll_rates import RollRates, roll_rate_matrix, roll_rates
from faircollect.ledger.schedule import Installment, LoanTerms, ScheduleKind, build_schedule
from faircollect.ledger.schedule_frame import schedule_frame
from faircollect.ledger.snapshot import snapshot

__all__ = [
    "DEFAULT_BUCKETS",
    "DEFAULT_ORDER",
    "PRINCIPAL_FIRST",
    "Allocation",
    "AllocationOrder",
    "Buckets",
    "Installment",
    "InstallmentBalance",
    "LoanStatus",
    "LoanTerms",
    "Money",
    "Payment",
    "RollRates",
    "ScheduleKind",
    "allocate",
    "apply_payments",
    "build_schedule",
    "days_past_due",
    "loan_status",
    "minor_units",
    "roll_rate_matrix",
    "roll_rates",
    "schedule_frame",
    "snapshot",
]
