"""Borrowers' and contacts' phone numbers carry `phone_unverified`.

An import accepts a well-formed number that the numbering plan (phonenumbers) does not list
(a carrier's new prefix) instead of rejecting the portfolio, and flags it. Rows stored
before this revision were all listed numbers (the import rejected the others): false.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("borrowers", "contacts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "phone_unverified", sa.Boolean(), nullable=False, server_default=sa.false()
                )
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("phone_unverified")
