"""Contact decisions the system acted on: the request, the decision and the pack version.

One row per decided attempt that was acted on (the daily cycle's plan, a dispatch). `request`
is the canonical JSON of the full decision request: tokens, flags and times only, never
personal data; `decision` is the contract's decision JSON. `rules` and `categories` are
';'-joined failing rule ids and categories ('' when allowed), so reports can filter without
parsing JSON. `reference` ties the row to what acted on it (e.g. the outbox message id).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

policy_decisions = Table(
    "policy_decisions",
    metadata,
    Column("decision_id", String(40), primary_key=True),
    Column("decided_at", UTCDateTime, nullable=False),  # the attempt's `at`
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("pack_id", String(32), nullable=False),  # e.g. cn-2026.1
    Column("borrower_id", String(64), nullable=False),
    Column("contact_id", String(64), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("audience", String(24), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("categories", Text, nullable=False),
    Column("rules", Text, nullable=False),
    Column("request", Text, nullable=False),  # canonical JSON of the DecisionRequest
    Column("decision", Text, nullable=False),  # the contract's decision JSON
    Column("source", String(16), nullable=False),  # cycle | api | cli
    Column("reference", String(64), nullable=True),
    Index("ix_policy_decisions_decided_at", "decided_at"),
    Index("ix_policy_decisions_borrower", "borrower_id"),
)
