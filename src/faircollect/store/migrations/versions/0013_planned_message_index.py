"""Planned attempts are found by the message they became.

The worker's send-time check reads, for every claimed message, the request it was planned
under (`planned_attempts.message_id` -> `policy_decisions`). Without this index each batch
scanned the whole planned-attempts table, which grows by every day's plan.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_planned_attempts_message", "planned_attempts", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_planned_attempts_message", table_name="planned_attempts")
