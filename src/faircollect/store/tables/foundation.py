"""Borrowers, contacts, consent records, loans, installments and payments.

Personal data (names, national ids, phones, e-mails) is held only as ciphertext (`*_ct`)
encrypted under the borrower's data key, and found by keyed blind indexes (`*_bidx`).
Money is stored in integer minor units of the loan's currency.
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
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    false,
)

from faircollect.store.schema import UTCDateTime, metadata

data_keys = Table(
    "data_keys",
    metadata,
    Column("borrower_id", String(64), primary_key=True),
    Column("master_key_id", String(64), nullable=True),
    Column("wrapped_key", LargeBinary, nullable=True),  # NULL once crypto-shredded
    Column("created_at", UTCDateTime, nullable=False),
    Column("destroyed_at", UTCDateTime, nullable=True),
    # When the shred step retired every master key that ever wrapped it (old copies too).
    Column("shredded_at", UTCDateTime, nullable=True),
)

borrowers = Table(
    "borrowers",
    metadata,
    Column("borrower_id", String(64), primary_key=True),
    Column("jurisdiction", String(2), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("flags", Text, nullable=False, default=""),
    Column("opted_out_channels", Text, nullable=False, default=""),
    Column("full_name_ct", LargeBinary, nullable=True),
    Column("national_id_ct", LargeBinary, nullable=True),
    Column("phone_ct", LargeBinary, nullable=True),
    Column("email_ct", LargeBinary, nullable=True),
    Column("phone_bidx", String(64), nullable=True, index=True),
    # A well-formed number the numbering plan (phonenumbers) does not list: imported, flagged.
    Column("phone_unverified", Boolean, nullable=False, default=False, server_default=false()),
    Column("national_id_bidx", String(64), nullable=True, index=True),
    Column("email_bidx", String(64), nullable=True, index=True),
    # Keyed digest of the imported row: idempotent re-import without keeping plaintext.
    Column("row_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("erased_at", UTCDateTime, nullable=True),
)

contacts = Table(
    "contacts",
    metadata,
    Column("contact_id", String(64), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("relation", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("name_ct", LargeBinary, nullable=True),
    Column("phone_ct", LargeBinary, nullable=True),
    Column("phone_bidx", String(64), nullable=True, index=True),
    Column("phone_unverified", Boolean, nullable=False, default=False, server_default=false()),
    Column("refused_contact", Boolean, nullable=False, default=False),
    Column("row_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_contacts_borrower", "borrower_id"),
)

# Append-only: a consent is never updated in place; each grant, renewal or withdrawal is a
# new record. The state of a consent at time t is read from its records.
consent_records = Table(
    "consent_records",
    metadata,
    Column("record_id", Integer, primary_key=True, autoincrement=True),
    Column("consent_id", String(64), nullable=False),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("contact_id", String(64), nullable=True),
    Column("kind", String(16), nullable=False),  # grant | renew | withdraw
    Column("granted_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("withdrawn_at", UTCDateTime, nullable=True),
    Column("channel", String(16), nullable=True),
    Column("policy_version", String(32), nullable=True),
    Column("notice_sha256", String(64), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_consent_records_consent", "consent_id", "record_id"),
    Index("ix_consent_records_borrower", "borrower_id"),
)

loans = Table(
    "loans",
    metadata,
    Column("loan_id", String(64), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("annual_rate", Numeric(12, 8), nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("disbursed_on", Date, nullable=False),
    Column("first_due_on", Date, nullable=False),
    Column("schedule", String(24), nullable=False),
    Column("row_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_loans_borrower", "borrower_id"),
)

installments = Table(
    "installments",
    metadata,
    Column("loan_id", String(64), ForeignKey("loans.loan_id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("due_on", Date, nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("interest_minor", BigInteger, nullable=False),
    Column("fees_minor", BigInteger, nullable=False, default=0),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("loan_id", String(64), ForeignKey("loans.loan_id"), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("row_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_payments_loan", "loan_id", "paid_on"),
)

import_runs = Table(
    "import_runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("source_digest", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("counts", Text, nullable=False),
)
