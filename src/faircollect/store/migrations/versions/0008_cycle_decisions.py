"""The daily cycle's decisions: planned attempts point at their `policy_decisions` row.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planned_attempts") as batch:
        batch.add_column(sa.Column("decision_id", sa.String(40), nullable=True))
    op.create_index("ix_planned_attempts_decision", "planned_attempts", ["decision_id"])


def downgrade() -> None:
    op.drop_index("ix_planned_attempts_decision", table_name="planned_attempts")
    with op.batch_alter_table("planned_attempts") as batch:
        batch.drop_column("decision_id")
