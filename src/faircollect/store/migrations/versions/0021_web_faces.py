"""The web faces: staff accounts (password + TOTP), server-side sessions, contact-person links.

Revision ID: 0021
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_staff",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret_ct", sa.LargeBinary, nullable=False),
        sa.Column("totp_last_step", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", UTCDateTime, nullable=True),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("disabled_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("session_digest", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(96), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("borrower_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_web_sessions_expires", "web_sessions", ["expires_at"])
    op.create_table(
        "web_contact_links",
        sa.Column("token_digest", sa.String(64), primary_key=True),
        sa.Column("contact_id", sa.String(64), sa.ForeignKey("contacts.contact_id"),
                  nullable=False),
        sa.Column("borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"),
                  nullable=False),
        sa.Column("lender", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_web_contact_links_contact", "web_contact_links", ["contact_id"])
    op.create_table(
        "web_plan_requests",
        sa.Column("request_id", sa.String(40), primary_key=True),
        sa.Column("borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"),
                  nullable=False),
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("installments", sa.Integer, nullable=False),
        sa.Column("first_due_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_web_plan_requests_borrower", "web_plan_requests", ["borrower_id"])


def downgrade() -> None:
    op.drop_index("ix_web_plan_requests_borrower", "web_plan_requests")
    op.drop_table("web_plan_requests")
    op.drop_index("ix_web_contact_links_contact", "web_contact_links")
    op.drop_table("web_contact_links")
    op.drop_index("ix_web_sessions_expires", "web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_staff")
