"""Case records: promises to pay, payment plans, hardship pauses, disputes, complaints.

Amounts are integer minor units of the loan's currency. Whether a promise or plan was kept
is not stored: it is read from the ledger's payments when asked.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from faircollect.store.schema import UTCDateTime, metadata

promises = Table(
    "promises",
    metadata,
    Column("promise_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("loan_id", String(64), ForeignKey("loans.loan_id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("promised_on", Date, nullable=False),  # the day the promise was made
    Column("due_on", Date, nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_promises_borrower", "borrower_id"),
)

payment_plans = Table(
    "payment_plans",
    metadata,
    Column("plan_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("loan_id", String(64), ForeignKey("loans.loan_id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("arrears_minor", BigInteger, nullable=False),
    Column("waived_fees_minor", BigInteger, nullable=False),
    Column("re_age", Boolean, nullable=False),
    Column("agreed_on", Date, nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_payment_plans_borrower", "borrower_id"),
)

plan_installments = Table(
    "plan_installments",
    metadata,
    Column("plan_id", String(40), ForeignKey("payment_plans.plan_id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("due_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
)

hardship_pauses = Table(
    "hardship_pauses",
    metadata,
    Column("pause_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_hardship_pauses_borrower", "borrower_id"),
)

disputes = Table(
    "disputes",
    metadata,
    Column("dispute_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("loan_id", String(64), nullable=True),
    Column("reason", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # open | resolved
    Column("opened_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolution", String(32), nullable=True),
    Index("ix_disputes_borrower", "borrower_id"),
)

complaints = Table(
    "complaints",
    metadata,
    Column("complaint_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("complainant", String(16), nullable=False),  # borrower | third_party
    Column("contact_id", String(64), nullable=True),
    Column("category", String(32), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("sla_due_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),  # open | closed
    Column("closed_at", UTCDateTime, nullable=True),
    Column("root_cause", String(32), nullable=True),
    Index("ix_complaints_borrower", "borrower_id"),
)

complaint_attempts = Table(
    "complaint_attempts",
    metadata,
    Column("complaint_id", String(40), ForeignKey("complaints.complaint_id"), primary_key=True),
    Column("history_id", Integer, ForeignKey("contact_history.history_id"), primary_key=True),
)
