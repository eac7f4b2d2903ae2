"""Dispatch and cases: outbox, contact history, promises, plans, pauses, disputes, complaints.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from faircollect.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _borrower_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "borrower_id", sa.String(64), sa.ForeignKey("borrowers.borrower_id"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("message_id", sa.String(40), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        _borrower_fk(),
        sa.Column("audience", sa.String(24), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("notice_kind", sa.String(48), nullable=True),
        sa.Column("body_ct", sa.LargeBinary, nullable=False),
        sa.Column("planned_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UTCDateTime, nullable=True),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Column("provider_ref", sa.String(128), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_state_planned", "outbox", ["state", "planned_at"])
    op.create_index("ix_outbox_borrower", "outbox", ["borrower_id"])
    op.create_table(
        "contact_history",
        sa.Column("history_id", sa.Integer, primary_key=True, autoincrement=True),
        _borrower_fk(),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(24), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(40), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_contact_history_borrower_at", "contact_history", ["borrower_id", "at"])
    op.create_table(
        "promises",
        sa.Column("promise_id", sa.String(40), primary_key=True),
        _borrower_fk(),
        sa.Column("loan_id", sa.String(64), sa.ForeignKey("loans.loan_id"), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("promised_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("cancelled_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_promises_borrower", "promises", ["borrower_id"])
    op.create_table(
        "payment_plans",
        sa.Column("plan_id", sa.String(40), primary_key=True),
        _borrower_fk(),
        sa.Column("loan_id", sa.String(64), sa.ForeignKey("loans.loan_id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("arrears_minor", sa.BigInteger, nullable=False),
        sa.Column("waived_fees_minor", sa.BigInteger, nullable=False),
        sa.Column("re_age", sa.Boolean, nullable=False),
        sa.Column("agreed_on", sa.Date, nullable=False),
        sa.Column("cancelled_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_payment_plans_borrower", "payment_plans", ["borrower_id"])
    op.create_table(
        "plan_installments",
        sa.Column(
            "plan_id", sa.String(40), sa.ForeignKey("payment_plans.plan_id"), primary_key=True
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "hardship_pauses",
        sa.Column("pause_id", sa.String(40), primary_key=True),
        _borrower_fk(),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_hardship_pauses_borrower", "hardship_pauses", ["borrower_id"])
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.String(40), primary_key=True),
        _borrower_fk(),
        sa.Column("loan_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
        sa.Column("resolution", sa.String(32), nullable=True),
    )
    op.create_index("ix_disputes_borrower", "disputes", ["borrower_id"])
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.String(40), primary_key=True),
        _borrower_fk(),
        sa.Column("complainant", sa.String(16), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("sla_due_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("root_cause", sa.String(32), nullable=True),
    )
    op.create_index("ix_complaints_borrower", "complaints", ["borrower_id"])
    op.create_table(
        "complaint_attempts",
        sa.Column(
            "complaint_id",
            sa.String(40),
            sa.ForeignKey("complaints.complaint_id"),
            primary_key=True,
        ),
        sa.Column(
            "history_id",
            sa.Integer,
            sa.ForeignKey("contact_history.history_id"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    for name in (
        "complaint_attempts", "complaints", "disputes", "hardship_pauses", "plan_installments",
        "payment_plans", "promises", "contact_history", "outbox",
    ):
        op.drop_table(name)
