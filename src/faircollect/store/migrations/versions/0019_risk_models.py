"""Risk models under maker-checker review (versions, training-data fingerprint, model card),
and the queue of human reviews of automated decisions.

Revision ID: 0019
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_models",
        sa.Column("model_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("card", sa.Text, nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", UTCDateTime, nullable=True),
        sa.Column("retired_by", sa.String(128), nullable=True),
        sa.Column("retired_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_risk_models_kind_state", "risk_models", ["kind", "state"])
    op.create_table(
        "risk_reviews",
        sa.Column("review_id", sa.String(40), primary_key=True),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
    )
    op.create_index("ix_risk_reviews_state", "risk_reviews", ["state", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_risk_reviews_state", "risk_reviews")
    op.drop_table("risk_reviews")
    op.drop_index("ix_risk_models_kind_state", "risk_models")
    op.drop_table("risk_models")
