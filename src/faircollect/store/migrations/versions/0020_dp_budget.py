"""The differential-privacy budget ledger: budgets per scope and the releases spending them.

Revision ID: 0020
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dp_budgets",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("total_epsilon", sa.Float, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "dp_releases",
        sa.Column("release_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(64), sa.ForeignKey("dp_budgets.scope"), nullable=False),
        sa.Column("report", sa.String(64), nullable=False),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("noise_scale", sa.Float, nullable=False),
        sa.Column("mechanism", sa.String(200), nullable=False),
        sa.Column("released_at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_dp_releases_scope", "dp_releases", ["scope"])


def downgrade() -> None:
    op.drop_index("ix_dp_releases_scope", table_name="dp_releases")
    op.drop_table("dp_releases")
    op.drop_table("dp_budgets")
