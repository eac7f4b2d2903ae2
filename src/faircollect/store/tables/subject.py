"""Data-subject requests that need a second person: erasure asked for by one, approved by another.

Rows hold tokens and actor ids only; the erasure itself runs in the approving transaction.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from faircollect.store.schema import UTCDateTime, metadata

subject_requests = Table(
    "subject_requests",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("kind", String(16), nullable=False),  # erasure
    Column("state", String(16), nullable=False),  # pending | approved | rejected
    Column("reason", String(48), nullable=False),
    Column("requested_by", String(128), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_by", String(128), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Index("ix_subject_requests_borrower", "borrower_id"),
    Index("ix_subject_requests_state", "state", "request_id"),
)
