"""Compliance governance: training courses and completions, reviewed strategy versions, PIAs.

Rows hold actor ids (tokens), course ids, YAML and generated documents; no borrower's
personal data. A completion is never edited: a new one is recorded; a strategy version never
changes once submitted (a change is a new version); a PIA version is kept for three years.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from faircollect.store.schema import UTCDateTime, metadata

training_courses = Table(
    "training_courses",
    metadata,
    Column("course_id", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("jurisdiction", String(8), nullable=False),
    Column("topics", Text, nullable=False, default=""),  # ';'-joined
    Column("validity_days", Integer, nullable=False),
    Column("pass_mark", Integer, nullable=False),  # percent, 0-100
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

training_completions = Table(
    "training_completions",
    metadata,
    Column("completion_id", String(40), primary_key=True),
    Column("course_id", String(64), nullable=False),
    Column("person_id", String(128), nullable=False),  # a collector's or agency's id
    Column("person_kind", String(16), nullable=False),  # collector | agency
    Column("score", Integer, nullable=False),
    Column("passed", Integer, nullable=False),  # 1 when score >= the course's pass mark
    Column("completed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("recorded_by", String(128), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_training_completions_person", "person_id", "expires_at"),
)

strategy_versions = Table(
    "strategy_versions",
    metadata,
    Column("kind", String(16), primary_key=True),  # playbook | override
    Column("subject_id", String(64), primary_key=True),  # playbook id, or override id
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("state", String(16), nullable=False),  # draft | in_review | approved | retired
    Column("body", Text, nullable=False),  # the YAML
    Column("body_sha256", String(64), nullable=False),
    Column("author", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("submitted_by", String(128), nullable=True),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("replay", Text, nullable=True),  # JSON: the 30-day replay shown to the approver
    Column("approved_by", String(128), nullable=True),
    Column("approved_at", UTCDateTime, nullable=True),
    Column("retired_by", String(128), nullable=True),
    Column("retired_at", UTCDateTime, nullable=True),
    Index("ix_strategy_versions_state", "kind", "state"),
)

pia_versions = Table(
    "pia_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("generated_at", UTCDateTime, nullable=False),
    Column("generated_by", String(128), nullable=False),
    Column("keep_until", UTCDateTime, nullable=False),  # three years (PIPL Art. 56)
    Column("content_sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),  # the assessment as canonical JSON
)
