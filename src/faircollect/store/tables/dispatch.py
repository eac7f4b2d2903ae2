"""The outbox of messages to send and the history of contact attempts and their outcomes.

The outbox holds tokens, never addresses: the worker asks the vault for the recipient's
address at send time. The rendered body may name the borrower, so it is sealed with the
borrower's data key (`body_ct`), like every other personal field.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from faircollect.store.schema import UTCDateTime, metadata

outbox = Table(
    "outbox",
    metadata,
    Column("message_id", String(40), primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("audience", String(24), nullable=False),
    Column("contact_id", String(64), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("template_id", String(64), nullable=False),
    Column("purpose", String(16), nullable=False),
    # Set for notices the borrower must have had before a step (escalation_notice, ...).
    Column("notice_kind", String(48), nullable=True),
    Column("body_ct", LargeBinary, nullable=False),
    Column("planned_at", UTCDateTime, nullable=False),  # not sent before it
    Column("expires_at", UTCDateTime, nullable=True),  # nor at or after it (None: no end)
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("provider_ref", String(128), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_outbox_state_planned", "state", "planned_at"),
    Index("ix_outbox_borrower", "borrower_id"),
)

contact_history = Table(
    "contact_history",
    metadata,
    Column("history_id", Integer, primary_key=True, autoincrement=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("contact_id", String(64), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("audience", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("message_id", String(40), nullable=True),
    Column("source", String(16), nullable=False),  # dispatch | agent | callback
    Index("ix_contact_history_borrower_at", "borrower_id", "at"),
)
