"""Erasure with four eyes: a request by one person, approved (and carried out) by another.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_requests",
        sa.Column("request_id", sa.String(40), primary_key=True),
        sa.Column("borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"),
                  nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(48), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_subject_requests_borrower", "subject_requests", ["borrower_id"])
    op.create_index("ix_subject_requests_state", "subject_requests", ["state", "request_id"])


def downgrade() -> None:
    op.drop_index("ix_subject_requests_state", "subject_requests")
    op.drop_index("ix_subject_requests_borrower", "subject_requests")
    op.drop_table("subject_requests")
