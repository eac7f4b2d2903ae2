"""Staff bearer tokens for the HTTP API (OAuth2 client credentials, refresh, revocation),
kept as digests only.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("token_digest", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("family", sa.String(40), nullable=False),
        sa.Column("client_key_id", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("borrower_id", sa.String(64), nullable=True),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_api_tokens_family", "api_tokens", ["family"])
    op.create_index("ix_api_tokens_expires_at", "api_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_expires_at", "api_tokens")
    op.drop_index("ix_api_tokens_family", "api_tokens")
    op.drop_table("api_tokens")
