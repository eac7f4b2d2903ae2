"""Policy: every contact decision the system acted on, with its request and pack version.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_decisions",
        sa.Column("decision_id", sa.String(40), primary_key=True),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("pack_id", sa.String(32), nullable=False),
        sa.Column("borrower_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(24), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
    )
    op.create_index("ix_policy_decisions_decided_at", "policy_decisions", ["decided_at"])
    op.create_index("ix_policy_decisions_borrower", "policy_decisions", ["borrower_id"])


def downgrade() -> None:
    op.drop_table("policy_decisions")
