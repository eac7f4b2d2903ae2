"""Message templates: every version of every template, with its review state.

A row is one (template_id, version). Once approved, a version's body, digest and metadata
never change; retiring only stamps `retired_at`/`retired_by`. A change is a new version.
`author`, `submitted_by`, `approved_by`, `retired_by` hold actor ids, never personal data.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

templates = Table(
    "templates",
    metadata,
    Column("template_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("locale", String(8), nullable=False),
    Column("channel", String(16), nullable=True),
    Column("audience", String(24), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("jurisdiction", String(8), nullable=True),
    Column("body", Text, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # draft | in_review | approved | retired
    Column("author", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("submitted_by", String(128), nullable=True),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("approved_by", String(128), nullable=True),
    Column("approved_at", UTCDateTime, nullable=True),
    Column("lexicon_version", String(32), nullable=True),  # the rules it was approved under
    Column("retired_by", String(128), nullable=True),
    Column("retired_at", UTCDateTime, nullable=True),
    Index("ix_templates_state", "state"),
)
