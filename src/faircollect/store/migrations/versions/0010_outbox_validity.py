"""Each outbox message carries the end of its validity.

The daily cycle sets `expires_at` from the playbook step (by default the end of the
borrower-local day the message was planned for); the worker never sends a message at or
after it. Messages stored before this revision keep NULL, and the worker falls back to
the end of their planned local day for those the cycle planned.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("expires_at")
