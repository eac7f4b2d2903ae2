"""Consent notices and receipts; case assignments for the access guard.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_notices",
        sa.Column("notice_sha256", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("first_shown_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "consent_receipts",
        sa.Column("receipt_id", sa.String(36), primary_key=True),
        sa.Column("consent_id", sa.String(64), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column(
            "borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("ix_consent_receipts_consent", "consent_receipts", ["consent_id"])
    op.create_index("ix_consent_receipts_borrower", "consent_receipts", ["borrower_id"])
    op.create_table(
        "case_assignments",
        sa.Column("assignment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"), nullable=False
        ),
        sa.Column("collector_id", sa.String(64), nullable=False),
        sa.Column("assigned_at", UTCDateTime, nullable=False),
        sa.Column("released_at", UTCDateTime, nullable=True),
    )
    op.create_index(
        "ix_case_assignments_collector", "case_assignments", ["collector_id", "borrower_id"]
    )
    op.create_index("ix_case_assignments_borrower", "case_assignments", ["borrower_id"])


def downgrade() -> None:
    for name in ("case_assignments", "consent_receipts", "consent_notices"):
        op.drop_table(name)
