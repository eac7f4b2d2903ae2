"""Risk models: every version of every model, its model card and its review state.

A row is one (model_id, version). `model` is the scorecard as JSON; once approved a
version's model, card and fingerprint never change. `author`, `approved_by` and `retired_by`
hold actor ids, never personal data.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

risk_models = Table(
    "risk_models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # application | behaviour | collection
    Column("state", String(16), nullable=False),  # pending | approved | rejected | retired
    Column("fingerprint", String(64), nullable=False),  # sha256 of the training data
    Column("model", Text, nullable=False),
    Column("card", Text, nullable=False),
    Column("author", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("approved_by", String(128), nullable=True),
    Column("approved_at", UTCDateTime, nullable=True),
    Column("retired_by", String(128), nullable=True),
    Column("retired_at", UTCDateTime, nullable=True),
    Index("ix_risk_models_kind_state", "kind", "state"),
)

# Human review of automated decisions, on request (PIPL Art. 24; GDPR Art. 22(3)): the
# decision as the model made it (score, reasons), then a person's outcome. `subject` is a
# borrower id or an application reference, never personal data.
risk_reviews = Table(
    "risk_reviews",
    metadata,
    Column("review_id", String(40), primary_key=True),
    Column("model_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("subject", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of reason codes
    Column("state", String(16), nullable=False),  # requested | upheld | overturned
    Column("requested_by", String(128), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_by", String(128), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("note", String(500), nullable=True),
    Index("ix_risk_reviews_state", "state", "requested_at"),
)

# The latest monitoring run of each model (one row per model id, replaced by the next run of
# an approved version): the structured alerts the compliance report lists, and the whole
# monitoring report as JSON. Aggregates only, never a borrower's data.
risk_monitoring = Table(
    "risk_monitoring",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("run_at", UTCDateTime, nullable=False),
    Column("run_by", String(128), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("alerts", Text, nullable=False),  # JSON list of {metric, value, band, message}
    Column("report", Text, nullable=False),
)
