"""Borrowers' one-time sign-in codes for the HTTP API, kept as keyed digests.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_otp_codes",
        sa.Column("code_id", sa.String(40), primary_key=True),
        sa.Column("borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"),
                  nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_api_otp_codes_borrower", "api_otp_codes", ["borrower_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_api_otp_codes_borrower", "api_otp_codes")
    op.drop_table("api_otp_codes")
