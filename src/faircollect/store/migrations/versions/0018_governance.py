"""Compliance governance: training records, reviewed strategy versions, PIA versions.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_courses",
        sa.Column("course_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("validity_days", sa.Integer, nullable=False),
        sa.Column("pass_mark", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "training_completions",
        sa.Column("completion_id", sa.String(40), primary_key=True),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("person_kind", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("passed", sa.Integer, nullable=False),
        sa.Column("completed_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_training_completions_person", "training_completions",
                    ["person_id", "expires_at"])
    op.create_table(
        "strategy_versions",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("submitted_by", sa.String(128), nullable=True),
        sa.Column("submitted_at", UTCDateTime, nullable=True),
        sa.Column("replay", sa.Text, nullable=True),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", UTCDateTime, nullable=True),
        sa.Column("retired_by", sa.String(128), nullable=True),
        sa.Column("retired_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_strategy_versions_state", "strategy_versions", ["kind", "state"])
    op.create_table(
        "pia_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generated_at", UTCDateTime, nullable=False),
        sa.Column("generated_by", sa.String(128), nullable=False),
        sa.Column("keep_until", UTCDateTime, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pia_versions")
    op.drop_index("ix_strategy_versions_state", "strategy_versions")
    op.drop_table("strategy_versions")
    op.drop_index("ix_training_completions_person", "training_completions")
    op.drop_table("training_completions")
    op.drop_table("training_courses")
