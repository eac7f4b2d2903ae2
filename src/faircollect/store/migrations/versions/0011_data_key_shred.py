"""Each destroyed data key records when the shred step made old copies unreadable too.

An erasure destroys the borrower's wrapped data key in the live database at once
(`destroyed_at`); copies made before it (backups, dumps, WAL) still hold the wrapped key
under a master key that exists until the shred step replaces every master key and
destroys the old ones (`shredded_at`). Keys destroyed before this revision count as not
yet shredded, so the next shred step covers them.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_keys") as batch:
        batch.add_column(sa.Column("shredded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_keys") as batch:
        batch.drop_column("shredded_at")
