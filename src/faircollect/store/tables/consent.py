"""Consent notices and receipts, and the case assignments the access guard checks.

`consent_notices` keeps the exact text shown to the borrower once per distinct text, keyed by
its SHA-256 (a notice is the lender's text, not personal data). `consent_receipts` keeps every
signed receipt as issued. `case_assignments` records which collector works which borrower's
case; a row is closed (released_at) rather than deleted, so who could see what stays known.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

consent_notices = Table(
    "consent_notices",
    metadata,
    Column("notice_sha256", String(64), primary_key=True),
    Column("text", Text, nullable=False),
    Column("first_shown_at", UTCDateTime, nullable=False),
)

consent_receipts = Table(
    "consent_receipts",
    metadata,
    Column("receipt_id", String(36), primary_key=True),
    Column("consent_id", String(64), nullable=False),
    Column("record_id", Integer, nullable=False),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("document", Text, nullable=False),  # the signed receipt, canonical JSON
    Index("ix_consent_receipts_consent", "consent_id"),
    Index("ix_consent_receipts_borrower", "borrower_id"),
)

case_assignments = Table(
    "case_assignments",
    metadata,
    Column("assignment_id", Integer, primary_key=True, autoincrement=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("collector_id", String(64), nullable=False),
    Column("assigned_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime, nullable=True),
    Index("ix_case_assignments_collector", "collector_id", "borrower_id"),
    Index("ix_case_assignments_borrower", "borrower_id"),
)
