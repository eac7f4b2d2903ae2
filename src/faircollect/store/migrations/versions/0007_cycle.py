"""The daily cycle: planned attempts with their decisions, and cycle runs.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planned_attempts",
        sa.Column("attempt_id", sa.String(40), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"),
                  nullable=False),
        sa.Column("playbook_id", sa.String(64), nullable=False),
        sa.Column("arm", sa.String(16), nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("step_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(24), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(64), nullable=False),
        sa.Column("planned_at", UTCDateTime, nullable=False),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("pack_id", sa.String(32), nullable=False),
        sa.Column("replan_of", sa.String(64), nullable=True),
        sa.Column("message_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_planned_attempts_date", "planned_attempts",
                    ["business_date", "borrower_id"])
    op.create_index("ix_planned_attempts_borrower", "planned_attempts",
                    ["borrower_id", "business_date"])
    op.create_table(
        "cycle_runs",
        sa.Column("business_date", sa.Date, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("playbooks", sa.Text, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("cycle_runs")
    op.drop_index("ix_planned_attempts_borrower", table_name="planned_attempts")
    op.drop_index("ix_planned_attempts_date", table_name="planned_attempts")
    op.drop_table("planned_attempts")
