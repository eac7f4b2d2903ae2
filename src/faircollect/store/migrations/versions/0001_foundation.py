"""Foundation: borrowers, data keys, contacts, consent records, loans, installments, payments.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("borrower_id", sa.String(64), primary_key=True),
        sa.Column("master_key_id", sa.String(64), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("destroyed_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "borrowers",
        sa.Column("borrower_id", sa.String(64), primary_key=True),
        sa.Column("jurisdiction", sa.String(2), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("opted_out_channels", sa.Text, nullable=False),
        sa.Column("full_name_ct", sa.LargeBinary, nullable=True),
        sa.Column("national_id_ct", sa.LargeBinary, nullable=True),
        sa.Column("phone_ct", sa.LargeBinary, nullable=True),
        sa.Column("email_ct", sa.LargeBinary, nullable=True),
        sa.Column("phone_bidx", sa.String(64), nullable=True),
        sa.Column("national_id_bidx", sa.String(64), nullable=True),
        sa.Column("email_bidx", sa.String(64), nullable=True),
        sa.Column("row_digest", sa.String(64), nullable=False),
        *_stamps(),
        sa.Column("erased_at", UTCDateTime, nullable=True),
    )
    for col in ("phone_bidx", "national_id_bidx", "email_bidx"):
        op.create_index(f"ix_borrowers_{col}", "borrowers", [col])
    op.create_table(
        "contacts",
        sa.Column("contact_id", sa.String(64), primary_key=True),
        sa.Column(
            "borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"), nullable=False
        ),
        sa.Column("relation", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("name_ct", sa.LargeBinary, nullable=True),
        sa.Column("phone_ct", sa.LargeBinary, nullable=True),
        sa.Column("phone_bidx", sa.String(64), nullable=True),
        sa.Column("refused_contact", sa.Boolean, nullable=False),
        sa.Column("row_digest", sa.String(64), nullable=False),
        *_stamps(),
    )
    op.create_index("ix_contacts_phone_bidx", "contacts", ["phone_bidx"])
    op.create_index("ix_contacts_borrower", "contacts", ["borrower_id"])
    op.create_table(
        "consent_records",
        sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("consent_id", sa.String(64), nullable=False),
        sa.Column(
            "borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"), nullable=False
        ),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("withdrawn_at", UTCDateTime, nullable=True),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("policy_version", sa.String(32), nullable=True),
        sa.Column("notice_sha256", sa.String(64), nullable=True),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_consent_records_consent", "consent_records", ["consent_id", "record_id"])
    op.create_index("ix_consent_records_borrower", "consent_records", ["borrower_id"])
    op.create_table(
        "loans",
        sa.Column("loan_id", sa.String(64), primary_key=True),
        sa.Column(
            "borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"), nullable=False
        ),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("annual_rate", sa.Numeric(12, 8), nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("disbursed_on", sa.Date, nullable=False),
        sa.Column("first_due_on", sa.Date, nullable=False),
        sa.Column("schedule", sa.String(24), nullable=False),
        sa.Column("row_digest", sa.String(64), nullable=False),
        *_stamps(),
    )
    op.create_index("ix_loans_borrower", "loans", ["borrower_id"])
    op.create_table(
        "installments",
        sa.Column("loan_id", sa.String(64), sa.ForeignKey("loans.loan_id"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("interest_minor", sa.BigInteger, nullable=False),
        sa.Column("fees_minor", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(64), primary_key=True),
        sa.Column("loan_id", sa.String(64), sa.ForeignKey("loans.loan_id"), nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("row_digest", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_payments_loan", "payments", ["loan_id", "paid_on"])
    op.create_table(
        "import_runs",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("source_digest", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "import_runs",
        "payments",
        "installments",
        "loans",
        "consent_records",
        "contacts",
        "borrowers",
        "data_keys",
    ):
        op.drop_table(name)
