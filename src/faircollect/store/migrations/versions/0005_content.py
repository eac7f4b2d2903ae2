"""Content: message templates and their review states.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("template_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("audience", sa.String(24), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("submitted_by", sa.String(128), nullable=True),
        sa.Column("submitted_at", UTCDateTime, nullable=True),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", UTCDateTime, nullable=True),
        sa.Column("lexicon_version", sa.String(32), nullable=True),
        sa.Column("retired_by", sa.String(128), nullable=True),
        sa.Column("retired_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_templates_state", "templates", ["state"])


def downgrade() -> None:
    op.drop_index("ix_templates_state", table_name="templates")
    op.drop_table("templates")
